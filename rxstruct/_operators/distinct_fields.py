"""``distinct_fields``: drop emissions that change nothing (that matters)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from reactivex import Observable, abc

from .._partial import emission_of
from ..json import JsonSnapshot, Path, PathPattern

__all__ = ["distinct_fields_"]

_T = TypeVar("_T")


def _changes_of(item: Any) -> tuple[int, tuple[Path, ...], bool] | None:
    """(sequence number, changed paths, done) of a snapshot or a partial."""
    if isinstance(item, JsonSnapshot):
        return item.index, item.changed, item.done
    emission = emission_of(item)
    if emission is None:
        return None
    return emission.seq, emission.changes, emission.done


def distinct_fields_(
    *paths: str | PathPattern,
) -> Callable[[Observable[_T]], Observable[_T]]:
    patterns = tuple(
        path if isinstance(path, PathPattern) else PathPattern.parse(path)
        for path in paths
    )

    def relevant(changes: tuple[Path, ...]) -> bool:
        if not patterns:
            return bool(changes)
        for change in changes:
            for pattern in patterns:
                if pattern.overlaps(change):
                    return True
        return False

    def operator(source: Observable[_T]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            last_seq: int | None = None

            def on_next(item: _T) -> None:
                nonlocal last_seq
                info = _changes_of(item)
                if info is None:
                    observer.on_next(item)  # no change information: let it through
                    return
                seq, changes, done = info
                # After a gap (an upstream stage dropped items) the changes no
                # longer cover everything since the last item seen: let it pass.
                contiguous = last_seq is not None and seq == last_seq + 1
                last_seq = seq
                if done or not contiguous or relevant(changes):
                    observer.on_next(item)

            return source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return operator
