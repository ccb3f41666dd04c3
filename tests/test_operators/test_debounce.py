"""rxstruct.operators.debounce: leading value at once, latest per interval, flush.

Marble columns are ticks of 1.0 virtual second, counted from the subscription
at 200. The rulers in comments number the columns.
"""

from __future__ import annotations

import doctest
import math
import re
import threading
from datetime import timedelta
from typing import Any

import anyio
import pytest
import reactivex
import trio
from hypothesis import given
from hypothesis import strategies as st
from reactivex import abc, typing
from reactivex.disposable import SingleAssignmentDisposable
from reactivex.notification import OnCompleted, OnNext
from reactivex.subject import Subject
from reactivex.testing import ReactiveTest, TestScheduler

from rxstruct import operators as rxs
from rxstruct.exceptions import UsageError
from rxstruct.testing import run_in_virtual_time, token_marbles
from tests.helpers import docstring_marble

on_next = ReactiveTest.on_next
on_completed = ReactiveTest.on_completed


def debounced(diagram: str, interval: float) -> str:
    """Run ``diagram`` through ``debounce(interval)`` and draw the output."""
    source = token_marbles(diagram)
    return run_in_virtual_time(source.pipe(rxs.debounce(interval))).marbles()


class TimerSpy(TestScheduler):
    """A TestScheduler that keeps every relative timer it hands out.

    Hot observables and ``TestScheduler.start`` schedule absolutely, so in a
    test built from those, every relative timer belongs to the operator.
    """

    def __init__(self) -> None:
        super().__init__()
        self.timers: list[abc.DisposableBase] = []

    def schedule_relative(
        self,
        duetime: typing.RelativeTime,
        action: abc.ScheduledAction[Any],
        state: Any = None,
    ) -> abc.DisposableBase:
        timer = super().schedule_relative(duetime, action, state)
        self.timers.append(timer)
        return timer


def is_disposed(timer: abc.DisposableBase) -> bool:
    """Whether a timer handed out by a virtual-time scheduler was cancelled."""
    assert isinstance(timer, SingleAssignmentDisposable)
    return timer.is_disposed


# Each row: the source diagram, the interval and what debounce draws, under the
# rule it shows. The rulers number the columns of the diagram under them.
MARBLES = [
    # The first value goes out at its arrival time, not after a window.
    ("---a-----|", 3, "---a-----|"),
    # A stream faster than the interval yields the latest value per window.
    # 0123456789012345
    ("-a--b--c--d--e|", 5, "-a----b----d--(e,|)"),
    # Values arriving together give the first at once and the last later.
    # 0123456789012
    ("-(a,b,c,d)---|", 3, "-a--d--------|"),
    # After a window closes with nothing held, the next value is not delayed.
    # 0123456789012
    ("-a-b------c-|", 3, "-a--b-----c-|"),
    # A held value is emitted at one window end and never repeated.
    # 0123456789012
    ("-a-b--------|", 3, "-a--b-------|"),
    # Completion emits the held value immediately, then completes.
    # 012345
    ("-a-b|", 5, "-a--(b,|)"),
    # Completing inside a window with nothing held emits nothing more.
    ("-a-|", 5, "-a-|"),
    # Completing after an idle window just completes.
    ("-a------|", 3, "-a------|"),
    # A one-value stream emits that value once.
    ("-a|", 3, "-a|"),
    # An empty stream completes at its own time.
    ("---|", 3, "---|"),
    # An error outside any window is forwarded unchanged.
    ("-a-----#", 3, "-a-----#"),
]


class TestMarbles:
    @pytest.mark.parametrize(("diagram", "interval", "output"), MARBLES)
    def test_marble(self, diagram: str, interval: float, output: str) -> None:
        """Each row of MARBLES: ``debounce(interval)`` draws ``output``."""
        assert debounced(diagram, interval) == output

    def test_silent_stream_emits_nothing(self) -> None:
        """A stream that never notifies gives no notifications."""
        run = run_in_virtual_time(reactivex.never().pipe(rxs.debounce(3)))
        assert run.messages == []

    def test_error_flushes_the_held_value_then_errors_at_once(self) -> None:
        """An error goes out at its arrival time, right after the held value."""
        boom = ValueError("boom")
        source = token_marbles("-a-b#", error=boom)
        run = run_in_virtual_time(source.pipe(rxs.debounce(5)))
        assert run.marbles() == "-a--(b,#)"
        assert run.error is boom

    def test_docstring_marble_matches_the_operator(self) -> None:
        """The marble diagram in the façade docstring is what the operator does."""
        source_row, operator_row, output_row, chunks, values = docstring_marble(
            rxs.debounce, {}
        )
        assert chunks == {} and values == {}  # the values are their own names
        match = re.fullmatch(r"\[\s*debounce\(([\d.]+)\)\s*\]", operator_row)
        assert match, operator_row
        assert debounced(source_row, float(match[1])) == output_row

    def test_docstring_example_runs(self) -> None:
        """The doctest example in the façade docstring passes."""
        runner = doctest.DocTestRunner()
        for test in doctest.DocTestFinder().find(rxs.debounce, "debounce"):
            runner.run(test)
        assert runner.summarize(verbose=False).failed == 0


class TestTiming:
    def test_exact_times_with_a_hot_source(self) -> None:
        """Emissions happen at arrival or at window ends, to the tick."""
        scheduler = TestScheduler()
        source = scheduler.create_hot_observable(
            on_next(150, "ignored"),
            on_next(210, "a"),
            on_next(212, "b"),
            on_next(214, "c"),
            on_next(235, "d"),
            on_next(237, "e"),
            on_completed(300),
        )
        observer = scheduler.start(lambda: source.pipe(rxs.debounce(10)))
        assert observer.messages == [
            on_next(210, "a"),
            on_next(220, "c"),
            on_next(235, "d"),
            on_next(245, "e"),
            on_completed(300),
        ]

    def test_value_arriving_as_the_window_ends_replaces_the_held_one(self) -> None:
        """A value arriving exactly at a window end is emitted at that end."""
        # The TestScheduler runs actions due at one time in scheduling order; the
        # hot source scheduled its notifications before the operator's timer.
        scheduler = TestScheduler()
        source = scheduler.create_hot_observable(
            on_next(201, "a"), on_next(203, "b"), on_next(204, "c"), on_completed(210)
        )
        observer = scheduler.start(lambda: source.pipe(rxs.debounce(3)))
        assert observer.messages == [
            on_next(201, "a"),
            on_next(204, "c"),
            on_completed(210),
        ]

    def test_fractional_interval(self) -> None:
        """A float interval opens windows of exactly that length."""
        source = token_marbles("-a-b-c|")
        run = run_in_virtual_time(source.pipe(rxs.debounce(2.5)))
        assert run.times() == [201.0, 203.5, 206.0]
        assert run.values() == ["a", "b", "c"]

    def test_timedelta_interval_equals_seconds(self) -> None:
        """``timedelta(seconds=n)`` behaves like ``n``."""
        diagram = "-a-b-c-d-e-f|"
        by_delta = run_in_virtual_time(
            token_marbles(diagram).pipe(rxs.debounce(timedelta(seconds=3)))
        )
        assert (
            by_delta.messages
            == run_in_virtual_time(
                token_marbles(diagram).pipe(rxs.debounce(3))
            ).messages
        )

    def test_disposal_cancels_the_pending_timer(self) -> None:
        """Disposing while a value is held cancels the window timer."""
        scheduler = TimerSpy()
        source = scheduler.create_hot_observable(
            on_next(201, "a"), on_next(202, "b"), on_completed(300)
        )
        observer = scheduler.start(lambda: source.pipe(rxs.debounce(5)), disposed=203)
        assert observer.messages == [on_next(201, "a")]
        assert scheduler.timers
        assert all(is_disposed(timer) for timer in scheduler.timers)

    def test_completion_cancels_the_pending_timer(self) -> None:
        """Completing inside a window cancels its timer."""
        scheduler = TimerSpy()
        source = scheduler.create_hot_observable(
            on_next(201, "a"), on_next(202, "b"), on_completed(203)
        )
        observer = scheduler.start(lambda: source.pipe(rxs.debounce(5)))
        assert observer.messages == [
            on_next(201, "a"),
            on_next(203, "b"),
            on_completed(203),
        ]
        assert len(scheduler.timers) == 1
        assert all(is_disposed(timer) for timer in scheduler.timers)

    def test_explicit_scheduler_wins_over_subscription_scheduler(self) -> None:
        """Timers run on the scheduler given to ``debounce``, not the subscriber's."""
        timers = TestScheduler()
        subject: Subject[str] = Subject()
        seen: list[str] = []
        subject.pipe(rxs.debounce(5, scheduler=timers)).subscribe(
            seen.append, scheduler=TestScheduler()
        )
        subject.on_next("a")
        subject.on_next("b")
        subject.on_next("c")
        assert seen == ["a"]
        timers.advance_to(4.0)
        assert seen == ["a"]
        timers.advance_to(5.0)
        assert seen == ["a", "c"]

    def test_default_scheduler_with_a_synchronous_source(self) -> None:
        """Without any scheduler, a synchronous source gives first and last."""
        seen: list[int] = []
        completed: list[bool] = []
        reactivex.of(1, 2, 3).pipe(rxs.debounce(60)).subscribe(
            seen.append, on_completed=lambda: completed.append(True)
        )
        assert seen == [1, 3]
        assert completed == [True]

    def test_each_subscription_has_its_own_state(self) -> None:
        """Subscribing twice to one debounced observable does not share windows."""
        once = token_marbles("-a-b|").pipe(rxs.debounce(5))
        run = run_in_virtual_time(reactivex.concat(once, once))
        assert run.values() == ["a", "b", "a", "b"]
        assert run.times() == [201.0, 204.0, 205.0, 208.0]

    @pytest.mark.parametrize(
        "interval", [0, -1.0, math.nan, timedelta(0), timedelta(seconds=-1)]
    )
    def test_non_positive_interval_is_a_usage_error(
        self, interval: float | timedelta
    ) -> None:
        """A zero, negative or NaN interval is refused when the operator is built."""
        with pytest.raises(UsageError, match="positive"):
            rxs.debounce(interval)


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[list[int], int]:
    """Arrival offsets (ties allowed) and a completion offset after the last."""
    gaps = draw(st.lists(st.integers(0, 8), max_size=25))
    offsets: list[int] = []
    now = 0
    for gap in gaps:
        now += gap
        offsets.append(now)
    return offsets, now + draw(st.integers(0, 8))


@given(
    timeline=arrivals(),
    interval=st.sampled_from([1, 2, 2.5, 3, 5, 7]),
)
def test_output_is_a_timely_subsequence(
    timeline: tuple[list[int], int], interval: float
) -> None:
    """Output is in-order, fresh, spaced by interval, and never late."""
    offsets, end = timeline
    scheduler = TestScheduler()
    source = scheduler.create_cold_observable(
        [on_next(t, i) for i, t in enumerate(offsets)] + [on_completed(end)]
    )
    records = scheduler.start(lambda: source.pipe(rxs.debounce(interval))).messages
    arrived = [200.0 + t for t in offsets]
    completed_at = 200.0 + end

    assert isinstance(records[-1].value, OnCompleted)
    assert records[-1].time == completed_at
    emitted = [
        (float(r.time), r.value.value)
        for r in records[:-1]
        if isinstance(r.value, OnNext)
    ]
    assert len(emitted) == len(records) - 1
    times = [t for t, _ in emitted]
    values = [v for _, v in emitted]

    # a subsequence of the input, in order, nothing twice, nothing stale
    assert values == sorted(set(values))
    # nothing emitted before it arrived
    assert all(t >= arrived[v] for t, v in emitted)
    if not offsets:
        assert emitted == []
        return
    # the first value at its arrival, the last value before completing
    assert emitted[0] == (arrived[0], 0)
    assert values[-1] == len(offsets) - 1
    # spaced by the interval, except a flush at completion
    spaced = times[:-1] if times[-1] == completed_at else times
    assert all(b - a >= interval for a, b in zip(spaced, spaced[1:], strict=False))
    # never late: every value is superseded or shown within one interval
    for index, at in enumerate(arrived):
        assert any(v >= index and t <= at + interval for t, v in emitted)
    # not delayed after a quiet interval: such an arrival is emitted at once
    for at in arrived:
        if all(t <= at - interval for t in times if t < at):
            assert at in times


class TestDefaultScheduler:
    """Without a scheduler the window timers follow the caller's event loop."""

    @pytest.mark.anyio
    async def test_inside_asyncio_every_emission_is_on_the_loop_thread(self) -> None:
        """Leading values and window ends alike run on the loop's thread
        (reactivex's TimeoutScheduler would deliver window ends on timer threads)."""
        loop_thread = threading.get_ident()
        subject: Subject[str] = Subject()
        seen: list[tuple[str, int]] = []
        held_emitted = anyio.Event()
        completed = anyio.Event()

        def on_next(value: str) -> None:
            seen.append((value, threading.get_ident()))
            if value == "c":
                held_emitted.set()

        subject.pipe(rxs.debounce(0.05)).subscribe(on_next, on_completed=completed.set)
        for value in "abc":  # "a" opens a window; "b" and "c" are held
            subject.on_next(value)
        assert seen == [("a", loop_thread)]
        with anyio.fail_after(10):
            await held_emitted.wait()  # "c" comes from the window's timer
        subject.on_next("d")  # inside the next window: held
        subject.on_completed()  # flushes "d"
        with anyio.fail_after(10):
            await completed.wait()
        assert seen == [(value, loop_thread) for value in "acd"]

    @pytest.mark.anyio
    async def test_a_given_scheduler_still_wins_inside_asyncio(self) -> None:
        """The subscription's scheduler (here virtual time) is used, not the loop."""
        assert debounced("-a-b-c-d-e-------f-g|", 5) == "-a----c----e-----f--(g,|)"

    def test_outside_any_loop_timers_run_on_timer_threads(self) -> None:
        """Synchronous code keeps reactivex's TimeoutScheduler."""
        subject: Subject[str] = Subject()
        threads: dict[str, int] = {}
        held_emitted = threading.Event()

        def on_next(value: str) -> None:
            threads[value] = threading.get_ident()
            if value == "b":
                held_emitted.set()

        subject.pipe(rxs.debounce(0.01)).subscribe(on_next)
        subject.on_next("a")
        subject.on_next("b")
        assert held_emitted.wait(10)
        assert threads["a"] == threading.get_ident()
        assert threads["b"] != threading.get_ident()

    def test_inside_trio_without_a_scheduler_fails_clearly(self) -> None:
        """Trio has no reactivex scheduler: a UsageError through on_error says
        what to pass; with a scheduler it works."""
        errors: list[Exception] = []
        values: list[str] = []

        async def main() -> None:
            source = reactivex.of("a", "b")
            source.pipe(rxs.debounce(1)).subscribe(on_error=errors.append)
            source.pipe(rxs.debounce(1, scheduler=TestScheduler())).subscribe(
                values.append
            )

        trio.run(main)
        [error] = errors
        assert isinstance(error, UsageError)
        assert "no default scheduler under trio" in str(error)
        assert "scheduler=" in str(error)
        assert values == ["a", "b"]
