"""``distinct_fields``: drop emissions that change nothing (that matters).

What counts as a change differs by input, because of what each can see cheaply:

- On partial objects (the output of ``to_partial``) only a *visible* change
  counts: a value that appeared, a string that grew, a list or dict that got
  longer. The paths that changed come from the emission's change information.
  On a chunk where nothing closed each of them is such a change; only on a
  chunk that closed something are the values at those paths compared with the
  previous emission's (identity first: closed sub-values are shared between
  emissions; then lengths), O(changed paths), never whole objects. A
  string's closing quote or a container's closing bracket alone changes
  nothing a UI shows (``completed_fields`` reports those), so the last
  partial of a stream is not repeated for its closing quote, its closing
  brackets and the ``done`` snapshot.
- On JSON snapshots a value's completion counts too: a snapshot keeps no cheap
  view of the previous visible value.

On both, the emission that completes the whole value passes exactly once: the
first complete one (usually the chunk holding the last bracket), and the
``done`` snapshot only when no complete one passed before it. A stage after
``distinct_fields`` (``validate_final``) thus still sees a complete value last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from reactivex import Observable, abc

from .._partial import emission_of
from ..json import JsonSnapshot, Path, PathPattern

__all__ = ["distinct_fields_"]

_T = TypeVar("_T")

_MISSING: Any = object()


def _at(value: Any, path: Path) -> Any:
    """The value at ``path`` inside a partial value, or ``_MISSING``."""
    for part in path:
        if value is None:
            return _MISSING
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(part, int):
            if not isinstance(value, list) or part >= len(value):
                return _MISSING
            value = value[part]
        elif isinstance(part, str):
            value = getattr(value, part, _MISSING)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _shows_change(before: Any, after: Any) -> bool:
    """Whether going from ``before`` to ``after`` changes what a UI shows.

    Only called for a path the builder reported as changed. A container's own
    entry adds nothing when its length did not change: an element or field
    that appeared is reported at its own, deeper path too.
    """
    if before is after:
        return False
    if before is _MISSING or before is None:
        return after is not _MISSING and after is not None
    if after is _MISSING or after is None:
        return True
    if isinstance(after, str) and isinstance(before, str):
        return len(after) != len(before)  # strings only grow while streamed
    if isinstance(after, (list, dict)) and type(before) is type(after):
        return len(after) != len(before)
    if isinstance(after, BaseModel) and type(before) is type(after):
        return False
    return bool(before != after)


def distinct_fields_(
    *paths: str | PathPattern,
) -> Callable[[Observable[_T]], Observable[_T]]:
    patterns = tuple(
        path if isinstance(path, PathPattern) else PathPattern.parse(path)
        for path in paths
    )

    def relevant(changes: tuple[Path, ...]) -> tuple[Path, ...]:
        return tuple(
            change
            for change in changes
            if any(pattern.overlaps(change) for pattern in patterns)
        )

    def operator(source: Observable[_T]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            last_seq: int | None = None
            previous: Any = None  # the previous item (passed or not)
            final_passed = False  # a complete value went through

            def on_next(item: _T) -> None:
                nonlocal last_seq, previous, final_passed
                snapshot: JsonSnapshot
                if isinstance(item, JsonSnapshot):
                    snapshot, seq, changes = item, item.index, item.changed
                    is_partial = False
                else:
                    emission = emission_of(item)
                    if emission is None:
                        observer.on_next(item)  # no change information: pass
                        return
                    snapshot, seq = emission.snapshot, emission.seq
                    changes = emission.changes
                    is_partial = True
                before, previous = previous, item
                # After a gap (an upstream stage dropped items) the changes no
                # longer cover everything since the last item seen: let it pass.
                contiguous = last_seq is not None and seq == last_seq + 1
                last_seq = seq
                if final_passed:
                    return  # after the complete value: that value again
                closed = snapshot.completed
                # The value can only become complete on a chunk that closed
                # something, or at the end (asked only then: it is a property).
                if (closed or snapshot.done or not contiguous) and snapshot.complete:
                    final_passed = True  # the complete value, exactly once
                    observer.on_next(item)
                    return
                if patterns:
                    changes = relevant(changes)
                if changes and is_partial and closed:
                    # Something closed in this chunk: its own entry may be a
                    # completion only. (Without a closing, every change is a
                    # value that appeared or grew.)
                    shows = any(
                        _shows_change(_at(before, change), _at(item, change))
                        for change in changes
                    )
                else:
                    shows = bool(changes)
                if shows or not contiguous:
                    observer.on_next(item)

            return source.subscribe(
                on_next, observer.on_error, observer.on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return operator
