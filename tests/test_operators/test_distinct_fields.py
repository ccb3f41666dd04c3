"""rxstruct.distinct_fields: drop emissions that change nothing (at the paths).

Soundness: a dropped emission shows exactly the values of the last one that
passed. Precision: an emission that passes (other than the first and the final
one) shows different values than the last one that passed. Final once: of the
emissions whose whole value is complete (the last bracket's, the ``done`` one),
exactly the first passes, and it is the last to pass.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
import reactivex
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from reactivex import operators as ops

import rxstruct as rs
from tests.helpers import MODELS, load, truncated


def state(partial: Any) -> Any:
    """What a UI shows of a partial: its values."""
    return partial.model_dump() if isinstance(partial, BaseModel) else list(partial)


def complete(partial: Any) -> bool:
    return rs.is_complete(partial)


def run(model: Any, chunks: list[str], *paths: str) -> tuple[list[Any], list[Any]]:
    """(every partial, the partials distinct_fields lets through)."""
    partials = reactivex.from_iterable(chunks).pipe(
        rs.accumulate_json(), rs.to_partial(model), ops.share()
    )
    every: list[Any] = []
    kept: list[Any] = []
    partials.pipe(ops.do_action(every.append), rs.distinct_fields(*paths)).subscribe(
        kept.append, lambda error: None
    )
    return every, kept


def check_sound_and_precise(every: list[Any], kept: list[Any]) -> None:
    kept_ids = {id(p) for p in kept}
    assert every[0] is kept[0]
    finals = [p for p in every if complete(p)]
    if finals:  # the stream completed: its first complete emission passes, last
        assert [p for p in kept if complete(p)] == [finals[0]]
        assert kept[-1] is finals[0]
    last = every[0]
    for partial in every[1:]:
        if id(partial) in kept_ids:
            if not complete(partial):
                assert state(partial) != state(last), "passed without a change"
            last = partial
        else:
            assert state(partial) == state(last), "dropped a change"


class Post(BaseModel):
    title: str
    body: str
    tags: list[str]


class Recipe(BaseModel):
    name: str
    minutes: int
    kind: Literal["soup", "salad"]
    steps: list[str]


class TestNoPaths:
    def test_drops_chunks_without_visible_change(self) -> None:
        """Whitespace, keys, digits of a number and a hidden Literal are dropped."""
        text = '{"name": "Leek soup", "minutes": 45, "kind": "soup", "steps": ["a"]}'
        every, kept = run(Recipe, list(text))
        check_sound_and_precise(every, kept)
        assert len(kept) < len(every) / 2

    @pytest.mark.parametrize("name", ["recipes", "numbers", "user", "movies"])
    def test_recordings(self, name: str) -> None:
        """Real streams: sound and precise."""

        recording = load(name)
        every, kept = run(MODELS[name], recording.deltas)
        assert truncated(recording) == (not complete(every[-1]))
        check_sound_and_precise(every, kept)
        assert len(kept) < len(every)


class Doc(BaseModel):
    title: str
    items: list[Post]


DOC = {
    "title": "News",
    "items": [
        {"title": "One", "body": "first", "tags": ["x"]},
        {"title": "Two", "body": "second", "tags": []},
    ],
}


class TestPaths:
    def test_only_named_paths(self) -> None:
        """With paths, only changes at, below or above them pass."""
        every, kept = run(Doc, list(json.dumps(DOC)), "items[*].title")
        titles = [[item.title for item in p.items or []] for p in kept]
        # every visible change of an item title made it through
        seen = {tuple(t) for t in titles}
        assert {tuple([item.title for item in p.items or []]) for p in every} <= seen
        bodies = {p.items[0].body for p in every if p.items and p.items[0].body}
        assert len(
            {p.items[0].body for p in kept if p.items and p.items[0].body}
        ) < len(bodies)

    def test_field(self) -> None:
        """A top-level field."""
        every, kept = run(Doc, list(json.dumps(DOC)), "title")
        titles = [p.title for p in kept]
        # the title's closing quote changes nothing shown; the last bracket
        # completes the whole value, which passes once
        assert titles == [None, "", "N", "Ne", "New", "News", "News"]
        assert [complete(p) for p in kept] == [False] * 6 + [True]

    def test_pattern_objects(self) -> None:
        """PathPattern objects are accepted too."""
        _, by_text = run(Doc, list(json.dumps(DOC)), "title")
        _, by_pattern = run(Doc, list(json.dumps(DOC)), rs.PathPattern.parse("title"))
        assert [state(p) for p in by_text] == [state(p) for p in by_pattern]

    def test_bad_pattern(self) -> None:
        """A malformed pattern fails when the operator is built."""
        with pytest.raises(rs.UsageError):
            rs.distinct_fields("items[")


class TestSnapshots:
    def test_on_snapshots(self) -> None:
        """On snapshots, it uses the decoder's changed paths (JSON keys)."""
        snapshots: list[rs.JsonSnapshot] = []
        reactivex.from_iterable(list('{"a": "xy",  "b": 12}')).pipe(
            rs.accumulate_json(), rs.distinct_fields()
        ).subscribe(snapshots.append)
        assert [s.value for s in snapshots] == [
            {},
            {"a": ""},
            {"a": "x"},
            {"a": "xy"},
            {"a": "xy"},  # the string closed: on snapshots completion counts
            {"a": "xy", "b": 12},  # "}" completes 12 and the object
        ]  # the done snapshot adds nothing: the complete value passed once

    def test_on_snapshots_with_path(self) -> None:
        """Paths on snapshots are JSON keys."""
        snapshots: list[rs.JsonSnapshot] = []
        reactivex.from_iterable(list('{"a": "xy", "b": 12}')).pipe(
            rs.accumulate_json(), rs.distinct_fields("b")
        ).subscribe(snapshots.append)
        assert [s.value for s in snapshots] == [{}, {"a": "xy", "b": 12}]
        assert [s.done for s in snapshots] == [False, False]


class TestPassThrough:
    def test_gap_passes(self) -> None:
        """After an upstream stage dropped emissions, the next one passes."""
        chunks = list('{"title": "ab", "body": "c", "tags": []}')
        partials = reactivex.from_iterable(chunks).pipe(
            rs.accumulate_json(), rs.to_partial(Post)
        )
        every: list[Any] = []
        partials.subscribe(every.append)
        kept: list[Any] = []
        partials.pipe(
            ops.filter(lambda p: p.title != "a"),  # drops one emission
            rs.distinct_fields(),
        ).subscribe(kept.append)
        after_gap = next(p for p in every if p.title == "ab")
        assert any(p == after_gap for p in kept)

    def test_items_without_change_information_pass(self) -> None:
        """Other values go through unchanged."""
        out: list[int] = []
        reactivex.of(1, 1, 2).pipe(rs.distinct_fields()).subscribe(out.append)
        assert out == [1, 1, 2]

    def test_complete_value_passes_once(self) -> None:
        """The chunk completing the value passes; the done snapshot's copy not."""
        every, kept = run(Post, ['{"title": "t", "body": "b", "tags": []}'])
        assert len(every) == 2  # the chunk, then done
        assert kept == [every[0]]

    def test_done_passes_when_it_completes_the_value(self) -> None:
        """A top-level number completes only at the end of the stream."""
        every, kept = run(int, ["4", "2"])
        assert every == [42]  # the digits show nothing until the end
        assert kept == every

    def test_last_partial_is_delivered_once(self) -> None:
        """Issue 12: closing quote, closing brackets and done no longer repeat
        the last partial; its value shows once, then once more complete."""
        chunks = ['{"title": "t", "body": "Hel', "lo", '"', "}", "  "]
        every, kept = run(Post, chunks)
        bodies = [p.body for p in every]
        assert bodies == ["Hel", "Hello", "Hello", "Hello", "Hello", "Hello"]
        # "Hello" grew (passes), '"' and "  " and done change nothing, "}"
        # completes the value (passes, once).
        assert [p.body for p in kept] == ["Hel", "Hello", "Hello"]
        assert [complete(p) for p in kept] == [False, False, True]
        assert kept[-1] is every[3]

    def test_validate_final_after_distinct_fields(self) -> None:
        """A stage after distinct_fields still ends on the complete value."""
        chunks = ['{"title": "t", "tags": [], "body": "Hel', 'lo"', "}", " "]
        final = (
            reactivex.from_iterable(chunks)
            .pipe(
                rs.accumulate_json(),
                rs.to_partial(Post),
                rs.distinct_fields(),
                rs.validate_final(Post),
            )
            .run()
        )
        assert final == Post(title="t", body="Hello", tags=[])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "title": st.text(max_size=8),
                "body": st.text(max_size=8),
                "tags": st.lists(st.text(max_size=4), max_size=3),
            }
        ),
        max_size=4,
    ),
    st.integers(1, 5),
)
def test_sound_and_precise(items: list[dict[str, Any]], size: int) -> None:
    """Random documents in random chunk sizes: nothing lost, nothing repeated."""
    text = json.dumps({"title": "T", "items": items}, indent=1)
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    every, kept = run(Doc, chunks)
    check_sound_and_precise(every, kept)
