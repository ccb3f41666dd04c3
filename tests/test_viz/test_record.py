"""Recording pipelines stage by stage: lanes, marbles, order, labels, times."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pytest
import reactivex as rx
from reactivex import compose
from reactivex import operators as ops
from reactivex.scheduler import TimeoutScheduler
from reactivex.testing import TestScheduler

import rxstruct as rs
from rxstruct import viz
from rxstruct.sources import replay
from rxstruct.testing import token_marbles
from tests.helpers import MODELS, load
from tests.helpers.models import Idea, Movie


def _closing_times(name: str, path: str) -> list[float]:
    """When each element of the list at ``path`` closed, read off the recording."""
    recording = load(name)
    times = []
    decoder = rs.PartialJsonDecoder()
    for at, delta in recording.events():
        snapshot = decoder.feed(delta)
        for closed_path, _ in snapshot.completed:
            if len(closed_path) == 2 and closed_path[0] == path:
                times.append(at)
    return times


def test_chained_stages_make_one_lane_each_in_order() -> None:
    recording = load("ideas")
    scheduler = TestScheduler()
    diagram = viz.record(
        replay(recording, scheduler=scheduler),
        {
            "snapshots": rs.accumulate_json(),
            "partials": rs.to_partial(MODELS["ideas"]),
            "distinct": rs.distinct_fields(),
            "debounce(0.5)": rs.debounce(0.5, scheduler=scheduler),
        },
        scheduler=scheduler,
        source_name="tokens",
    )
    names = [lane.name for lane in diagram.lanes]
    assert names == ["tokens", "snapshots", "partials", "distinct", "debounce(0.5)"]
    tokens = diagram["tokens"]
    # The source lane is the recording itself: every delta, at its own time.
    assert tokens.values() == list(recording.deltas)
    assert tokens.times() == pytest.approx(list(recording.times))
    assert tokens.completed_at == pytest.approx(recording.times[-1])
    counts = diagram.counts()
    assert counts["snapshots"] == len(recording.deltas) + 1  # + the done snapshot
    assert counts["tokens"] > counts["distinct"] > counts["debounce(0.5)"] > 1
    for lane in diagram.lanes:
        times = [m.time for m in lane.marbles]
        assert times == sorted(times)
        assert lane.marbles[-1].kind == "completed"
    # Each stage reads the previous one: the drop count is per operator.
    summary = {s.name: s for s in diagram.summary()}
    assert summary["tokens"].dropped is None
    assert summary["snapshots"].dropped == 0
    assert summary["distinct"].input == "partials"
    assert summary["distinct"].dropped == counts["partials"] - counts["distinct"]
    assert summary["debounce(0.5)"].dropped == (
        counts["distinct"] - counts["debounce(0.5)"]
    )
    assert summary["tokens"].first_value == pytest.approx(recording.times[0])


def test_the_same_counts_as_running_the_pipeline_without_viz() -> None:
    scheduler = TestScheduler()
    counted: list[int] = []
    replay(load("recipes"), scheduler=scheduler).pipe(
        rs.accumulate_json(),
        rs.to_partial(MODELS["recipes"]),
        rs.distinct_fields(),
        ops.count(),
    ).subscribe(counted.append)
    scheduler.start()
    scheduler = TestScheduler()
    diagram = viz.record(
        replay(load("recipes"), scheduler=scheduler),
        [
            ("json", rs.accumulate_json()),
            ("partial", rs.to_partial(MODELS["recipes"])),
            ("distinct", rs.distinct_fields()),
        ],
        scheduler=scheduler,
    )
    assert diagram.counts()["distinct"] == counted[0]


def test_list_items_appear_when_their_element_closes_with_their_labels() -> None:
    scheduler = TestScheduler()
    diagram = viz.record(
        replay(load("ideas"), scheduler=scheduler),
        {"items": compose(rs.accumulate_json(), rs.new_list_items(Idea, path="ideas"))},
        scheduler=scheduler,
    )
    items = diagram["items"]
    assert [m.label for m in items.marbles if m.kind == "next"] == [
        "#0 Notes on…",
        "#1 Notes on…",
        "#2 Notes on…",
    ]
    assert items.times() == pytest.approx(_closing_times("ideas", "ideas"))
    assert [item.index for item in items.values()] == [0, 1, 2]
    details = [m.detail for m in items.marbles if m.kind == "next"]
    assert all("title='Notes on the Go'" in detail for detail in details)
    assert items.summary(diagram["source"]).dropped == len(load("ideas").deltas) - 3


def test_branches_all_read_the_source_side_by_side() -> None:
    scheduler = TestScheduler()
    partials = compose(rs.accumulate_json(), rs.to_partial(MODELS["recipes"]))
    diagram = viz.record(
        replay(load("recipes"), scheduler=scheduler),
        {
            f"debounce({interval})": compose(
                partials, rs.debounce(interval, scheduler=scheduler)
            )
            for interval in (0.25, 0.5, 1.0)
        },
        branches=True,
        scheduler=scheduler,
    )
    counts = diagram.counts()
    assert counts["source"] == len(load("recipes").deltas)
    assert counts["debounce(0.25)"] > counts["debounce(0.5)"] > counts["debounce(1.0)"]
    assert {lane.input for lane in diagram.lanes[1:]} == {"source"}
    # Every branch flushes its last value when the stream completes.
    end = diagram["source"].completed_at
    for lane in diagram.lanes:
        assert lane.completed_at == end
        assert lane.times()[-1] == end or lane.name == "source"


def test_snapshot_labels_show_the_end_of_what_was_written() -> None:
    chunks = {"a": '{"name": "Le', "b": 'ek soup", "n": 4', "c": "2}"}
    diagram = viz.record(
        token_marbles("-a-b-c|", chunks),
        {"json": rs.accumulate_json()},
        scheduler=TestScheduler(),
    )
    json_lane = diagram["json"]
    labels = [m.label for m in json_lane.marbles if m.kind == "next"]
    assert labels == ['{"name":"Le', '…:"Leek soup', '…oup","n":42', '…oup","n":42']
    assert json_lane.marbles[-2].detail.endswith("(done)")
    source_labels = [m.label for m in diagram["source"].marbles if m.kind == "next"]
    assert source_labels == ['\'{"name": "…', "'ek soup\", …", "'2}'"]


def test_a_truncated_stream_ends_its_lane_with_the_error() -> None:
    recording = load("movies")
    scheduler = TestScheduler()
    diagram = viz.record(
        replay(recording, scheduler=scheduler),
        {"json": rs.accumulate_json(), "movies": rs.new_list_items(Movie)},
        scheduler=scheduler,
    )
    for name in ("json", "movies"):
        lane = diagram[name]
        assert lane.marbles[-1].kind == "error"
        assert isinstance(lane.error, rs.IncompleteJsonError)
        assert lane.marbles[-1].label == "IncompleteJsonError"
    assert diagram["source"].marbles[-1].kind == "completed"
    assert [s.ended for s in diagram.summary()] == ["completed", "error", "error"]
    assert "#" in diagram.text().splitlines()[3]


def test_a_resubscription_after_an_error_is_drawn_as_a_restart() -> None:
    scheduler = TestScheduler()
    recorder = viz.Recorder(scheduler)
    attempts = iter(["-a-#", "-a-b|"])

    def attempt() -> rx.Observable[str]:
        return token_marbles(next(attempts))

    rx.defer(lambda _: attempt()).pipe(
        recorder.tap("attempts"), ops.retry(2), recorder.tap("out", input="attempts")
    ).subscribe(scheduler=scheduler)
    scheduler.start()
    lane = recorder.lanes[0]
    assert [(m.time, m.kind) for m in lane.marbles] == [
        (1.0, "next"),
        (3.0, "error"),
        (3.0, "retry"),
        (4.0, "next"),
        (6.0, "next"),
        (7.0, "completed"),
    ]
    assert lane.marbles[2].label == "attempt 2"
    summary = recorder.diagram().summary()
    assert summary[0].retries == 1 and summary[0].ended == "completed"
    assert [m.kind for m in recorder.lanes[1].marbles] == [
        "next",
        "next",
        "next",
        "completed",
    ]
    assert "R" in recorder.diagram().text().splitlines()[2]


@dataclass(frozen=True, kw_only=True)
class Retrying:
    """The shape of the structured call's retry event (issue 13)."""

    attempt: int
    error: Exception
    kind: str = "retrying"


def test_a_retry_event_in_the_stream_is_drawn_as_a_restart_marble() -> None:
    error = rs.UsageError("age: Input should be a valid integer")
    events = {"a": "x", "r": Retrying(attempt=2, error=error), "b": "y"}
    diagram = viz.record(
        rx.from_marbles("-a-r-b|", lookup=events),
        scheduler=TestScheduler(),
        source_name="events",
    )
    kinds = [(m.kind, m.label) for m in diagram["events"].marbles]
    assert kinds == [
        ("next", "'x'"),
        ("retry", "retry 2"),
        ("next", "'y'"),
        ("completed", ""),
    ]
    assert "age: Input should be a valid integer" in diagram["events"].marbles[1].detail
    assert diagram.summary()[0].retries == 1
    assert diagram.counts() == {"events": 2}


def test_real_time_replay_sped_up_is_drawn_on_the_recordings_own_axis() -> None:
    recording = load("user")  # 28 deltas over about one second
    speed = 10.0
    started = time.monotonic()
    diagram = viz.record(
        replay(recording, speed=speed),
        {"json": rs.accumulate_json()},
        speed=speed,
        scheduler=TimeoutScheduler(),
        timeout=10,
    )
    elapsed = time.monotonic() - started
    times = diagram["source"].times()
    assert diagram["source"].values() == list(recording.deltas)
    assert times == sorted(times)
    # On the recording's axis: never early (a timer does not fire before it is
    # due), late only by what a loaded machine adds (lag is multiplied by 10).
    for measured, recorded in zip(times, recording.times, strict=True):
        assert recorded - 0.02 <= measured <= recorded + 10 * elapsed
    assert elapsed < recording.times[-1]  # it did run faster than recorded
    assert diagram["json"].values()[-1].value == json.loads(recording.text)


def test_a_real_time_run_that_does_not_finish_raises_timeout() -> None:
    with pytest.raises(TimeoutError):
        viz.record(rx.never(), timeout=0.05)


def test_stage_names_must_be_distinct() -> None:
    with pytest.raises(rs.UsageError):
        viz.record(rx.of("a"), [("x", ops.map(str)), ("x", ops.map(str))])
    with pytest.raises(rs.UsageError):
        viz.record(rx.of("a"), {"source": ops.map(str)})
    with pytest.raises(rs.UsageError):
        viz.Recorder(speed=0)
    recorder = viz.Recorder()
    recorder.tap("b", input="a")
    with pytest.raises(rs.UsageError):
        recorder.tap("b", input="c")
