"""Text around the JSON: prose that looks like JSON, fences, ``expect``.

Models write a sentence, a markdown fence, or both before the value and a
closing fence or a remark after it. The decoder must find the value without
ever showing the prose as (part of) it: every case is checked whole and in
one-character chunks with ``check_stream``, which also asserts that no partial
shows anything the final value lacks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rxstruct as rs
from rxstruct import IncompleteJsonError, JsonStreamError, UsageError
from rxstruct.json import JsonKind, PartialJsonDecoder
from tests.helpers import check_stream, feed_all, same

RECIPE = '{"name": "Pasta", "minutes": 15, "tags": ["quick"]}'
RECIPES = '{"recipes": [{"name": "Pasta"}, {"name": "Soup"}]}'

# (name, text, the value, the trailing text). Each decodes to the value with
# and without expect= (the kind of the value).
PREAMBLES: list[tuple[str, str, Any, str]] = [
    # The four cases of issue 11.11.
    (
        "count then one-line fence",
        '2 recipes:\n```json {"recipes": [1, 2]}```',
        {"recipes": [1, 2]},
        "```",
    ),
    (
        "quoted word then prose",
        '"Sure!" Here is the JSON: ' + RECIPE,
        json.loads(RECIPE),
        "",
    ),
    (
        "true in a sentence",
        "true to the request, here it is:\n" + RECIPE,
        json.loads(RECIPE),
        "",
    ),
    ("one-line fence without tag", '```{"a":1}```', {"a": 1}, "```"),
    # Real-looking preambles.
    (
        "chatty fence with epilogue",
        "Sure! Here is the JSON you asked for:\n\n```json\n"
        + RECIPES
        + "\n```\n\nLet me know if you need anything else.",
        json.loads(RECIPES),
        "\n```\n\nLet me know if you need anything else.",
    ),
    (
        "CRLF and an upper-case tag",
        "Here's the recipe in JSON format:\r\n```JSON\r\n" + RECIPE + "\r\n```\r\n",
        json.loads(RECIPE),
        "\r\n```\r\n",
    ),
    (
        "numbered step, untagged fence, array",
        "1. First, the data:\n```\n[1, 2, 3]\n```",
        [1, 2, 3],
        "\n```",
    ),
    (
        "count sentence then fence",
        "3 ideas below.\n\n```json\n" + RECIPES + "\n```",
        json.loads(RECIPES),
        "\n```",
    ),
    (
        "bracketed aside",
        "Of course! I've included [two] entries:\n" + RECIPES,
        json.loads(RECIPES),
        "",
    ),
    (
        "null at the start of a sentence",
        "null values are omitted. ```json\n" + RECIPE + "```",
        json.loads(RECIPE),
        "```",
    ),
    (
        "false at the start of a sentence",
        "false alarm earlier, corrected output:\n```json\n" + RECIPE + "\n```",
        json.loads(RECIPE),
        "\n```",
    ),
    ("dashes", "-- Output --\n" + RECIPE, json.loads(RECIPE), ""),
    (
        "quoted name, fence, text after the fence",
        '"Pasta" is a great choice! ```json\n{"name": "Pasta"}\n``` Enjoy!',
        {"name": "Pasta"},
        "\n``` Enjoy!",
    ),
    (
        "placeholders in braces",
        "I replaced the {placeholders} with values:\n" + RECIPE,
        json.loads(RECIPE),
        "",
    ),
    (
        "tag and value on the fence line, text after",
        "Answer (as JSON): ```json " + RECIPE + "``` - hope this helps",
        json.loads(RECIPE),
        "``` - hope this helps",
    ),
    (
        "street number",
        "123 Main St. is the address; details: " + RECIPE,
        json.loads(RECIPE),
        "",
    ),
    (
        "blank lines and indentation inside the fence",
        "```json\n\n   " + RECIPE + "\n\n```",
        json.loads(RECIPE),
        "\n\n```",
    ),
    (
        "four backticks",
        "Here you go:\n````json\n" + RECIPE + "\n````",
        json.loads(RECIPE),
        "\n````",
    ),
    (
        "a code block before the JSON block",
        'Run:\n```python\nprint("hi")\n```\nand the data:\n```json\n'
        + RECIPE
        + "\n```",
        json.loads(RECIPE),
        "\n```",
    ),
    (
        "inline code in the sentence",
        "The `name` field is required:\n```json\n" + RECIPE + "\n```",
        json.loads(RECIPE),
        "\n```",
    ),
    (
        "inline triple backticks in the sentence",
        "Run ```pip install rxstruct``` first, then: " + RECIPE + " - done",
        json.loads(RECIPE),
        " - done",
    ),
    ("a fenced string", '```json\n"just a string"\n```', "just a string", "\n```"),
    ("a fenced number", "```\n-12.5e1\n```", -125.0, "\n```"),
    ("BOM then whitespace", "\ufeff \n" + RECIPE, json.loads(RECIPE), ""),
]


def _kind(value: Any) -> JsonKind:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _decode(text: str, **options: Any) -> Any:
    _, final = feed_all([text], **options)
    return final.value


@pytest.mark.parametrize(
    ("name", "text", "value", "trailing"),
    PREAMBLES,
    ids=[case[0] for case in PREAMBLES],
)
@pytest.mark.parametrize("expect", [False, True], ids=["any kind", "expect"])
@pytest.mark.parametrize("chunking", ["whole", "1-char"])
def test_preamble(
    name: str, text: str, value: Any, trailing: str, expect: bool, chunking: str
) -> None:
    """The value is found, never the prose, whole or one character at a time."""
    options: dict[str, Any] = {"expect": _kind(value)} if expect else {}
    chunks = [text] if chunking == "whole" else list(text)
    check_stream(chunks, value, **options)
    _, final = feed_all(chunks, **options)
    assert final.trailing == trailing


# Cases only the expected kind can decide: without it the first JSON-looking
# value wins (documented), with it the value of the expected kind does.
EXPECTED_KIND: list[tuple[str, str, JsonKind, Any, Any]] = [
    ("footnote", "[1] Source: the recipe book.\n" + RECIPE, "object", [1], RECIPE),
    (
        "list of names in prose",
        'Picked ["Pasta"] for you:\n```json\n' + RECIPE + "\n```",
        "object",
        ["Pasta"],
        RECIPE,
    ),
    (
        "bare fenced number before an array",
        "```\n3\n```\nitems:\n```json\n[1, 2, 3]\n```",
        "array",
        3,
        "[1, 2, 3]",
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "kind", "without", "with_expect"),
    EXPECTED_KIND,
    ids=[case[0] for case in EXPECTED_KIND],
)
@pytest.mark.parametrize("chunking", ["whole", "1-char"])
def test_expect_decides(
    name: str,
    text: str,
    kind: JsonKind,
    without: Any,
    with_expect: str,
    chunking: str,
) -> None:
    """expect= picks the value of the wanted kind past JSON-looking prose."""
    chunks = [text] if chunking == "whole" else list(text)
    _, final = feed_all(chunks)
    assert same(final.value, without)
    check_stream(chunks, json.loads(with_expect), expect=kind)


@pytest.mark.parametrize(
    ("text", "kind", "offset"),
    [
        ('[{"name": "Pasta"}]', "object", 0),
        ('Here:\n```json\n[ {"name": "Pasta"}]\n```', "object", 14),
        ('Result: {"items": [1, 2]}', "array", 8),
        ('```json\n{"a": [1]}\n```', "array", 8),
        ("Sure: [[1, 2]]", ("object", "string"), 6),
    ],
)
@pytest.mark.parametrize("chunk_size", [1, 1000])
def test_json_of_the_wrong_kind_is_an_error(
    text: str, kind: Any, offset: int, chunk_size: int
) -> None:
    """A bracket that is visibly JSON of another kind fails at the bracket, so a
    wrapper like ``[{...}]`` never yields the object inside it."""
    decoder = PartialJsonDecoder(expect=kind)
    with pytest.raises(JsonStreamError) as info:
        for i in range(0, len(text), chunk_size):
            decoder.feed(text[i : i + chunk_size])
        decoder.close()
    assert info.value.offset == offset
    assert "expected an" in info.value.reason


class TestBareScalars:
    def test_a_bare_scalar_is_the_value_when_nothing_follows(self) -> None:
        """42, "hi", true alone (whitespace around) are values, shown at the end."""
        for text, value in [(" 42 \n", 42), ('"hi"', "hi"), ("true", True)]:
            for chunks in ([text], list(text)):
                snapshots, final = feed_all(chunks)
                assert not any(s.has_value for s in snapshots)
                assert same(final.value, value)
                assert final.completed == (((), value),)
                assert final.changed == ((),)

    def test_prose_that_starts_like_a_value_is_never_shown(self) -> None:
        """The string of '"Sure!" Here' never appears, even partially."""
        snapshots, final = feed_all(list('"Sure!" Here: {"a": 1}'))
        assert all(s.value in (None, {}, {"a": 1}) for s in snapshots)
        assert final.value == {"a": 1}

    def test_prose_only_is_incomplete(self) -> None:
        """Prose that only looked like values ends in IncompleteJsonError."""
        for text in ["2 recipes coming up", '"Sure!" one moment', "true that"]:
            with pytest.raises(IncompleteJsonError) as info:
                feed_all([text])
            assert info.value.offset == len(text)
            assert "before a JSON value" in info.value.reason

    def test_expect_names_the_missing_kind(self) -> None:
        with pytest.raises(IncompleteJsonError) as info:
            feed_all(["42"], expect="object")
        assert "before an object" in info.value.reason

    def test_a_scalar_of_the_expected_kind_after_prose_is_not_searched(
        self,
    ) -> None:
        """Scalars are values at the start or in a fence only, not mid-sentence."""
        with pytest.raises(IncompleteJsonError):
            feed_all(["The answer is 42"], expect="number")
        _, final = feed_all(["The answer is:\n```\n42\n```"], expect="number")
        assert final.value == 42

    def test_in_strict_mode_a_top_level_string_grows(self) -> None:
        """strict=True knows there is no prose: the string is shown as written."""
        snapshots, final = feed_all(['"Hel', 'lo"'], strict=True)
        assert [s.value for s in snapshots] == ["Hel", "Hello"]
        assert final.value == "Hello"


class TestExpectOption:
    def test_kinds_and_collections(self) -> None:
        decoder = PartialJsonDecoder(expect=["object", "null"])
        assert decoder.expect == frozenset({"object", "null"})
        assert PartialJsonDecoder().expect is None
        assert _decode(" null ", expect=("object", "null")) is None
        assert _decode("Nope. {}", expect=("object", "null")) == {}

    @pytest.mark.parametrize("bad", ["dict", [], ["object", "integer"], 3])
    def test_bad_kinds_are_a_usage_error(self, bad: Any) -> None:
        with pytest.raises(UsageError):
            PartialJsonDecoder(expect=bad)
        with pytest.raises(UsageError):
            rs.accumulate_json(expect=bad)


# Property: any value of the expected kind behind any mix of the preambles.
_prose = st.sampled_from(
    [
        "",
        "Sure! ",
        "2 recipes:\n",
        '"Sure!" Here it is. ',
        "true to the request: ",
        "null values dropped. ",
        "[Note] ",
        "I filled {placeholders}. ",
        "-- Output --\n",
        "123 Main St. ",
    ]
)
_fence = st.sampled_from(
    [("", ""), ("```json\n", "\n```"), ("```", "```"), ("```JSON\r\n", "\r\n```\r\n")]
)
_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=6)
_objects = st.dictionaries(
    st.text(max_size=5),
    st.recursive(_leaf, lambda c: st.lists(c, max_size=3), max_leaves=6),
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prose=st.lists(_prose, max_size=3),
    fence=_fence,
    value=_objects,
    after=st.sampled_from(["", "\nHope it helps.", " 42 {"]),
    size=st.integers(min_value=1, max_value=9),
)
def test_any_preamble_any_chunking(
    prose: list[str], fence: tuple[str, str], value: Any, after: str, size: int
) -> None:
    """With expect="object" the object is found behind any preamble."""
    text = "".join(prose) + fence[0] + json.dumps(value) + fence[1] + after
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    check_stream(chunks, value, expect="object")
