"""rxstruct.completed_fields: each field path once, when its value is final.

Marble columns are ticks of 1.0 virtual second from the subscription at 200;
sources are drawn as the text chunks fed to ``accumulate_json``. The oracle
(``value_spans``, shared with the ``new_list_items`` tests) locates every value
of a complete document with the standard library's ``json``.
"""

from __future__ import annotations

import json
from typing import Any, assert_type

import pytest
import reactivex
from hypothesis import given, settings
from reactivex import Observable
from reactivex import operators as ops

import rxstruct as rs
from rxstruct.json import JsonSnapshot, Path
from rxstruct.testing import VirtualRun, run_in_virtual_time, token_marbles
from tests.helpers import (
    check_late_view_error,
    check_raw_text_error,
    closing_chunks,
    emitted_at,
    list_documents,
    load,
    marbles_run,
    published_views,
    run_chunks,
    same,
    value_spans,
)


def fields_run(
    diagram: str, chunks: dict[str, str], *patterns: str
) -> VirtualRun[rs.FieldCompleted]:
    return marbles_run(diagram, chunks, rs.completed_fields(*patterns))


def field(path: Path, value: Any) -> rs.FieldCompleted:
    return rs.FieldCompleted(path=path, value=value)


def paths(run: VirtualRun[rs.FieldCompleted]) -> list[Path]:
    return [f.path for f in run.values()]


def member_paths(text: str) -> list[Path]:
    """Every object member of a complete document, in closing order."""
    spans = value_spans(text)
    members = [p for p in spans if p and isinstance(p[-1], str)]
    return sorted(members, key=lambda p: spans[p][1])


DOC = (
    '{"title": "Pasta", "meta": {"by": "Ann", "n": 2}, '
    '"tags": ["a", "b"], "recipes": [{"name": "X", "time": 5}, {"name": "Y"}]}'
)


class TestWhichFields:
    def test_every_object_member_without_patterns(self) -> None:
        """Members at any depth, inside list elements too; elements and the root
        are not fields. Inner values come before the object holding them."""
        run = run_chunks([DOC], rs.completed_fields())
        assert paths(run) == [
            ("title",),
            ("meta", "by"),
            ("meta", "n"),
            ("meta",),
            ("tags",),
            ("recipes", 0, "name"),
            ("recipes", 0, "time"),
            ("recipes", 1, "name"),
            ("recipes",),
        ]
        assert paths(run) == member_paths(DOC)
        assert run.values()[3] == field(("meta",), {"by": "Ann", "n": 2})

    def test_patterns_select_paths(self) -> None:
        run = run_chunks([DOC], rs.completed_fields("title", "recipes[*].name"))
        assert run.values() == [
            field(("title",), "Pasta"),
            field(("recipes", 0, "name"), "X"),
            field(("recipes", 1, "name"), "Y"),
        ]

    def test_patterns_may_name_list_elements_and_the_root(self) -> None:
        run = run_chunks([DOC], rs.completed_fields("tags[*]", ""))
        assert paths(run) == [("tags", 0), ("tags", 1), ()]
        assert same(run.values()[-1].value, json.loads(DOC))

    def test_parsed_pattern(self) -> None:
        pattern = rs.PathPattern.parse("meta.n")
        assert paths(run_chunks([DOC], rs.completed_fields(pattern))) == [("meta", "n")]

    def test_pattern_matching_nothing(self) -> None:
        run = run_chunks([DOC], rs.completed_fields("nope", "tags[*].x"))
        assert run.values() == []
        assert run.completed_at == 202.0

    def test_top_level_list(self) -> None:
        """Fields of the elements of a top-level list are fields too."""
        run = run_chunks(['[{"a": 1}, 2]'], rs.completed_fields())
        assert paths(run) == [(0, "a")]

    def test_repeated_key_is_reported_once(self) -> None:
        """A repeated key (undefined in JSON) is not reported again: first wins."""
        run = run_chunks(['{"a": 1, "a": 2}'], rs.completed_fields())
        assert run.values() == [field(("a",), 1)]


class TestWhen:
    def test_field_is_reported_on_the_chunk_that_closed_it(self) -> None:
        """Each field arrives with the chunk holding its last character."""
        chunks = [DOC[i : i + 5] for i in range(0, len(DOC), 5)]
        run = run_chunks(chunks, rs.completed_fields())
        assert emitted_at(run) == closing_chunks(
            DOC, chunks, [f.path for f in run.values()]
        )

    def test_number_field_waits_for_the_character_after_it(self) -> None:
        #                 0123456
        chunks = {"a": '{"n": 4', "b": "2", "c": "}"}
        run = fields_run("-a-b-c|", chunks)
        assert run.marbles({"n": field(("n",), 42)}) == "-----n|"

    def test_enable_a_button_when_the_title_is_final(self) -> None:
        """The UI use: react to one field becoming final, while text streams."""
        chunks = {"a": '{"title": "Pa', "b": 'sta", "body": "Boil', "c": ' it."}'}

        def enable_button(title: rs.FieldCompleted) -> str:
            return f"enable button: {title.value}"

        titles = token_marbles("-a-b-c|", chunks).pipe(
            rs.accumulate_json(),
            rs.completed_fields("title"),
            ops.map(enable_button),
        )
        run = run_in_virtual_time(titles)
        assert run.values() == ["enable button: Pasta"]
        assert run.times() == [203.0]


class TestErrors:
    def test_truncated_stream_keeps_fields_then_errors(self) -> None:
        run = run_chunks(['{"a": "x", "b": "y'], rs.completed_fields())
        assert paths(run) == [("a",)]
        assert isinstance(run.error, rs.IncompleteJsonError)

    def test_bad_pattern(self) -> None:
        with pytest.raises(rs.UsageError, match="bad path pattern"):
            rs.completed_fields("a[")

    def test_pattern_must_be_a_string(self) -> None:
        with pytest.raises(rs.UsageError, match="field pattern is a string"):
            rs.completed_fields(3)  # type: ignore[arg-type]

    def test_raw_text_instead_of_snapshots(self) -> None:
        check_raw_text_error(
            rs.completed_fields(), "completed_fields", ['{"a": 1}', "{}"]
        )


class TestFieldCompleted:
    def test_value_object(self) -> None:
        f = field(("title",), "x")
        assert f == rs.FieldCompleted(path=("title",), value="x")
        assert f.kind == "field_completed"
        with pytest.raises(AttributeError):
            f.value = "y"  # type: ignore[misc]
        with pytest.raises(TypeError):
            rs.FieldCompleted(("title",), "x")  # type: ignore[call-arg]

    def test_operator_is_reusable(self) -> None:
        operator = rs.completed_fields()
        for _ in range(2):
            assert paths(run_chunks(['{"a": 1}'], operator)) == [("a",)]

    def test_static_types(self) -> None:
        snapshots: Observable[JsonSnapshot] = reactivex.empty()
        assert_type(
            snapshots.pipe(rs.completed_fields("title")),
            Observable[rs.FieldCompleted],
        )


class TestRecordings:
    @pytest.mark.parametrize("name", ["recipes", "outline"])
    def test_every_field_once_at_its_closing_chunk(self, name: str) -> None:
        rec = load(name)
        run = run_chunks(rec.deltas, rs.completed_fields())
        assert paths(run) == member_paths(rec.text)
        assert emitted_at(run) == closing_chunks(
            rec.text, rec.deltas, [f.path for f in run.values()]
        )
        final = json.loads(rec.text)
        for f in run.values():
            expected: Any = final
            for part in f.path:
                expected = expected[part]
            assert same(f.value, expected)

    def test_outline_headings(self) -> None:
        rec = load("outline")
        final = json.loads(rec.text)
        run = run_chunks(
            rec.deltas, rs.completed_fields("title", "sections[*].heading")
        )
        assert [f.value for f in run.values()] == [
            final["title"],
            *(s["heading"] for s in final["sections"]),
        ]


@settings(max_examples=200, deadline=None)
@given(list_documents())
def test_any_chunking_reports_each_member_once_when_closed(
    case: tuple[str, list[str], str | None, Path],
) -> None:
    """For any document and chunking: every object member, once, on the chunk
    whose text closed it."""
    text, chunks, _pattern, _path = case
    run = run_chunks(chunks, rs.completed_fields())
    assert paths(run) == member_paths(text)
    assert emitted_at(run) == closing_chunks(
        text, chunks, [f.path for f in run.values()]
    )


class TestLateSubscription:
    def test_a_view_subscribed_after_a_shared_stream_ended_says_so(self) -> None:
        """A late view of a ``share()``d stream gets a UsageError naming the late
        subscription, not an empty stream."""
        check_late_view_error(
            rs.completed_fields(), "completed_fields", '{"title": "Pasta"}'
        )

    def test_views_subscribed_before_the_stream_starts_see_it(self) -> None:
        """The fix the message gives: publish, subscribe every view, connect."""
        first, second = published_views(rs.completed_fields(), '{"title": "Pasta"}')
        assert first == second
        assert first == [rs.FieldCompleted(path=("title",), value="Pasta")]
