"""The cost guard of to_partial: work per chunk stays flat as the list grows.

Counts work, never time, like ``tests/test_json/test_cost.py`` does for the decoder:
Python-level calls (``sys.setprofile`` events) of ``to_partial`` per snapshot,
and its temporary allocation (``tracemalloc`` peak, 90th percentile), late in a
``{"ideas": [...]}`` document of 1 KB, 100 KB and 1 MB, whose open top-level
list then holds ~5, ~500 and ~5,000 converted ideas.

Every emission carries an ``ideas`` list that never changes afterwards. The
consumer here keeps only the latest emission, as a UI does, so the list of the
one before it is free again when the next is built and is brought up to date in
place: nothing grows with the document, not even that list's array. A consumer
that keeps every emission gets a new list each time (checked below).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from reactivex.subject import Subject

import rxstruct as rs
from rxstruct.json import JsonSnapshot, PartialJsonDecoder
from tests.helpers import (
    CHUNK,
    list_of_models,
    mean_profile_events,
    p90_transient_bytes,
)

WINDOW = 300
POINTER = 8  # bytes per list element


class Idea(BaseModel):
    title: str
    blurb: str
    score: int
    tags: list[str]


class Ideas(BaseModel):
    ideas: list[Idea]


class Cost:
    """Work of to_partial per snapshot, late in one document."""

    def __init__(self, calls: float, peak: int, width: int) -> None:
        self.calls = calls  # mean profile events per snapshot
        self.peak = peak  # p90 temporary bytes per snapshot
        self.width = width  # converted ideas in the open list at the end

    def __repr__(self) -> str:
        return f"Cost(calls={self.calls:.1f}, peak={self.peak}, width={self.width})"


def work_per_chunk(document: str) -> Cost:
    """Profile events and p90 transient bytes of to_partial per snapshot."""
    chunks = [document[i : i + CHUNK] for i in range(0, len(document), CHUNK)]
    size = min(WINDOW, len(chunks) // 3)
    decoder = PartialJsonDecoder()
    source: Subject[JsonSnapshot] = Subject()
    last: list[Any] = [None]

    def keep(value: Any) -> None:
        last[0] = value  # a consumer holding the latest emission

    source.pipe(rs.to_partial(Ideas)).subscribe(keep)
    for chunk in chunks[: -2 * size]:
        source.on_next(decoder.feed(chunk))

    # Snapshots are taken outside the measurement: only to_partial counts.
    window = [decoder.feed(chunk) for chunk in chunks[-2 * size : -size]]
    events = mean_profile_events(source.on_next, window)
    del window
    late = (decoder.feed(chunk) for chunk in chunks[-size:])
    peak = p90_transient_bytes(source.on_next, late)
    width = len(last[0].ideas)
    source.on_next(decoder.close())
    return Cost(events, peak, width)


@pytest.fixture(scope="module")
def costs() -> dict[int, Cost]:
    return {
        size: work_per_chunk(list_of_models(size))
        for size in (1_000, 100_000, 1_000_000)
    }


def test_documents_have_wide_lists(costs: dict[int, Cost]) -> None:
    """The guard measures what it claims: the open list grows with the document."""
    assert costs[1_000_000].width > 100 * costs[1_000].width, costs


def test_calls_per_chunk_are_flat(costs: dict[int, Cost]) -> None:
    """Python calls per 4-character chunk at 1 MB are those at 1 KB."""
    small = costs[1_000].calls
    for size in (100_000, 1_000_000):
        assert costs[size].calls <= small * 1.25, (size, costs[size], small)


def test_temporary_memory_is_flat(costs: dict[int, Cost]) -> None:
    """Keeping only the latest emission, nothing allocated grows with the document.

    A copy of the open list per emission (8 bytes per element) would exceed
    the bound from 100 KB on.
    """
    small = costs[1_000]
    bound = 2 * small.peak + 512
    for size in (100_000, 1_000_000):
        cost = costs[size]
        assert POINTER * cost.width > bound, cost  # a copy would show
        assert cost.peak <= bound, (size, cost, small)


def test_emissions_share_closed_items() -> None:
    """Each emission has its own list, never changed later; closed ideas are shared."""
    document = list_of_models(4_000)
    chunks = [document[i : i + CHUNK] for i in range(0, len(document), CHUNK)]
    decoder = PartialJsonDecoder()
    builder = rs.PartialBuilder(Ideas)
    shown: list[Any] = []
    copies: list[list[Any]] = []
    for chunk in chunks:
        partial = builder.feed(decoder.feed(chunk))
        if partial is not None and partial.ideas:
            shown.append(partial)
            copies.append(list(partial.ideas))
    builder.feed(decoder.close())
    assert [list(p.ideas) for p in shown] == copies
    first, later = shown[len(shown) // 2], shown[-1]
    assert first.ideas is not later.ideas
    closed = len(first.ideas) - 1
    assert closed > 0
    assert all(a is b for a, b in zip(first.ideas[:closed], later.ideas, strict=False))


def test_instances_built_without_validation_are_real_models() -> None:
    """Partials built slot by slot behave as pydantic instances in every way."""
    decoder = PartialJsonDecoder()
    builder = rs.PartialBuilder(Ideas)
    partial = builder.feed(
        decoder.feed('{"ideas": [{"title": "A", "score": 3, "tags": ["x"]}, {"ti')
    )
    partial = builder.feed(decoder.feed('tle": "B'))
    assert partial is not None
    first, second = partial.ideas
    assert repr(first) == "PartialIdea(title='A', blurb=None, score=3, tags=['x'])"
    assert second.model_fields_set == {"title"}
    assert second.model_dump(exclude_unset=True) == {"title": "B"}
    assert partial.model_dump_json() == (
        '{"ideas":[{"title":"A","blurb":null,"score":3,"tags":["x"]},'
        '{"title":"B","blurb":null,"score":null,"tags":null}]}'
    )
    same = rs.partial_model(Idea)(title="A", score=3, tags=["x"])
    assert first == same and same == first
    assert first.model_copy(update={"blurb": "b"}).blurb == "b"
    assert first.blurb is None  # the copy did not touch the emitted instance
    assert rs.completed(partial) >= {"ideas[0]", "ideas[0].title"}
    assert not rs.is_complete(partial, "ideas[1]")


def test_emissions_sharing_a_fields_set_stay_independent() -> None:
    """Emissions of one open object share its fields set; a copy never leaks into it."""
    decoder = PartialJsonDecoder()
    builder = rs.PartialBuilder(Ideas)
    before = builder.feed(decoder.feed('{"ideas": [{"title": "A'))
    after = builder.feed(decoder.feed("B"))
    assert before is not None and after is not None
    first, second = before.ideas[0], after.ideas[0]
    assert (first.title, second.title) == ("A", "AB")
    assert first.model_fields_set == second.model_fields_set == {"title"}
    copy = first.model_copy(update={"blurb": "x"})
    assert copy.model_fields_set == {"title", "blurb"}
    assert first.model_fields_set == second.model_fields_set == {"title"}
    assert before.model_dump(exclude_unset=True) == {"ideas": [{"title": "A"}]}
