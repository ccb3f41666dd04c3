"""The cost guard: work per chunk stays flat as the document grows.

Counts work, never time: Python-level calls (``sys.setprofile`` events) and
the temporary allocation (``tracemalloc`` peak, 90th percentile) of each feed. A decoder
that re-scanned or copied the buffer would grow both with the document.
"""

from __future__ import annotations

from typing import Any

import pytest

from rxstruct.json import PartialJsonDecoder
from tests.helpers import (
    CHUNK,
    list_of_models,
    mean_profile_events,
    p90_transient_bytes,
)

WINDOW = 300


def work_per_chunk(document: str) -> tuple[float, int]:
    """Mean profile events and p90 transient bytes per feed, late in the document."""
    chunks = [document[i : i + CHUNK] for i in range(0, len(document), CHUNK)]
    size = min(WINDOW, len(chunks) // 3)
    decoder = PartialJsonDecoder()
    for chunk in chunks[: -2 * size]:
        decoder.feed(chunk)
    events = mean_profile_events(decoder.feed, chunks[-2 * size : -size])
    peak = p90_transient_bytes(decoder.feed, chunks[-size:])
    decoder.close()
    return events, peak


@pytest.fixture(scope="module")
def costs() -> dict[int, tuple[float, int]]:
    return {
        size: work_per_chunk(list_of_models(size))
        for size in (1_000, 100_000, 1_000_000)
    }


def test_calls_per_chunk_are_flat(costs: dict[int, tuple[float, int]]) -> None:
    """Python calls per 4-character chunk at 1 MB are those at 1 KB."""
    small, _ = costs[1_000]
    for size in (100_000, 1_000_000):
        calls, _ = costs[size]
        assert calls <= small * 1.25, (size, calls, small)


def test_temporary_memory_per_chunk_is_flat(
    costs: dict[int, tuple[float, int]],
) -> None:
    """No feed allocates in proportion to the document (no buffer copies)."""
    _, small = costs[1_000]
    for size in (100_000, 1_000_000):
        _, peak = costs[size]
        assert peak <= max(small * 2, 4096), (size, peak, small)


def _rebuild(snapshot: Any) -> Any:
    """The partial value from ``open_containers`` + ``open_string`` alone."""
    frames = snapshot.open_containers
    child: Any = snapshot.open_string
    has_child = child is not None
    if not frames:
        return child if has_child else snapshot.value
    for frame in reversed(frames):
        closed = frame.items[: frame.n_closed]
        if frame.kind is list:
            node: Any = [*closed, child] if has_child else closed
        else:
            node = dict(closed)
            if has_child:
                node[frame.key] = child
        child, has_child = node, True
    return child


@pytest.mark.parametrize(
    "document",
    [
        list_of_models(600),
        '{"a": [1, {"b": "xy", "c": [true, null]}, "z"], "a": {"d": ["e"]}}',
        '[[], {}, [{"k": "v"}], "s"]',
        '"top"',
    ],
)
def test_open_containers_show_the_value(document: str) -> None:
    """``open_containers`` + ``open_string`` hold the partial value, at O(depth).

    The cheap accessor to_partial reads instead of ``value``: every prefix
    rebuilds to ``value``, and the containers' closed items are the very
    objects of the final value (shared, not copied).
    """
    decoder = PartialJsonDecoder()
    seen: list[Any] = []
    for i in range(0, len(document), 3):
        snapshot = decoder.feed(document[i : i + 3])
        if snapshot.has_value:
            assert _rebuild(snapshot) == snapshot.value
        for frame in snapshot.open_containers:
            assert frame.kind in (dict, list)
            assert len(frame.items) >= frame.n_closed
            closed = frame.items[: frame.n_closed]
            values = closed if frame.kind is list else [v for _, v in closed]
            seen.extend(v for v in values if isinstance(v, list | dict))
    final = decoder.close()
    assert final.open_containers == () and final.open_string is None

    def contains(value: Any, target: Any) -> bool:
        if value is target:
            return True
        children = value.values() if isinstance(value, dict) else value
        return isinstance(value, list | dict) and any(
            contains(child, target) for child in children
        )

    if document.count('"a"') < 2:  # a repeated key drops the first value
        assert all(contains(final.value, item) for item in seen[:50])


def test_a_whole_document_in_one_chunk_is_parsed_at_once() -> None:
    """One chunk holding the whole document goes to jiter: a small fraction of
    the Python calls the scanner makes for the same text."""
    document = list_of_models(10_000)

    def whole(text: str) -> None:
        PartialJsonDecoder().feed(text)

    def scanned(text: str) -> None:
        decoder = PartialJsonDecoder()
        decoder.feed(text[:1])
        decoder.feed(text[1:])

    fast = mean_profile_events(whole, [document])
    slow = mean_profile_events(scanned, [document])
    assert fast < slow / 4, (fast, slow)
