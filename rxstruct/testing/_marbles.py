"""Virtual-time helpers over ``reactivex.testing``: token marbles, runs, tables.

Everything here builds on :class:`reactivex.testing.TestScheduler` and the
marble grammar of :func:`reactivex.from_marbles`; nothing re-implements them.
What rxstruct adds is what token streams need: marble values that stay text
(reactivex turns ``1`` into an int), a run result with the usual questions as
methods, a side-by-side failure table, and the way back from notifications to a
marble string so a test can read like the docstring it checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.notification import OnCompleted, OnError, OnNext
from reactivex.observable.marbles import tokens as _marble_tokens
from reactivex.testing import (
    OnErrorPredicate,
    OnNextPredicate,
    Recorded,
    TestScheduler,
)

from ..exceptions import UsageError

__all__ = [
    "VirtualRun",
    "assert_notifications",
    "format_notifications",
    "run_in_virtual_time",
    "to_marbles",
    "token_marbles",
]

_T = TypeVar("_T")

#: A marble name that reactivex's grammar reads back as one value.
_DRAWABLE = re.compile(r"[^-,()#|\s]+")
_NAME_CHAR = re.compile(r"[^-,()#|\s]")


# --- sources -----------------------------------------------------------------


def _marble_names(diagram: str) -> list[str]:
    """The raw text of every value in ``diagram``, in order of appearance.

    Uses reactivex's own tokenizer so the grammar cannot diverge; it is needed
    because ``reactivex.from_marbles`` has already turned ``"01"`` into ``1``.
    """
    names: list[str] = []
    for group, _ticks, _comma, element in _marble_tokens.findall(
        diagram.replace(" ", "")
    ):
        members = [m for m in group[1:-1].split(",") if m] if group else [element]
        names.extend(m for m in members if m and m not in ("|", "#"))
    return names


def token_marbles(
    diagram: str,
    lookup: Mapping[str, str] | None = None,
    *,
    timespan: float = 1.0,
    error: Exception | None = None,
) -> Observable[str]:
    """A cold observable of text chunks drawn as a marble diagram.

    The grammar is reactivex's (see :func:`reactivex.from_marbles`): ``-`` is
    one tick of ``timespan``, ``|`` completes, ``#`` errors, ``(a,b)`` groups
    values at one time and spaces only align. Unlike ``from_marbles`` every
    value stays a string: a marble name is looked up in ``lookup`` and, if
    absent, is its own chunk (so ``-1-`` yields ``"1"``, not ``1``). A name of
    several characters (``-ab-``) is one chunk and takes as many ticks.

    The observable is cold and has no scheduler of its own: it runs on the
    scheduler it is subscribed with, such as the ``TestScheduler`` of
    :func:`run_in_virtual_time`. Each subscription replays the diagram from the
    start, relative to its subscription time.

    Args:
        diagram: The marble diagram.
        lookup: Chunk text for marble names, e.g. ``{"a": '{"ti'}``.
        timespan: Virtual seconds per ``-``.
        error: The exception sent for ``#``; defaults to ``Exception("error")``.

    Returns:
        An ``Observable[str]`` of the chunks.

    Raises:
        ValueError: The diagram is malformed (from reactivex's parser), e.g. a
            value after ``|``.

    Example:
        >>> source = token_marbles(
        ...     "-a-b--c|", {"a": '{"ti', "b": 'tle": "Hi', "c": '"}'}
        ... )
        >>> run_in_virtual_time(source).values()
        ['{"ti', 'tle": "Hi', '"}']
    """
    lookup_ = lookup or {}
    chunks = [lookup_.get(name, name) for name in _marble_names(diagram)]
    timed = reactivex.from_marbles(diagram, timespan=timespan, error=error)

    def per_subscription(_: abc.SchedulerBase) -> Observable[str]:
        # from_marbles emits values in diagram order; swap each for its text.
        remaining = iter(chunks)
        return timed.pipe(ops.map(lambda _value: next(remaining)))

    return reactivex.defer(per_subscription)


# --- running -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class VirtualRun(Generic[_T]):
    """The notifications a pipeline produced in one virtual-time run.

    Times are absolute virtual times of the run's ``TestScheduler``; the
    pipeline is subscribed at ``subscribed`` (200.0 by default).

    Example:
        >>> run = run_in_virtual_time(token_marbles("-a-b|"))
        >>> run.messages
        [OnNext(a)@201.0, OnNext(b)@203.0, OnCompleted()@204.0]
    """

    messages: list[Recorded[_T]]
    """Every notification with its time, as ``reactivex.testing`` records it."""

    subscribed: float
    """The virtual time at which the pipeline was subscribed."""

    disposed: float
    """The virtual time at which the subscription was disposed."""

    def values(self) -> list[_T]:
        """The ``on_next`` values, in order.

        Example:
            >>> run_in_virtual_time(token_marbles("-a-b|")).values()
            ['a', 'b']
        """
        return [
            record.value.value
            for record in self.messages
            if isinstance(record.value, OnNext)
        ]

    def times(self) -> list[float]:
        """The times of the ``on_next`` values, aligned with :meth:`values`.

        Example:
            >>> run_in_virtual_time(token_marbles("-a-b|")).times()
            [201.0, 203.0]
        """
        return [
            float(record.time)
            for record in self.messages
            if isinstance(record.value, OnNext)
        ]

    @property
    def error(self) -> Exception | None:
        """The exception sent to ``on_error``, or ``None``.

        Example:
            >>> run_in_virtual_time(token_marbles("-a#")).error
            Exception('error')
        """
        for record in self.messages:
            if isinstance(record.value, OnError):
                return record.value.exception
        return None

    @property
    def completed_at(self) -> float | None:
        """The time of ``on_completed``, or ``None`` if the run did not complete.

        Example:
            >>> run_in_virtual_time(token_marbles("-a--|")).completed_at
            204.0
        """
        for record in self.messages:
            if isinstance(record.value, OnCompleted):
                return float(record.time)
        return None

    def marbles(
        self, lookup: Mapping[str, Any] | None = None, *, timespan: float = 1.0
    ) -> str:
        """The run drawn as a marble diagram; see :func:`to_marbles`.

        Example:
            >>> run_in_virtual_time(token_marbles("-a--b|")).marbles()
            '-a--b|'
        """
        return to_marbles(
            self.messages,
            lookup=lookup,
            timespan=timespan,
            subscribed=self.subscribed,
        )


def run_in_virtual_time(
    build: Observable[_T] | Callable[[TestScheduler], Observable[_T]],
    *,
    created: float = 100.0,
    subscribed: float = 200.0,
    disposed: float = 1000.0,
) -> VirtualRun[_T]:
    """Run a pipeline on a fresh ``TestScheduler`` and record what it emits.

    This is :meth:`reactivex.testing.TestScheduler.start` with a result that
    answers the usual questions. ``build`` is called at ``created`` with the
    scheduler, so a pipeline can create hot observables on it or pass it to
    time-based operators; an observable is used as it is. The pipeline is
    subscribed at ``subscribed`` with the scheduler and disposed at
    ``disposed``.

    Args:
        build: The pipeline, or a function of the scheduler that returns it.
        created: Virtual time at which ``build`` is called.
        subscribed: Virtual time of the subscription.
        disposed: Virtual time of the disposal.

    Returns:
        The recorded run.

    Raises:
        UsageError: The times are not ``0 < created <= subscribed < disposed``
            (``TestScheduler.start`` would silently replace a zero time).

    Example:
        >>> from rxstruct import operators as rxs
        >>> source = token_marbles("-a-b-c--d|")
        >>> run = run_in_virtual_time(source.pipe(rxs.debounce(3)))
        >>> run.values(), run.times(), run.completed_at
        (['a', 'b', 'c', 'd'], [201.0, 204.0, 207.0, 209.0], 209.0)
        >>> run.marbles()
        '-a--b--c-(d,|)'
    """
    if not 0 < created <= subscribed < disposed:
        raise UsageError(
            "virtual times must satisfy 0 < created <= subscribed < disposed, got "
            f"created={created}, subscribed={subscribed}, disposed={disposed}"
        )
    scheduler = TestScheduler()
    if isinstance(build, Observable):
        pipeline: Observable[_T] = build

        def create() -> Observable[_T]:
            return pipeline

    else:
        factory = build

        def create() -> Observable[_T]:
            return factory(scheduler)

    observer = scheduler.start(
        create, created=created, subscribed=subscribed, disposed=disposed
    )
    return VirtualRun(
        messages=observer.messages, subscribed=subscribed, disposed=disposed
    )


# --- reading -----------------------------------------------------------------


def _row(record: Recorded[Any]) -> tuple[str, str, str]:
    """``(time, kind, value)`` cells for one record."""
    notification = record.value
    time = f"{float(record.time):g}"
    if isinstance(notification, OnNext):
        return time, "on_next", repr(notification.value)
    if isinstance(notification, OnError):
        return time, "on_error", repr(notification.exception)
    if isinstance(notification, OnCompleted):
        return time, "on_completed", ""
    if isinstance(notification, OnNextPredicate | OnErrorPredicate):
        kind = "on_next" if isinstance(notification, OnNextPredicate) else "on_error"
        name = getattr(notification.predicate, "__name__", "?")
        return time, kind, f"<predicate {name}>"
    return time, "?", repr(notification)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells padded into aligned columns, trailing spaces removed."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def format_notifications(messages: Iterable[Recorded[Any]]) -> str:
    """Recorded notifications as an aligned ``time kind value`` table.

    Values are shown with ``repr`` so that chunk boundaries and quotes are
    visible.

    Args:
        messages: Recorded notifications, e.g. ``VirtualRun.messages``.

    Returns:
        The table, one line per notification below a header line.

    Example:
        >>> run = run_in_virtual_time(token_marbles("-a-(b,|)"))
        >>> print(format_notifications(run.messages))
        time  kind          value
        201   on_next       'a'
        203   on_next       'b'
        203   on_completed
    """
    return "\n".join(_table([("time", "kind", "value"), *(_row(r) for r in messages)]))


def _matches(expected: Recorded[Any], actual: Recorded[Any]) -> bool:
    """Whether two records agree; errors must agree in type and message."""
    e, a = expected.value, actual.value
    if isinstance(e, OnError) and isinstance(a, OnError):
        return (
            float(expected.time) == float(actual.time)
            and type(e.exception) is type(a.exception)
            and str(e.exception) == str(a.exception)
        )
    # Recorded equality compares times, then values; an expected predicate
    # (ReactiveTest.on_next(t, lambda v: ...)) gets to judge the actual value.
    return bool(expected == actual)


def assert_notifications(
    actual: Sequence[Recorded[Any]], expected: Sequence[Recorded[Any]]
) -> None:
    """Assert two notification sequences agree, showing both side by side if not.

    Records agree when their times are equal and their notifications are
    equal: ``on_next`` values by ``==`` (or by an expected predicate made with
    ``ReactiveTest.on_next(t, lambda v: ...)``), errors by type and message.

    Args:
        actual: What the pipeline produced, e.g. ``VirtualRun.messages``.
        expected: What it should have produced, e.g. records made with
            ``reactivex.testing.ReactiveTest.on_next(201, "a")``.

    Raises:
        AssertionError: The sequences differ. The message is a table of both,
            row by row, with ``!`` marking the rows that differ.

    Example:
        >>> from reactivex.testing import ReactiveTest
        >>> run = run_in_virtual_time(token_marbles("-a|"))
        >>> assert_notifications(
        ...     run.messages,
        ...     [ReactiveTest.on_next(201, "a"), ReactiveTest.on_completed(202)],
        ... )
    """
    length = max(len(actual), len(expected))
    differs = [
        i >= len(actual) or i >= len(expected) or not _matches(expected[i], actual[i])
        for i in range(length)
    ]
    if not any(differs):
        return
    absent = ("", "", "")
    rows: list[tuple[str, ...]] = [
        ("", "#", "time", "kind", "value", "|", "time", "kind", "value")
    ]
    for i in range(length):
        left = _row(expected[i]) if i < len(expected) else absent
        right = _row(actual[i]) if i < len(actual) else absent
        rows.append(("!" if differs[i] else "", str(i), *left, "|", *right))
    table = _table(rows)
    left_start, bar = table[0].index("time"), table[0].index("|")
    sides = " " * left_start + "expected".ljust(bar - left_start) + "|  actual"
    summary = (
        f"notifications differ from row {differs.index(True)} on "
        f"(expected {len(expected)}, actual {len(actual)}):"
    )
    raise AssertionError("\n".join([summary, sides, *table]))


def _marble_name(value: Any, lookup: Mapping[str, Any]) -> str:
    """The marble name for ``value``: its ``lookup`` key, else its text."""
    for name, candidate in lookup.items():
        if candidate == value:
            return name
    name = value if isinstance(value, str) else str(value)
    if not _DRAWABLE.fullmatch(name):
        raise UsageError(
            f"cannot draw {value!r} as a marble; give it a name with lookup="
        )
    if name in lookup:
        raise UsageError(
            f"cannot draw {value!r} as {name!r}: that name stands for "
            f"{lookup[name]!r} in lookup="
        )
    return name


def _symbol(notification: object, lookup: Mapping[str, Any]) -> str:
    """The marble text for one notification."""
    if isinstance(notification, OnNext):
        return _marble_name(notification.value, lookup)
    if isinstance(notification, OnError):
        return "#"
    if isinstance(notification, OnCompleted):
        return "|"
    raise UsageError(f"cannot draw {notification!r} as a marble")


def to_marbles(
    messages: Iterable[Recorded[Any]],
    *,
    lookup: Mapping[str, Any] | None = None,
    timespan: float = 1.0,
    subscribed: float = 200.0,
) -> str:
    """Draw recorded notifications as a marble diagram, the inverse of parsing.

    Column ``n`` is time ``subscribed + n * timespan``. Values are drawn by
    their ``lookup`` name (the same mapping given to :func:`token_marbles`), or
    else by their text; notifications at one time form a group ``(a,b,|)``.
    Given the same ``lookup``, :func:`token_marbles` reads the result back to
    the same text notifications. That is why a group is written with commas
    (reactivex's grammar), and why values in adjacent columns (``ab`` reads as
    one value) or a value whose text is another value's name are refused
    rather than drawn ambiguously.

    Args:
        messages: Recorded notifications, e.g. ``VirtualRun.messages``.
        lookup: Marble names for values, e.g. ``{"a": '{"ti'}``.
        timespan: Virtual seconds per column.
        subscribed: The time of column 0.

    Returns:
        The diagram, without trailing ticks.

    Raises:
        UsageError: A notification cannot be drawn unambiguously: its time is
            before ``subscribed`` or between columns, it follows the previous
            one too closely to leave a gap (use a smaller ``timespan``), or a
            value has no drawable name (give one with ``lookup``).

    Example:
        >>> from reactivex.testing import ReactiveTest
        >>> to_marbles(
        ...     [
        ...         ReactiveTest.on_next(201, '{"ti'),
        ...         ReactiveTest.on_next(204, '"}'),
        ...         ReactiveTest.on_completed(204),
        ...     ],
        ...     lookup={"a": '{"ti', "b": '"}'},
        ... )
        '-a--(b,|)'
    """
    lookup_ = lookup or {}
    columns: list[int] = []
    groups: list[list[str]] = []
    for record in messages:
        offset = (float(record.time) - subscribed) / timespan
        column = round(offset)
        if column < 0 or abs(offset - column) > 1e-9:
            raise UsageError(
                f"cannot draw a notification at time {record.time} with "
                f"subscribed={subscribed} and timespan={timespan}"
            )
        if columns and column < columns[-1]:
            raise UsageError(f"notifications are not in time order at {record}")
        if columns and column == columns[-1]:
            groups[-1].append(_symbol(record.value, lookup_))
        else:
            columns.append(column)
            groups.append([_symbol(record.value, lookup_)])

    diagram = ""
    for column, symbols in zip(columns, groups, strict=True):
        symbol = symbols[0] if len(symbols) == 1 else f"({','.join(symbols)})"
        # Two names with no tick between them would read back as one name.
        merges = _NAME_CHAR.match(diagram[-1:]) and _NAME_CHAR.match(symbol)
        if column < len(diagram) or (column == len(diagram) and merges):
            raise UsageError(
                f"cannot draw {symbol!r} at column {column} right after "
                f"{diagram!r}; use a smaller timespan"
            )
        diagram += "-" * (column - len(diagram)) + symbol
    return diagram
