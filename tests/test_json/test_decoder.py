"""The incremental decoder: partial semantics, real text, options, snapshots."""

from __future__ import annotations

import json

import pytest

from rxstruct.json import PartialJsonDecoder
from tests.helpers import NAMES, check_stream, feed_all, load, same, truncated

DOCUMENTS = [
    '{"title": "Pasta", "minutes": 15, "tags": ["quick", "cheap"], "ok": true}',
    "[1, -2.5, 3e10, 0, -0, 1E-3, 12345678901234567890123, null, false, true]",
    '{"a": {"b": {"c": [[], {}, [{}], {"d": [1, [2, [3]]]}]}}}',
    '"caf\\u00e9 \\ud83d\\ude00 \\"quoted\\" \\\\ back \\/ \\b\\f\\n\\r\\t"',
    '{"emoji": "😀 日本語 Ελληνικά", "mixed": "a\\u0000b"}',
    '  \n\t{ "spaced" :  [ 1 , 2 ] ,\n "x" : { } }  ',
    "42",
    "-0.5e-3",
    "true",
    "null",
    '""',
    "[]",
    "{}",
    '{"": "", "k": [""]}',
    '{"dup": 1, "dup": 2}',
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_prefix_split(document: str) -> None:
    """Every two-chunk split decodes to json.loads and stays consistent."""
    expected = json.loads(document)
    for cut in range(len(document) + 1):
        if document.count('"dup"') == 2:
            # Duplicate keys: only the final value is specified (last one wins).
            _, final = feed_all([document[:cut], document[cut:]])
            assert same(final.value, expected)
            continue
        check_stream([document[:cut], document[cut:]], expected)


@pytest.mark.parametrize("document", DOCUMENTS[:-1])
def test_one_character_chunks(document: str) -> None:
    """Feeding one character at a time meets every invariant."""
    check_stream(list(document), json.loads(document))


def test_numbers_are_atomic() -> None:
    """`{"age": 3` must not show age=3 when the next chunk is `8}`."""
    dec = PartialJsonDecoder()
    assert dec.feed('{"age": 3').value == {}
    assert dec.feed("8").value == {}
    assert dec.feed("}").value == {"age": 38}


def test_literals_are_atomic() -> None:
    """true/false/null appear only once complete."""
    dec = PartialJsonDecoder()
    assert dec.feed('{"ok": tr').value == {}
    assert dec.feed("ue").value == {"ok": True}


def test_top_level_number_completes_at_close() -> None:
    """A top-level number has no delimiter: it completes at the end of input."""
    dec = PartialJsonDecoder()
    assert not dec.feed("12").has_value
    final = dec.close()
    assert final.value == 12 and final.done


def test_split_escape_never_shows_a_wrong_character() -> None:
    """A cut inside an escape shows the text before it, never a bad character."""
    document = '{"s": "ab\\u00e9cd\\ud83d\\ude00!"}'
    for cut in range(len(document)):
        dec = PartialJsonDecoder()
        partial = dec.feed(document[:cut]).value or {}
        text = partial.get("s", "")
        assert "ab\u00e9cd\U0001f600!".startswith(text), (cut, text)
        assert "\ufffd" not in text


def test_keys_appear_when_their_value_starts() -> None:
    """A key is shown only once its value has started."""
    dec = PartialJsonDecoder()
    assert dec.feed('{"na').value == {}
    assert dec.feed('me"').value == {}
    assert dec.feed(": ").value == {}
    assert dec.feed('"').value == {"name": ""}
    assert dec.feed('Al", "list": ').value == {"name": "Al"}
    assert dec.feed("[").value == {"name": "Al", "list": []}


def test_strings_only_when_closed_option() -> None:
    """partial_strings=False shows a string only after its closing quote."""
    dec = PartialJsonDecoder(partial_strings=False)
    assert dec.feed('{"a": "hel').value == {}
    snap = dec.feed('lo"')
    assert snap.value == {"a": "hello"}
    assert snap.changed == (("a",),)


def test_snapshots_are_never_mutated_afterwards() -> None:
    """A snapshot's value stays as it was while the decoder goes on."""
    dec = PartialJsonDecoder()
    first = dec.feed('{"items": [{"n": "a"}, {"n": "b')
    first_value = first.value
    frozen = json.dumps(first_value)
    dec.feed('c"}, {"n": "d"}], "more": [1, 2')
    dec.feed("]}")
    dec.close()
    assert json.dumps(first.value) == frozen
    assert json.dumps(first_value) == frozen


def test_lazy_snapshot_built_after_decoder_moved_on() -> None:
    """A snapshot read late still shows the value as of its own chunk."""
    dec = PartialJsonDecoder()
    early = dec.feed('{"xs": [1, 2, "ab')
    for chunk in ['c", 4', ", 5]", ', "y": "z"}']:
        dec.feed(chunk)
    assert early.value == {"xs": [1, 2, "ab"]}


def test_closed_sub_values_are_shared() -> None:
    """Completed containers are the same object in every later snapshot."""
    dec = PartialJsonDecoder()
    a = dec.feed('{"done": {"k": [1]}, "open": "x')
    b = dec.feed('yz"')
    assert a.value["done"] is b.value["done"]


def test_completion_and_change_reports() -> None:
    """`completed` lists closed values innermost first; `changed` the deepest paths."""
    dec = PartialJsonDecoder()
    snap = dec.feed('{"r": [{"n": "a", "t": 1}, {"n": "b"')
    assert [path for path, _ in snap.completed] == [
        ("r", 0, "n"),
        ("r", 0, "t"),
        ("r", 0),
        ("r", 1, "n"),
    ]
    assert snap.open_path == ("r", 1)
    assert snap.is_complete(("r", 0))
    assert not snap.is_complete(("r", 1))
    assert snap.is_complete(("r", 1, "n"))
    assert not snap.is_complete(("r", 2))
    assert not snap.is_complete(("r",))
    snap = dec.feed("}]}")
    assert [path for path, _ in snap.completed] == [("r", 1), ("r",), ()]
    assert snap.complete and snap.open_path is None
    assert dec.close().done


def test_prose_and_markdown_fence_before_the_value() -> None:
    """Leading prose and a ```json fence are skipped; trailing text is kept."""
    text = 'Sure! Here is the JSON:\n```json\n{"a": [1, 2]}\n```\nHope it helps.'
    for size in (1, 3, 7, len(text)):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        snapshots, final = feed_all(chunks)
        assert final.value == {"a": [1, 2]}
        assert final.trailing == "\n```\nHope it helps."


def test_fence_then_scalar() -> None:
    """A fence may be followed by a top-level scalar."""
    _, final = feed_all(["```", "json\n", '"hi"', "\n```"])
    assert final.value == "hi"


def test_bom_and_whitespace() -> None:
    """A UTF-8 BOM and whitespace before the value are ignored."""
    _, final = feed_all(["\ufeff", " \n", "[true]"])
    assert final.value == [True]


def test_trailing_text_is_ignored_but_kept() -> None:
    """Text after the top-level value does not change it and is available."""
    snapshots, final = feed_all(['{"a": 1}', " extra } ] garbage"])
    assert final.value == {"a": 1}
    assert final.trailing == " extra } ] garbage"
    assert snapshots[0].complete


def test_strict_rejects_prose() -> None:
    """strict=True rejects text before the value."""
    from rxstruct import JsonStreamError

    with pytest.raises(JsonStreamError) as info:
        PartialJsonDecoder(strict=True).feed("Here: {}")
    assert info.value.offset == 0


def test_text_and_index() -> None:
    """Each snapshot knows its chunk, its index and the text so far."""
    snapshots, final = feed_all(["[1", ", 2", "]"])
    assert [s.index for s in [*snapshots, final]] == [0, 1, 2, 3]
    assert snapshots[1].text == "[1, 2"
    assert snapshots[1].chunk == ", 2"
    assert final.text == "[1, 2]"


@pytest.mark.parametrize("name", NAMES)
def test_real_recordings(name: str) -> None:
    """Real token streams decode exactly, as recorded and in 1-character chunks."""
    recording = load(name)
    if truncated(recording):
        from rxstruct import IncompleteJsonError

        for chunks in (recording.deltas, list(recording.text)):
            decoder = PartialJsonDecoder()
            for chunk in chunks:
                decoder.feed(chunk)
            with pytest.raises(IncompleteJsonError):
                decoder.close()
        return
    expected = json.loads(recording.text)
    check_stream(recording.deltas, expected)
    check_stream(list(recording.text), expected)


def test_text_survives_compaction() -> None:
    """Thousands of chunks: every snapshot's text is still exactly its prefix."""
    document = json.dumps({"xs": list(range(3000))})
    chunks = [document[i : i + 3] for i in range(0, len(document), 3)]
    decoder = PartialJsonDecoder()
    snapshots = [decoder.feed(chunk) for chunk in chunks]
    final = decoder.close()
    for k in (0, 1, 1023, 1024, 1025, 2047, 2048, len(snapshots) - 1):
        assert snapshots[k].text == "".join(chunks[: k + 1])
    assert final.text == document
    assert final.value == json.loads(document)
