"""``to_partial``: JSON snapshots in, partial objects of a model out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reactivex import Observable, abc

from .._partial import HIDDEN, OnInvalid, PartialBuilder
from ..json import JsonSnapshot
from ._gate import Gate, no_snapshots

__all__ = ["to_partial_"]


def to_partial_(
    model: Any, on_invalid: OnInvalid
) -> Callable[[Observable[JsonSnapshot]], Observable[Any]]:
    # Build one eagerly so a bad type or option fails when the pipeline is built.
    PartialBuilder(model, on_invalid=on_invalid)

    def operator(source: Observable[JsonSnapshot]) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            convert = PartialBuilder(model, on_invalid=on_invalid).convert
            emit = observer.on_next
            gate = Gate(observer)
            seen = False

            def on_next(snapshot: JsonSnapshot) -> None:
                nonlocal seen
                if not gate.is_open:
                    return
                seen = True
                try:
                    out = convert(snapshot)
                except Exception as exc:
                    gate.error(exc)
                    return
                if out is not HIDDEN:
                    emit(out)

            def on_completed() -> None:
                if seen:
                    gate.completed()
                else:
                    gate.error(no_snapshots("to_partial"))

            return source.subscribe(
                on_next, gate.error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return operator
