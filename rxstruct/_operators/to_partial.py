"""``to_partial``: JSON snapshots in, partial objects of a model out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reactivex import Observable, abc

from .._partial import OnInvalid, PartialBuilder
from ..json import JsonSnapshot
from ._gate import Gate, snapshot_view

__all__ = ["to_partial_"]

_NOT_SHOWN: Any = object()  # PartialBuilder.feed's default: nothing to emit


def to_partial_(
    model: Any, on_invalid: OnInvalid
) -> Callable[[Observable[JsonSnapshot]], Observable[Any]]:
    # Build one eagerly so a bad type or option fails when the pipeline is built.
    PartialBuilder(model, on_invalid=on_invalid)

    def start(
        observer: abc.ObserverBase[Any], gate: Gate[Any]
    ) -> Callable[[JsonSnapshot], None]:
        convert = PartialBuilder(model, on_invalid=on_invalid).feed
        emit = observer.on_next

        def on_next(snapshot: JsonSnapshot) -> None:
            if not gate.is_open:
                return
            gate.seen = True
            try:
                out = convert(snapshot, _NOT_SHOWN)
            except Exception as exc:
                gate.error(exc)
                return
            if out is not _NOT_SHOWN:
                emit(out)

        return on_next

    return snapshot_view("to_partial", start)
