"""RFC 8259, production by production, in strict mode (``strict=True``).

Accepted texts decode to exactly what ``json.loads`` returns (same types, same
key order); rejected texts raise a specific error at a known offset. Every case
is fed whole and one character at a time, and gives the same result both ways.

Two deliberate differences from ``json.loads``, both outside RFC 8259:

- ``NaN``, ``Infinity`` and ``-Infinity`` are rejected (``json.loads`` takes
  them by default);
- a lone surrogate escape (``"\\ud800"``, ``"\\udc00"``, a high surrogate not
  followed by a low one) is rejected: RFC 8259 section 8.2 leaves its meaning
  undefined, and the ``str`` ``json.loads`` builds from it cannot be encoded to
  UTF-8 (pydantic, ``json.dumps(ensure_ascii=False)`` and HTTP bodies fail on
  it later, far from the model's text). A surrogate *pair* is one character.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from rxstruct import IncompleteJsonError, JsonLimitError, JsonStreamError
from rxstruct.json import PartialJsonDecoder
from tests.helpers import check_stream, feed_all, same

ACCEPT: list[tuple[str, str]] = [
    # value = false / null / true / object / array / number / string
    ("false", "false"),
    ("null", "null"),
    ("true", "true"),
    # number = [ minus ] int [ frac ] [ exp ]
    ("zero", "0"),
    ("minus zero", "-0"),
    ("int", "123456789"),
    ("negative int", "-42"),
    ("int beyond 64 bits", "123456789012345678901234567890"),
    ("frac", "3.25"),
    ("minus zero frac", "-0.0"),
    ("small frac", "0.000001"),
    ("exp", "1e10"),
    ("exp upper case", "1E10"),
    ("exp plus", "1e+10"),
    ("exp minus", "1e-10"),
    ("frac and exp", "-1.5E-4"),
    ("zero exp", "0e0"),
    ("exp with leading zeros", "1e007"),
    ("float overflow is inf like json.loads", "1e400"),
    ("float underflow is 0.0", "1e-400"),
    # string = quotation-mark *char quotation-mark
    ("empty string", '""'),
    ("ascii", '"hello, world"'),
    ("raw non-ASCII", '"caf\u00e9 \u65e5\u672c \U0001f600"'),
    ("raw DEL and U+2028", '"\x7f\u2028\u2029"'),
    ("escape quote", r'"\""'),
    ("escape backslash", r'"\\"'),
    ("escape solidus", r'"\/"'),
    ("escape b f n r t", r'"\b\f\n\r\t"'),
    ("escape u lower hex", r'"\u00e9"'),
    ("escape u upper hex", r'"\u00E9\u20AC"'),
    ("escape u NUL", r'"a\u0000b"'),
    ("escape u BOM", r'"\ufeff"'),
    ("surrogate pair", r'"\ud83d\ude00"'),
    ("surrogate pair upper hex", r'"\uD834\uDD1E"'),
    ("pair between text", r'"x\uD83D\uDE00y"'),
    ("escapes only", r'"\\\"\/\b"'),
    # array = begin-array [ value *( value-separator value ) ] end-array
    ("empty array", "[]"),
    ("empty array with space", "[ ]"),
    ("one element", "[1]"),
    ("mixed elements", '[1, "a", true, null, {}, [], -2.5]'),
    ("nested arrays", "[[[]], [[1]], []]"),
    # object = begin-object [ member *( value-separator member ) ] end-object
    ("empty object", "{}"),
    ("empty object with space", "{ }"),
    ("one member", '{"a": 1}'),
    ("member order kept", '{"z": 1, "a": 2, "m": 3}'),
    ("duplicate key: first place, last value", '{"a": 1, "b": 2, "a": 3}'),
    ("empty key", '{"": 0}'),
    ("escaped key", r'{"\u0041\n": 1}'),
    ("nested objects", '{"a": {"b": {"c": {}}}}'),
    ("objects in arrays in objects", '{"a": [{"b": [{"c": null}]}]}'),
    # ws = *( %x20 / %x09 / %x0A / %x0D ), around every structural character
    (
        "whitespace everywhere",
        ' \t\n\r{ \t\n\r"a" \t\n\r: \t\n\r[ 1 ,\r\n2 ] \t\n\r} \t\n\r',
    ),
    ("whitespace around a scalar", " \n\t\r42 \r\n\t "),
    ("whitespace around a string", '\n"s"\n'),
    ("no whitespace", '{"a":[1,{"b":false}],"c":"d"}'),
    # nesting
    ("deep arrays", "[" * 200 + "]" * 200),
    ("deep objects", '{"a":' * 200 + "0" + "}" * 200),
]

# Rejected in strict mode: (name, text, error type, offset of the error).
REJECT: list[tuple[str, str, type[Exception], int]] = [
    # numbers
    ("leading zero", "01", JsonStreamError, 1),
    ("leading zero negative", "-01", JsonStreamError, 2),
    ("leading zeros in array", "[00]", JsonStreamError, 2),
    ("trailing dot", "1.", JsonStreamError, 2),
    ("dot then exp", "1.e5", JsonStreamError, 2),
    ("leading dot", ".5", JsonStreamError, 0),
    ("plus sign", "+1", JsonStreamError, 0),
    ("empty exp", "1e", JsonStreamError, 2),
    ("exp sign only", "[1e+]", JsonStreamError, 4),
    ("lone minus", "-", JsonStreamError, 1),
    ("double minus", "--1", JsonStreamError, 1),
    ("hex", "0x10", JsonStreamError, 1),
    ("NaN", "NaN", JsonStreamError, 0),
    ("Infinity", "Infinity", JsonStreamError, 0),
    ("-Infinity", "-Infinity", JsonStreamError, 1),
    ("NaN in array", "[1, NaN]", JsonStreamError, 4),
    # literals
    ("capital True", "True", JsonStreamError, 0),
    ("NULL", "NULL", JsonStreamError, 0),
    ("misspelt literal", "tRue", JsonStreamError, 0),
    ("literal run on", "[truex]", JsonStreamError, 5),
    ("cut literal in array", "[nul]", JsonStreamError, 1),
    # strings
    ("single quotes", "'abc'", JsonStreamError, 0),
    ("single-quoted element", "['a']", JsonStreamError, 1),
    ("single-quoted key", "{'a': 1}", JsonStreamError, 1),
    ("raw NUL", '"a\x00"', JsonStreamError, 2),
    ("raw tab", '"a\tb"', JsonStreamError, 2),
    ("raw newline", '"a\nb"', JsonStreamError, 2),
    ("raw unit separator", '"\x1f"', JsonStreamError, 1),
    ("invalid escape x", r'"\x41"', JsonStreamError, 1),
    ("invalid escape a", r'"a\a"', JsonStreamError, 2),
    ("escaped single quote", r'"\'"', JsonStreamError, 1),
    ("capital U escape", r'"\U0041"', JsonStreamError, 1),
    ("short u escape", r'"\u12"', JsonStreamError, 5),
    ("bad hex digit", r'"\u12G4"', JsonStreamError, 5),
    ("lone high surrogate", r'"\ud800"', JsonStreamError, 1),
    ("lone low surrogate", r'"\udc00"', JsonStreamError, 1),
    ("high surrogate then text", r'"\ud83dx"', JsonStreamError, 1),
    ("high surrogate then non-low", r'"\ud83d\u0041"', JsonStreamError, 1),
    ("two high surrogates", r'"\ud83d\ud83d"', JsonStreamError, 1),
    # arrays and objects
    ("trailing comma in array", "[1,]", JsonStreamError, 3),
    ("trailing comma in object", '{"a": 1,}', JsonStreamError, 8),
    ("leading comma", "[,1]", JsonStreamError, 1),
    ("double comma", "[1,,2]", JsonStreamError, 3),
    ("comma only object", "{,}", JsonStreamError, 1),
    ("missing comma", "[1 2]", JsonStreamError, 3),
    ("missing member comma", '{"a": 1 "b": 2}', JsonStreamError, 8),
    ("missing colon", '{"a" 1}', JsonStreamError, 5),
    ("equals for colon", '{"a"=1}', JsonStreamError, 4),
    ("number key", "{1: 1}", JsonStreamError, 1),
    ("bare key", "{a: 1}", JsonStreamError, 1),
    ("null key", "{null: 1}", JsonStreamError, 1),
    ("missing value", '{"a":}', JsonStreamError, 5),
    ("array closed by brace", "[1}", JsonStreamError, 2),
    ("object closed by bracket", '{"a": 1]', JsonStreamError, 7),
    # comments
    ("line comment before", "// note\n1", JsonStreamError, 0),
    ("block comment before", "/* note */ 1", JsonStreamError, 0),
    ("comment in array", "[1 /* two */]", JsonStreamError, 3),
    ("comment after member", '{"a": 1 // c\n}', JsonStreamError, 8),
    # unclosed: the stream ends inside the value, at the end of the text
    ("unclosed array", "[1, 2", IncompleteJsonError, 5),
    ("unclosed object", '{"a": 1', IncompleteJsonError, 7),
    ("unclosed nested", '{"a": [1, {"b": ', IncompleteJsonError, 16),
    ("unclosed string", '"abc', IncompleteJsonError, 4),
    ("unclosed key", '{"ab', IncompleteJsonError, 4),
    ("cut escape", '"a\\u00', IncompleteJsonError, 6),
    ("cut literal", "tru", IncompleteJsonError, 3),
    ("empty text", "", IncompleteJsonError, 0),
    ("only whitespace", " \n\t ", IncompleteJsonError, 4),
    # extra-closed and garbage after the value
    ("extra bracket", "[1]]", JsonStreamError, 3),
    ("extra brace", "{}}", JsonStreamError, 2),
    ("lone closing bracket", "]", JsonStreamError, 0),
    ("lone closing brace", " }", JsonStreamError, 1),
    ("two numbers", "1 2", JsonStreamError, 2),
    ("two strings", '"a" "b"', JsonStreamError, 4),
    ("two literals", "null null", JsonStreamError, 5),
    ("two objects", '{"a": 1}{"b": 2}', JsonStreamError, 8),
    ("comma after value", "[1] ,", JsonStreamError, 4),
    ("text after value", "{} x", JsonStreamError, 3),
    ("text after whitespace and newline", "[]\n\nDone.", JsonStreamError, 4),
    ("closing fence", '{"a": 1}\n```', JsonStreamError, 9),
    ("top-level member", '"a": 1', JsonStreamError, 3),
    ("literal run on at top level", "truex", JsonStreamError, 4),
    # what strict mode does not skip before the value
    ("byte order mark", "\ufeff[]", JsonStreamError, 0),
    ("prose", "Here: {}", JsonStreamError, 0),
    ("fence", "```json\n{}\n```", JsonStreamError, 0),
    # limits
    ("nesting beyond max_depth", "[" * 513 + "]" * 513, JsonLimitError, 512),
]

# json.loads accepts these (module docstring): the decoder rejects them.
JSON_LOADS_ACCEPTS = {
    "NaN",
    "Infinity",
    "-Infinity",
    "NaN in array",
    "lone high surrogate",
    "lone low surrogate",
    "high surrogate then text",
    "high surrogate then non-low",
    "two high surrogates",
}


def _loads(text: str) -> Any:
    return json.loads(text)


def _numbers(value: Any) -> list[float]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize(("name", "text"), ACCEPT, ids=[c[0] for c in ACCEPT])
@pytest.mark.parametrize("chunking", ["whole", "1-char"])
def test_accepted(name: str, text: str, chunking: str) -> None:
    """Strict mode returns exactly json.loads, however the text is cut."""
    expected = _loads(text)
    chunks = [text] if chunking == "whole" else list(text)
    _, final = feed_all(chunks, strict=True)
    assert same(final.value, expected)
    if "duplicate" not in name:  # partials of a repeated key show the first value
        check_stream(chunks, expected, strict=True)


@pytest.mark.parametrize(("name", "text"), ACCEPT, ids=[c[0] for c in ACCEPT])
def test_accepted_by_default_too(name: str, text: str) -> None:
    """The lenient default mode agrees on every valid document."""
    _, final = feed_all(list(text))
    assert same(final.value, _loads(text))


@pytest.mark.parametrize(
    ("name", "text", "error", "offset"), REJECT, ids=[c[0] for c in REJECT]
)
@pytest.mark.parametrize("chunking", ["whole", "1-char"])
def test_rejected(
    name: str, text: str, error: type[Exception], offset: int, chunking: str
) -> None:
    """Strict mode raises the specific error at the same offset, however cut."""
    decoder = PartialJsonDecoder(strict=True)
    with pytest.raises(error) as info:
        for chunk in [text] if chunking == "whole" else list(text):
            decoder.feed(chunk)
        decoder.close()
    exc = info.value
    assert type(exc) is error
    assert exc.offset == offset, str(exc)
    assert f"char {offset}" in str(exc)


@pytest.mark.parametrize(
    ("name", "text", "error", "offset"), REJECT, ids=[c[0] for c in REJECT]
)
def test_json_loads_rejects_them_too(
    name: str, text: str, error: type[Exception], offset: int
) -> None:
    """The table's rejects are json.loads's, but for the documented two."""
    if name in JSON_LOADS_ACCEPTS:  # accepted there; rejected here on purpose
        value = json.loads(text)
        if isinstance(value, str):
            assert any(0xD800 <= ord(c) <= 0xDFFF for c in value)
        else:
            assert not all(math.isfinite(x) for x in _numbers(value))
        return
    if error is JsonLimitError:  # a limit of the decoder, valid JSON
        assert isinstance(json.loads(text), list)
        return
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_nesting_up_to_max_depth() -> None:
    """512 levels (the default max_depth) decode; 513 fail (in REJECT)."""
    text = "[" * 256 + '{"a":' * 256 + "1" + "}" * 256 + "]" * 256
    _, final = feed_all(list(text), strict=True)
    assert json.dumps(final.value) == json.dumps(json.loads(text))


EXTRA_DATA = [
    (name, text, offset)
    for name, text, error, offset in REJECT
    if error is JsonStreamError
    and name
    in {
        "two numbers",
        "two strings",
        "two literals",
        "two objects",
        "comma after value",
        "text after value",
        "text after whitespace and newline",
        "closing fence",
        "extra bracket",
        "extra brace",
    }
]


@pytest.mark.parametrize(
    ("name", "text", "offset"), EXTRA_DATA, ids=[c[0] for c in EXTRA_DATA]
)
def test_default_mode_keeps_text_after_a_container(
    name: str, text: str, offset: int
) -> None:
    """Without strict, text after a closed object or array is kept as trailing;
    after a bare scalar it makes the scalar prose (see test_prose)."""
    decoder = PartialJsonDecoder()
    first = text[:offset].rstrip()
    if first[0] not in "[{":
        with pytest.raises(IncompleteJsonError):
            feed_all([text])
        return
    snapshots, final = feed_all([text])
    assert same(final.value, json.loads(first))
    assert final.trailing.strip() == text[offset:].strip()
    assert decoder.feed(text).complete
