"""Property tests: any JSON value, any way of cutting it into chunks."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rxstruct import JsonStreamError
from rxstruct.json import JsonSnapshot, PartialJsonDecoder
from tests.helpers import check_stream, feed_all, same

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text with escapes, control characters, non-BMP characters (surrogate pairs
# once escaped), quotes and backslashes.
text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from('"\\/\b\f\n\r\t\x00\x1f😀é日'),
    ),
    max_size=20,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(text, children, max_size=6),
    ),
    max_leaves=40,
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    value = draw(json_values)
    indent = draw(st.sampled_from([None, None, 0, 2]))
    ensure_ascii = draw(st.booleans())
    separators = draw(st.sampled_from([None, (",", ":"), (" , ", " : ")]))
    return json.dumps(
        value, indent=indent, ensure_ascii=ensure_ascii, separators=separators
    )


@st.composite
def chunkings(draw: st.DrawFn, document: str) -> list[str]:
    if not document:
        return [document]
    mode = draw(st.sampled_from(["cuts", "size"]))
    if mode == "size":
        size = draw(st.integers(min_value=1, max_value=max(1, len(document))))
        return [document[i : i + size] for i in range(0, len(document), size)]
    cuts = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=len(document)), max_size=30))
    )
    bounds = [0, *cuts, len(document)]
    return [document[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@SETTINGS
@given(st.data())
def test_any_json_any_chunking(data: st.DataObject) -> None:
    """Final equals json.loads; every snapshot is consistent and monotonic."""
    document = data.draw(documents())
    chunks = data.draw(chunkings(document))
    check_stream(chunks, json.loads(document))


@SETTINGS
@given(json_values)
def test_one_character_chunks(value: Any) -> None:
    """One character per chunk cuts inside every escape and surrogate pair."""
    document = json.dumps(value, ensure_ascii=True)
    check_stream(list(document), json.loads(document))


@SETTINGS
@given(st.data())
def test_strings_only_when_closed(data: st.DataObject) -> None:
    """With partial_strings=False, no partial ever shows an unfinished string."""
    document = data.draw(documents())
    chunks = data.draw(chunkings(document))
    snapshots, final = feed_all(chunks, partial_strings=False)
    expected = json.loads(document)
    assert same(final.value, expected)
    for snapshot in snapshots:
        if snapshot.has_value:
            _no_partial_strings(snapshot.value, expected)


def _no_partial_strings(partial: Any, final: Any) -> None:
    if isinstance(partial, str):
        assert partial == final
    elif isinstance(partial, dict):
        for key, value in partial.items():
            _no_partial_strings(value, final[key])
    elif isinstance(partial, list):
        for item, final_item in zip(partial, final, strict=False):
            _no_partial_strings(item, final_item)


@SETTINGS
@given(st.data())
def test_truncated_documents_are_incomplete(data: st.DataObject) -> None:
    """Any strict prefix of a container document ends in IncompleteJsonError."""
    from rxstruct import IncompleteJsonError

    document = json.dumps(data.draw(st.lists(json_values, min_size=1, max_size=4)))
    cut = data.draw(st.integers(min_value=0, max_value=len(document) - 1))
    decoder = PartialJsonDecoder()
    decoder.feed(document[:cut])
    try:
        decoder.close()
    except IncompleteJsonError as exc:
        assert exc.offset == cut
    else:  # pragma: no cover - would be a bug
        raise AssertionError(f"closed a truncated document: {document[:cut]!r}")


def _report(snapshots: list[JsonSnapshot]) -> tuple[Any, ...]:
    """What the snapshots say together: the last one's value and text, every
    completed value and every changed path (first report), in order."""
    last = snapshots[-1]
    completed = [
        (path, json.dumps(value)) for s in snapshots for path, value in s.completed
    ]
    changed = tuple(dict.fromkeys(path for s in snapshots for path in s.changed))
    return (json.dumps(last.value), completed, changed, last.trailing, last.complete)


def _outcome(*chunks: str, **options: Any) -> tuple[Any, ...]:
    decoder = PartialJsonDecoder(**options)
    try:
        return _report([decoder.feed(chunk) for chunk in chunks])
    except JsonStreamError as exc:
        return (type(exc), exc.offset, exc.reason)


@SETTINGS
@given(
    value=st.one_of(
        st.lists(json_values, max_size=6), st.dictionaries(text, json_values)
    ),
    indent=st.sampled_from([None, 1]),
    after=st.sampled_from(["", " \n", " x", "}"]),
    limits=st.sampled_from([{}, {"max_depth": 3}, {"max_string_length": 4}]),
    strict=st.booleans(),
)
def test_whole_document_in_one_chunk_matches_the_scanner(
    value: Any, indent: int | None, after: str, limits: dict[str, int], strict: bool
) -> None:
    """A document in one chunk (parsed by jiter) gives the scanner's snapshot:
    value, completed and changed paths, trailing text, or the same error."""
    document = json.dumps(value, indent=indent) + after
    options = {"strict": strict, **limits}
    # Cut after the first character, the scanner reads it all.
    assert _outcome(document, **options) == _outcome(
        document[:1], document[1:], **options
    )
