"""Replaying recorded token streams: in virtual time, and on real timer threads."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from reactivex import abc
from reactivex.scheduler import (
    CurrentThreadScheduler,
    ImmediateScheduler,
    TimeoutScheduler,
)
from reactivex.testing import ReactiveTest, TestScheduler

import rxstruct as rs
from rxstruct.sources import (
    Recording,
    demo_recording_path,
    load_recording,
    replay,
)
from tests.helpers import FIXTURES, collect


def test_replay_emits_at_recorded_times() -> None:
    """Each delta arrives at its recorded time (virtual), then completion."""
    scheduler = TestScheduler()
    events = [(0.5, '{"a"'), (1.25, ": 1"), (3.0, "}")]
    results = scheduler.start(lambda: replay(events))  # subscribed at 200
    assert results.messages == [
        ReactiveTest.on_next(200.5, '{"a"'),
        ReactiveTest.on_next(201.25, ": 1"),
        ReactiveTest.on_next(203.0, "}"),
        ReactiveTest.on_completed(203.0),
    ]


def test_replay_speed() -> None:
    """speed=2 replays twice as fast."""
    scheduler = TestScheduler()
    results = scheduler.start(lambda: replay([(2.0, "[1]")], speed=2.0))
    assert [m.time for m in results.messages] == [201.0, 201.0]


def test_replay_dispose_stops() -> None:
    """Disposing the subscription stops the replay."""
    scheduler = TestScheduler()
    results = scheduler.start(lambda: replay([(1.0, "a"), (5.0, "b")]), disposed=203)
    assert results.messages == [ReactiveTest.on_next(201.0, "a")]


def test_bad_speed() -> None:
    """A non-positive speed is a usage error."""
    with pytest.raises(rs.UsageError):
        replay([], speed=0)


def test_load_recording_matches_fixture() -> None:
    """The bundled demo recording loads with header and deltas."""
    recording = load_recording(demo_recording_path())
    assert isinstance(recording, Recording)
    assert recording.header["case"] == "recipes"
    assert json.loads(recording.text)["recipes"]
    fixture = load_recording(FIXTURES / "recipes-3.jsonl")
    assert fixture == recording


def test_load_recording_rejects_bad_lines(tmp_path: Path) -> None:
    """A line without a delta is reported with its line number."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"case": "x"}\n{"t": 1}\n', encoding="utf-8")
    with pytest.raises(rs.UsageError, match=":2:"):
        load_recording(path)


def test_replay_same_time_deltas_in_virtual_time() -> None:
    """Deltas sharing a timestamp arrive together, in order, at that time."""
    scheduler = TestScheduler()
    events = [((i // 2) * 0.5, str(i)) for i in range(6)]
    results = scheduler.start(lambda: replay(events))
    assert results.messages == [
        *(ReactiveTest.on_next(200.0 + (i // 2) * 0.5, str(i)) for i in range(6)),
        ReactiveTest.on_completed(201.0),
    ]


def test_replay_same_time_deltas_on_real_timer_threads() -> None:
    """Issue 11.1: on the default TimeoutScheduler no run stops half-way.

    Same-time deltas at high speed made a late timer thread overwrite (and so
    cancel) its successor's timer; 50 runs of 40 deltas, each must complete.
    """
    events = [((i // 2) * 0.01, str(i)) for i in range(40)]
    for run in range(50):
        outcome = collect(replay(events, speed=50))
        assert outcome.completed, f"run {run}: {outcome.error!r}"
        assert outcome.values == [text for _, text in events], f"run {run}"


def test_replay_a_recording_at_high_speed_on_real_threads() -> None:
    """A real recording replayed at speed 50 arrives whole, every time."""
    recording = load_recording(demo_recording_path())
    for _ in range(3):
        outcome = collect(replay(recording, speed=50))
        assert outcome.completed and outcome.values == list(recording.deltas)


MANY = 10_000


@pytest.mark.parametrize(
    "make_scheduler",
    [ImmediateScheduler, CurrentThreadScheduler, TestScheduler, TimeoutScheduler],
    ids=lambda make: make.__name__,
)
def test_replay_ten_thousand_deltas_on_any_scheduler(
    make_scheduler: Callable[[], abc.SchedulerBase],
) -> None:
    """Issue 11.2: no recursion per delta, whatever the scheduler."""
    scheduler = make_scheduler()
    # An ImmediateScheduler cannot wait: every delta is due at subscription.
    step = 0.0 if isinstance(scheduler, ImmediateScheduler) else 1e-5
    events = [(i * step, f"{i},") for i in range(MANY)]
    tokens = replay(events, scheduler=scheduler)
    if isinstance(scheduler, TestScheduler):
        results = scheduler.start(lambda: tokens, disposed=10_000)
        values = [m.value.value for m in results.messages if m.value.kind == "N"]
        assert results.messages[-1].value.kind == "C"
    else:
        outcome = collect(tokens)
        assert outcome.completed, repr(outcome.error)
        values = outcome.values
    assert values == [text for _, text in events]


def test_replay_on_an_immediate_scheduler_cannot_wait() -> None:
    """A delta due later is a usage error on a scheduler that cannot wait."""
    outcome = collect(replay([(0.0, "a"), (1.0, "b")], scheduler=ImmediateScheduler()))
    assert outcome.values == ["a"]
    assert isinstance(outcome.error, rs.UsageError)
    assert "delta #1" in str(outcome.error)


def test_replay_infinite_speed_emits_at_once() -> None:
    """speed=math.inf replays everything at the moment of subscription."""
    outcome = collect(
        replay([(0.0, "a"), (9.0, "b")], speed=math.inf, scheduler=ImmediateScheduler())
    )
    assert outcome.values == ["a", "b"] and outcome.completed


def test_replay_on_next_error_goes_to_on_error() -> None:
    """A subscriber's on_next failing ends the replay through on_error."""
    errors: list[Exception] = []

    def fail(_: str) -> None:
        raise ValueError("subscriber")

    replay([(0.0, "a"), (0.0, "b")], scheduler=ImmediateScheduler()).subscribe(
        fail, errors.append
    )
    assert [str(e) for e in errors] == ["subscriber"]


def test_replay_on_completed_error_reaches_the_caller() -> None:
    """On the caller's thread, a failing on_completed is raised to the caller."""

    def fail() -> None:
        raise ValueError("subscriber")

    with pytest.raises(ValueError, match="subscriber"):
        replay([(0.0, "a")], scheduler=CurrentThreadScheduler()).subscribe(
            on_completed=fail
        )
