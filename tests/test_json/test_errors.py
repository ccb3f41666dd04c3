"""Bad input: a specific error with a position, never garbage or a hang."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import rxstruct as rs
from rxstruct import (
    IncompleteJsonError,
    JsonLimitError,
    JsonStreamError,
    PartialJsonDecoder,
)

# (name, text, decoder options, expected error type, expected offset)
BAD_INPUTS: list[tuple[str, str, dict[str, Any], type[Exception], int]] = [
    ("unterminated string", '{"a": "abc', {}, IncompleteJsonError, 10),
    ("unterminated key", '{"ab', {}, IncompleteJsonError, 4),
    ("unclosed object", '{"a": 1', {}, IncompleteJsonError, 7),
    ("unclosed array", "[1, [2]", {}, IncompleteJsonError, 7),
    ("nothing but prose", "no json here", {}, IncompleteJsonError, 12),
    ("empty stream", "", {}, IncompleteJsonError, 0),
    ("cut literal", "[tr", {}, IncompleteJsonError, 3),
    ("invalid escape", '["a\\x"]', {}, JsonStreamError, 3),
    ("lone high surrogate", '["\\ud800"]', {}, JsonStreamError, 2),
    ("lone low surrogate", '["\\udc00"]', {}, JsonStreamError, 2),
    ("high surrogate then letter", '["\\ud800\\u0041"]', {}, JsonStreamError, 2),
    ("bad hex digit", '["\\u12G4"]', {}, JsonStreamError, 6),
    ("leading zero", "[01]", {}, JsonStreamError, 2),
    ("trailing dot", "[1.]", {}, JsonStreamError, 3),
    ("lone minus", "[-]", {}, JsonStreamError, 2),
    ("empty exponent", "[1e]", {}, JsonStreamError, 3),
    ("leading dot", "[.5]", {}, JsonStreamError, 1),
    ("plus sign", "[+1]", {}, JsonStreamError, 1),
    ("double minus", "[--1]", {}, JsonStreamError, 2),
    ("NaN", "[NaN]", {}, JsonStreamError, 1),
    ("Infinity", '{"a": Infinity}', {}, JsonStreamError, 6),
    ("-Infinity", "[-Infinity]", {}, JsonStreamError, 2),
    ("garbage inside object", '{"a": 1 x}', {}, JsonStreamError, 8),
    ("literal run on", '{"a": truex}', {}, JsonStreamError, 10),
    ("misspelt literal", '{"a": nul}', {}, JsonStreamError, 6),
    ("bracket mismatch", '{"a": [1, 2}', {}, JsonStreamError, 11),
    ("brace closes array", "[1, 2}", {}, JsonStreamError, 5),
    ("bracket closes object", '{"a": 1]', {}, JsonStreamError, 7),
    ("unquoted key", "{a: 1}", {}, JsonStreamError, 1),
    ("single quotes", "{\"a\": 'x'}", {}, JsonStreamError, 6),
    ("missing colon", '{"a" 1}', {}, JsonStreamError, 5),
    ("missing comma", "[1 2]", {}, JsonStreamError, 3),
    ("trailing comma in array", "[1,]", {}, JsonStreamError, 3),
    ("trailing comma in object", '{"a":1,}', {}, JsonStreamError, 7),
    ("raw newline in string", '["a\nb"]', {}, JsonStreamError, 3),
    ("raw NUL in string", '["a\x00b"]', {}, JsonStreamError, 3),
    ("no prose in strict mode", "Here: {}", {"strict": True}, JsonStreamError, 0),
    ("too deep", "[" * 100_000, {}, JsonLimitError, 512),
    ("too deep, custom", '{"a": [[', {"max_depth": 2}, JsonLimitError, 7),
    (
        "document too large",
        "[" + "1," * 100 + "1]",
        {"max_size": 64},
        JsonLimitError,
        64,
    ),
    ("integer too long", "[" + "9" * 5000 + "]", {}, JsonStreamError, 1),
]

# Strings past max_string_length=10, each a JsonLimitError: (name, text, offset).
LONG_STRINGS = [
    ("string too long", '["' + "x" * 50 + '"]', 12),
    # issue 11.13: the offset of the escape, not of the closing quote
    ("escape crossing max_string_length", '["' + "x" * 10 + '\\n", "y"]', 12),
    (
        "unicode escape crossing max_string_length",
        '{"k": "' + "x" * 9 + '\\u00e9\\u00e9 and more"}',
        22,
    ),
    (
        "surrogate pair crossing max_string_length",
        '"' + "x" * 10 + '\\ud83d\\ude00"',
        11,
    ),
]
BAD_INPUTS += [
    (name, text, {"max_string_length": 10}, JsonLimitError, offset)
    for name, text, offset in LONG_STRINGS
]


def _decode(text: str, chunk_size: int, **options: Any) -> None:
    decoder = PartialJsonDecoder(**options)
    for i in range(0, len(text), chunk_size):
        decoder.feed(text[i : i + chunk_size])
    decoder.close()


@pytest.mark.parametrize(
    ("name", "text", "options", "error", "offset"),
    BAD_INPUTS,
    ids=[case[0] for case in BAD_INPUTS],
)
@pytest.mark.parametrize("chunk_size", [1, 3, 1_000_000])
def test_bad_input(
    name: str,
    text: str,
    options: dict[str, Any],
    error: type[Exception],
    offset: int,
    chunk_size: int,
) -> None:
    """Each bad input raises its own error type at the same position, however cut."""
    if chunk_size == 1 and len(text) > 20_000:
        chunk_size = 997
    with pytest.raises(error) as info:
        _decode(text, chunk_size, **options)
    exc = info.value
    assert type(exc) is error
    assert exc.offset == offset, str(exc)
    assert ">>>" in exc.excerpt
    assert f"char {offset}" in str(exc)


def test_malformed_and_incomplete_are_distinct() -> None:
    """IncompleteJsonError is not a JsonStreamError: callers can tell them apart."""
    assert not issubclass(IncompleteJsonError, JsonStreamError)
    assert issubclass(JsonLimitError, JsonStreamError)
    assert issubclass(IncompleteJsonError, rs.JsonError)


def test_line_and_column() -> None:
    """Errors carry 1-based line and column."""
    with pytest.raises(JsonStreamError) as info:
        _decode('{\n  "a": 1,\n  "b": x\n}', 4)
    assert (info.value.line, info.value.column) == (3, 8)


def test_incomplete_names_the_open_path() -> None:
    """An incomplete stream says where it was cut."""
    with pytest.raises(IncompleteJsonError) as info:
        _decode('{"recipes": [{"name": "Pas', 5)
    assert info.value.open_path == ("recipes", 0, "name")
    assert "recipes[0].name" in str(info.value)


def test_decoder_stays_failed() -> None:
    """After an error, the decoder keeps raising it instead of decoding garbage."""
    decoder = PartialJsonDecoder()
    with pytest.raises(JsonStreamError) as first:
        decoder.feed("[1 2")
    with pytest.raises(JsonStreamError) as second:
        decoder.feed("]")
    assert second.value is first.value


def test_errors_pickle() -> None:
    """Errors survive pickling with their context (for process pools)."""
    with pytest.raises(JsonStreamError) as info:
        _decode("[01]", 10)
    clone = pickle.loads(pickle.dumps(info.value))
    assert (clone.offset, clone.line, clone.column) == (2, 1, 3)
    assert str(clone) == str(info.value)
