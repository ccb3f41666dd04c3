"""The rxstruct operators: the whole public contract in one file.

Each operator is a function returning ``Callable[[Observable[A]], Observable[B]]``
for use in ``Observable.pipe``. Bodies import their implementation lazily from
``rxstruct._operators``. Marble legend: ``-`` one tick, ``|`` completion, ``#``
error, letters are values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from reactivex import Observable, abc

from .json import JsonSnapshot

__all__: list[str] = [
    "accumulate_json",
    "debounce",
]

_T = TypeVar("_T")

# --- JSON (accumulate_json) ---------------------------------------------------


def accumulate_json(
    **decoder_options: Any,
) -> Callable[[Observable[str]], Observable[JsonSnapshot]]:
    """Decode a stream of text deltas into a stream of JSON snapshots.

    One :class:`~rxstruct.json.JsonSnapshot` per chunk, then one more with
    ``done=True`` when the source completes with a complete value. The work per
    chunk is proportional to the chunk, not to the text so far. Each
    subscription gets its own decoder.

    .. code-block:: text

        ---a------b---------c-----|
        [     accumulate_json()    ]
        ---A------B---------C-----(D|)

        a = '{"title": "Hel'    A.value = {'title': 'Hel'}
        b = 'lo", "n": 4'       B.value = {'title': 'Hello'}   (4 may go on: 42)
        c = '2}'                C.value = {'title': 'Hello', 'n': 42}
                                D.value = C.value, D.done = True

    Errors go to ``on_error``: :class:`~rxstruct.JsonStreamError` for malformed
    text (with offset, line, column and an excerpt),
    :class:`~rxstruct.JsonLimitError` past a limit, and
    :class:`~rxstruct.IncompleteJsonError` when the source completes inside the
    value.

    Args:
        **decoder_options: Options of :class:`~rxstruct.json.PartialJsonDecoder`:
            ``partial_strings``, ``allow_prose``, ``max_depth``, ``max_size``,
            ``max_string_length``.

    Returns:
        An operator from ``Observable[str]`` to ``Observable[JsonSnapshot]``.

    Example:
        >>> import reactivex as rx
        >>> import rxstruct as rs
        >>> _ = rx.of('{"n": 4', '2}').pipe(rs.accumulate_json()).subscribe(
        ...     lambda s: print(s.value, s.done))
        {} False
        {'n': 42} False
        {'n': 42} True
    """
    from ._operators.json import accumulate_json_

    return accumulate_json_(**decoder_options)


# --- partial objects (to_partial, distinct_fields, validate_final) -----------

# --- lists and fields (new_list_items, completed_fields) ---------------------

# --- timing (debounce) ---------------------------------------------------------


def debounce(
    interval: float | timedelta,
    *,
    scheduler: abc.SchedulerBase | None = None,
) -> Callable[[Observable[_T]], Observable[_T]]:
    """Emit the first value at once, then the latest value at most once per interval.

    Rate limiting for UIs fed by token streams. Unlike reactivex's
    ``ops.debounce``, which stays silent while values keep coming, this emits
    the first value immediately and opens a window of ``interval``. Values
    arriving inside the window are held and only the latest is kept; when the
    window ends it is emitted and a new window opens. If nothing is held the
    window closes and the next value is again emitted at once. A value is never
    emitted twice and never after a newer one.

    On completion the held value is emitted immediately (at the same time, not
    after the window) and then the completion. On error the held value is
    dropped and the error is forwarded at once.

    .. marble::
        :alt: debounce

        -a-b-c-d-e-------f-g|
        [   debounce(5)      ]
        -a----c----e-----f--(g,|)

    Args:
        interval: Minimum time between two emissions, in seconds or as a
            ``timedelta``. Must be positive.
        scheduler: Scheduler for the window timers. Defaults to the scheduler
            given at subscription, then to ``TimeoutScheduler``.

    Returns:
        An operator for ``Observable.pipe`` that emits a subsequence of its
        source.

    Raises:
        UsageError: ``interval`` is not positive (raised when the operator is
            built, not at subscription).

    Example:
        >>> import reactivex
        >>> from reactivex import operators as ops
        >>> from rxstruct import operators as rxs
        >>> tokens = reactivex.of("{", '"a"', ": ", "1", "}")
        >>> tokens.pipe(rxs.debounce(0.1), ops.to_list()).run()
        ['{', '}']
    """
    from ._operators.timing import debounce_

    return debounce_(interval, scheduler)
