"""The rule for list items across attempts, as a property of ``across_attempts``."""

from __future__ import annotations

import json
from typing import Any

import reactivex as rx
from hypothesis import given
from hypothesis import strategies as st
from reactivex.subject import Subject

import rxstruct as rs
from rxstruct import operators as rxs
from rxstruct._retry import across_attempts

WORDS = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=6)


def _path(event: Any) -> Any:
    return event.path


@given(first=WORDS, second=WORDS, cut=st.integers(0, 40))
def test_ui_rebuilt_from_items_and_drops_is_the_last_answer(
    first: list[str], second: list[str], cut: int
) -> None:
    """Items + ItemsDropped rebuild exactly the last answer's list, and an item
    repeated unchanged at the same place is never emitted twice."""
    snapshots: Subject[Any] = Subject()
    restarts: Subject[Any] = Subject()
    events: list[Any] = []
    across_attempts(
        snapshots,
        restarts,
        lambda: rxs.new_list_items(str, path="items"),
        key=_path,
        dropped=lambda paths: rs.ItemsDropped(paths=paths),
    ).subscribe(events.append)

    # Attempt 1 is cut anywhere (it failed); attempt 2 completes.
    text = json.dumps({"items": first})
    rx.of(*text[:cut] or [""]).pipe(rxs.accumulate_json()).subscribe(
        snapshots.on_next, lambda _: None
    )
    shown_first = [e.value for e in events]
    restarts.on_next("attempt 2")
    rx.of(json.dumps({"items": second})).pipe(rxs.accumulate_json()).subscribe(
        snapshots
    )

    ui: dict[Any, str] = {}
    for event in events:
        if isinstance(event, rs.ItemsDropped):
            for path in event.paths:
                del ui[path]
        else:
            ui[event.path] = event.value
    assert [ui[path] for path in sorted(ui)] == second
    second_emitted = [e for e in events[len(shown_first) :] if e.kind == "list_item"]
    for item in second_emitted:
        index = item.index
        assert not (index < len(shown_first) and shown_first[index] == item.value)
    assert len(second_emitted) == sum(
        1
        for index, value in enumerate(second)
        if index >= len(shown_first) or shown_first[index] != value
    )
