"""``completed_fields``: a "this field is final" event for each field, once.

Driven by :attr:`JsonSnapshot.completed`, like ``new_list_items``: a field is
reported on the chunk that closed its value, and the cost per snapshot is the
number of values that closed in it. Hand-written for the same reason as
``new_list_items``: events of one chunk are emitted synchronously, at its time.
"""

from __future__ import annotations

from collections.abc import Callable

from reactivex import Observable, abc

from ..events import FieldCompleted
from ..exceptions import UsageError
from ..json import Completed, JsonSnapshot, Path, PathPattern
from ._gate import Gate, completions_view

__all__ = ["completed_fields_"]


def _parse_patterns(patterns: tuple[str | PathPattern, ...]) -> tuple[PathPattern, ...]:
    parsed: list[PathPattern] = []
    for pattern in patterns:
        if isinstance(pattern, PathPattern):
            parsed.append(pattern)
        elif isinstance(pattern, str):
            parsed.append(PathPattern.parse(pattern))
        else:
            raise UsageError(
                f"a field pattern is a string such as 'title', got {pattern!r}"
            )
    return tuple(parsed)


def completed_fields_(
    *patterns: str | PathPattern,
) -> Callable[[Observable[JsonSnapshot]], Observable[FieldCompleted]]:
    parsed = _parse_patterns(patterns)

    def wanted(path: Path) -> bool:
        if not parsed:
            # Object members at any depth; list elements and the root are not.
            return bool(path) and isinstance(path[-1], str)
        return any(pattern.matches(path) for pattern in parsed)

    def start(
        observer: abc.ObserverBase[FieldCompleted], gate: Gate[FieldCompleted]
    ) -> Callable[[tuple[Completed, ...]], None]:
        # Paths already reported. Only a repeated key in one object can
        # complete a path twice (JSON leaves that undefined): the first wins.
        reported: set[Path] = set()

        def on_completed_values(completed: tuple[Completed, ...]) -> None:
            for path, value in completed:
                if not wanted(path) or path in reported:
                    continue
                reported.add(path)
                observer.on_next(FieldCompleted(path=path, value=value))

        return on_completed_values

    return completions_view("completed_fields", start)
