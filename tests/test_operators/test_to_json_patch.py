"""rxstruct.to_json_patch: applied in order, the patches rebuild every snapshot.

The oracle is the decoder itself: after each snapshot, the document built by
``apply_patch`` from ``{}`` (or ``[]``) must equal ``snapshot.value``
exactly. The patches travel through ``json.dumps``/``json.loads`` first, as
they would on the wire.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import reactivex
from hypothesis import given, settings
from hypothesis import strategies as st
from reactivex import Observable
from reactivex import operators as ops

import rxstruct as rs
from rxstruct.json import JsonSnapshot
from tests.helpers import (
    CHUNK,
    NAMES,
    docstring_marble,
    list_documents,
    list_of_models,
    load,
    marbles_run,
    mean_profile_events,
    p90_transient_bytes,
    same,
)


def replay(
    snapshots: list[JsonSnapshot], start: Any = None, **options: Any
) -> list[list[dict[str, Any]]]:
    """Patch lists for ``snapshots``; assert each one rebuilds its snapshot."""
    emitted: list[list[dict[str, Any]]] = []
    reactivex.from_iterable(snapshots).pipe(rs.to_json_patch(**options)).subscribe(
        emitted.append
    )
    assert len(emitted) == len(snapshots)
    document: Any = {} if start is None else start
    for snap, patch in zip(snapshots, emitted, strict=True):
        wire = json.loads(json.dumps(patch))
        document = rs.apply_patch(document, wire)
        if snap.has_value:
            assert same(document, snap.value), (snap.index, patch)
    return emitted


def snapshots_of(chunks: list[str]) -> list[JsonSnapshot]:
    decoder = rs.PartialJsonDecoder()
    return [*(decoder.feed(chunk) for chunk in chunks), decoder.close()]


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def chunked(draw: st.DrawFn) -> list[str]:
    """Any JSON value, as text (indented or not, ASCII or not), cut anywhere."""
    value = draw(_values)
    text = json.dumps(
        value,
        indent=draw(st.sampled_from([None, 0, 2])),
        ensure_ascii=draw(st.booleans()),
    )
    cuts = draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=40))
    bounds = [0, *sorted(c for c in cuts if c < len(text)), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


# --- the marble of the docstring ------------------------------------------------


def test_docstring_marble() -> None:
    source, operator, output, chunks, _ = docstring_marble(rs.to_json_patch, {})
    assert operator.strip("[] ") == "to_json_patch()"
    run = marbles_run(source, chunks, rs.to_json_patch(), ops.filter(bool))
    assert [int(t) - 200 for t in run.times()] == [
        i for i, c in enumerate(output) if c.isalpha()
    ]
    assert run.values() == [
        [{"op": "add", "path": "", "value": {"t": "He"}}],
        [{"op": "append", "path": "/t", "value": "llo"}],
        [{"op": "add", "path": "/n", "value": [1]}],
    ]


# --- exactness ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(chunked(), st.booleans())
def test_patches_rebuild_every_snapshot(chunks: list[str], append: bool) -> None:
    replay(snapshots_of(chunks), string_append=append)


@settings(max_examples=100, deadline=None)
@given(list_documents())
def test_patches_rebuild_list_documents(
    document: tuple[str, list[str], Any, Any],
) -> None:
    _text, chunks, _pattern, _path = document
    replay(snapshots_of(chunks), start=[])


@settings(max_examples=150, deadline=None)
@given(chunked(), st.data())
def test_skipped_snapshots_are_covered_by_the_next_list(
    chunks: list[str], data: st.DataObject
) -> None:
    """After debounce or sampling, one list covers every skipped change."""
    snapshots = snapshots_of(chunks)
    keep = data.draw(st.lists(st.booleans(), min_size=len(snapshots)))
    kept = [s for s, k in zip(snapshots, keep, strict=False) if k] + [snapshots[-1]]
    replay(kept)


@pytest.mark.parametrize("name", NAMES)
def test_every_recording(name: str) -> None:
    """The real token streams of tests/fixtures, as the model sent them."""
    recording = load(name)
    decoder = rs.PartialJsonDecoder()
    snapshots: list[JsonSnapshot] = []
    try:
        for _at, text in recording.events():
            snapshots.append(decoder.feed(text))
        snapshots.append(decoder.close())
    except (rs.JsonStreamError, rs.IncompleteJsonError):
        pass  # a truncated recording: every snapshot up to the error still counts
    emitted = replay(snapshots)
    wire_patches = sum(len(json.dumps(p)) for p in emitted if p)
    wire_snapshots = sum(len(json.dumps(s.value)) for s in snapshots if s.has_value)
    assert wire_patches < wire_snapshots


def test_duplicate_keys_and_escaped_pointers() -> None:
    text = '{"a/b": "x", "m~n": {"k": "yy"}, "a/b": ["z"], "a/b": "w"}'
    for size in range(1, 6):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        emitted = replay(snapshots_of(chunks))
        paths = {op["path"] for patch in emitted for op in patch}
        assert "/a~1b" in paths
        assert "/m~0n/k" in paths or "/m~0n" in paths


def test_root_strings_and_scalars() -> None:
    for chunks in (['"He', "llo", '"'], ["4", "2"], ["[", "]"], ["nu", "ll"]):
        replay(snapshots_of(chunks))


def test_a_growing_string_costs_its_new_characters() -> None:
    chunks = ['{"blurb": "', *(["word "] * 200), '"}']
    emitted = replay(snapshots_of(chunks))
    middle = emitted[2:-2]
    assert all(
        p == [{"op": "append", "path": "/blurb", "value": "word "}] for p in middle
    )


def test_strict_rfc6902_replaces_the_string() -> None:
    emitted = replay(snapshots_of(['{"t": "He', "ll", 'o"}']), string_append=False)
    assert emitted[1] == [{"op": "replace", "path": "/t", "value": "Hell"}]
    assert all(op["op"] in ("add", "replace") for p in emitted for op in p)


def test_a_completed_item_is_sent_once_without_repeating_what_was_sent() -> None:
    emitted = replay(snapshots_of(['[{"t": "ab', 'c", "n": 1}, {"t": "d"}]']))
    assert emitted[1] == [
        {"op": "append", "path": "/0/t", "value": "c"},
        {"op": "add", "path": "/0/n", "value": 1},
        {"op": "add", "path": "/1", "value": {"t": "d"}},
    ]


def test_a_new_stream_restarts_from_the_root() -> None:
    """Snapshots of a second decoder (a retry) start with an add at the root."""
    first = snapshots_of(['{"a": "x', '"}'])
    second = snapshots_of(['{"b": ', "1}"])
    emitted = replay([*first[:1], *second])
    assert emitted[1][0]["path"] == ""


# --- errors ------------------------------------------------------------------------


def test_raw_text_is_a_usage_error() -> None:
    errors: list[Exception] = []
    source: Observable[Any] = reactivex.of('{"a": 1}')
    source.pipe(rs.to_json_patch()).subscribe(on_error=errors.append)
    assert isinstance(errors[0], rs.UsageError)
    assert "accumulate_json()" in str(errors[0])


def test_upstream_errors_pass_through() -> None:
    errors: list[Exception] = []
    values: list[Any] = []
    reactivex.of('{"a": "x"', ", }").pipe(
        rs.accumulate_json(), rs.to_json_patch()
    ).subscribe(values.append, errors.append)
    assert isinstance(errors[0], rs.JsonStreamError)
    assert values == [[{"op": "add", "path": "", "value": {"a": "x"}}]]


def test_string_append_must_be_a_bool() -> None:
    with pytest.raises(rs.UsageError):
        rs.to_json_patch(string_append="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("document", "operation", "message"),
    [
        ({}, {"op": "move", "path": "/a", "value": 1}, "unknown op"),
        ({}, {"op": "add", "path": "a", "value": 1}, "starts with '/'"),
        ({}, {"op": "append", "path": "/a", "value": "x"}, "no member"),
        ({"a": 1}, {"op": "append", "path": "/a", "value": "x"}, "append needs"),
        ([], {"op": "add", "path": "/3", "value": 1}, "out of range"),
        ([], {"op": "add", "path": "/01", "value": 1}, "not an array index"),
        ({"a": 1}, {"op": "add", "path": "/a/b", "value": 1}, "not a container"),
        ({}, {"op": "add", "path": "/a"}, "no 'value'"),
    ],
)
def test_apply_patch_rejects_bad_operations(
    document: Any, operation: dict[str, Any], message: str
) -> None:
    with pytest.raises(rs.UsageError, match=message) as caught:
        rs.apply_patch(document, [operation])
    assert "patch operation #0" in str(caught.value)


def test_apply_patch_understands_remove_replace_and_end_of_array() -> None:
    document = rs.apply_patch(
        {"a": [1, 2], "b": "x"},
        [
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "remove", "path": "/a/0"},
            {"op": "replace", "path": "/b", "value": "y"},
            {"op": "append", "path": "/b", "value": "z"},
        ],
    )
    assert document == {"a": [2, 3], "b": "yz"}


# --- cost ---------------------------------------------------------------------------


def patch_steps(size: int) -> tuple[Any, list[JsonSnapshot]]:
    """A fed ``to_json_patch`` and the last 2,000 snapshots of a document."""
    from reactivex.subject import Subject

    text = list_of_models(size)
    decoder = rs.PartialJsonDecoder()
    snapshots = [decoder.feed(text[i : i + CHUNK]) for i in range(0, len(text), CHUNK)]
    subject: Subject[JsonSnapshot] = Subject()
    subject.pipe(rs.to_json_patch()).subscribe(lambda _ops: None)
    for snap in snapshots[:-2000]:
        subject.on_next(snap)
    return subject.on_next, snapshots[-2000:]


def test_cost_per_chunk_does_not_grow_with_the_document() -> None:
    """Work follows the change along the open path, not the document's width."""
    small_step, small = patch_steps(16_000)
    large_step, large = patch_steps(512_000)
    small_events = mean_profile_events(small_step, small)
    large_events = mean_profile_events(large_step, large)
    assert large_events < 1.3 * small_events, (small_events, large_events)
    small_step, small = patch_steps(16_000)
    large_step, large = patch_steps(512_000)
    small_bytes = p90_transient_bytes(small_step, small)
    large_bytes = p90_transient_bytes(large_step, large)
    assert large_bytes < 2 * small_bytes + 1024, (small_bytes, large_bytes)
