"""Replaying recorded token streams, in virtual time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reactivex.testing import ReactiveTest, TestScheduler

import rxstruct as rs
from rxstruct.sources import (
    Recording,
    demo_recording_path,
    load_recording,
    replay,
)
from tests.helpers import FIXTURES


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
