"""rxstruct.new_list_items: each list element once, validated, when it closes.

Marble columns are ticks of 1.0 virtual second from the subscription at 200;
the rulers in comments number the columns. Sources are drawn as the text
chunks fed to ``accumulate_json``. Independent of the decoder, the oracle
:func:`value_spans` finds where each value of a complete document ends with
the standard library's ``json``, so "emitted on the chunk that closed it" is
checked against the text itself.
"""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from typing import Any, assert_type

import pytest
import reactivex
from hypothesis import given, settings
from pydantic import (
    BaseModel,
    ConfigDict,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from reactivex import Observable
from reactivex import operators as ops
from reactivex.notification import OnError
from reactivex.testing import ReactiveTest, TestScheduler

import rxstruct as rs
from rxstruct.json import JsonSnapshot, Path
from rxstruct.testing import VirtualRun, run_in_virtual_time, token_marbles
from tests.helpers import (
    check_raw_text_error,
    chunk_of,
    closing_chunks,
    emitted_at,
    list_documents,
    load,
    marbles_run,
    run_chunks,
    same,
    truncated,
)

on_next = ReactiveTest.on_next
on_completed = ReactiveTest.on_completed


# --- oracle ------------------------------------------------------------------


# --- running -----------------------------------------------------------------


def items_run(
    diagram: str,
    chunks: dict[str, str],
    item_type: Any,
    path: str | None = None,
    **options: Any,
) -> VirtualRun[rs.ListItem[Any]]:
    """Run the chunks of ``diagram`` through accumulate_json + new_list_items."""
    return marbles_run(diagram, chunks, rs.new_list_items(item_type, path, **options))


def item(index: int, value: Any, path: Path, indices: tuple[int, ...] = ()) -> Any:
    return rs.ListItem(index=index, value=value, path=path, indices=indices)


class Recipe(BaseModel):
    name: str
    prep_time_minutes: int
    ingredients: list[str]
    instructions: str


class Section(BaseModel):
    heading: str
    paragraphs: list[str]


class Movie(BaseModel):
    title: str
    year: int
    reason: str


# --- marbles -----------------------------------------------------------------


class TestWhenItemsAreEmitted:
    def test_item_completes_mid_chunk(self) -> None:
        """The chunk holding the closing brace emits the item, not the next one."""
        chunks = {
            "a": '{"recipes": [{"name": "Pa',
            "b": 'sta", "prep_time_minutes": 15, "ingredients": ["x"], ',
            "c": '"instructions": "Boil."}, {"na',
            "d": 'me": "Soup"',
        }
        #                 0123456789
        run = items_run("-a-b-c-d-|", chunks, Recipe, "recipes")
        assert run.times() == [205.0]
        [first] = run.values()
        assert first == item(
            0,
            Recipe(
                name="Pasta",
                prep_time_minutes=15,
                ingredients=["x"],
                instructions="Boil.",
            ),
            ("recipes", 0),
        )
        # The second recipe never closed: the stream errors after the first.
        assert isinstance(run.error, rs.IncompleteJsonError)

    def test_item_split_across_many_chunks(self) -> None:
        """An object cut into one-character chunks is emitted once, at its '}'."""
        text = '[{"id": 7, "tags": ["a", "b"]}]'
        chunks = list(text)
        run = run_chunks(chunks, rs.new_list_items(dict[str, Any]))
        assert run.values() == [item(0, {"id": 7, "tags": ["a", "b"]}, (0,))]
        assert emitted_at(run) == [text.index("}")]

    def test_several_items_in_one_chunk(self) -> None:
        """Items closing in one chunk are emitted together, in order."""
        run = run_chunks(["[1, 2, 3", ", 4]"], rs.new_list_items(int))
        assert run.values() == [
            item(0, 1, (0,)),
            item(1, 2, (1,)),
            item(2, 3, (2,)),
            item(3, 4, (3,)),
        ]
        assert emitted_at(run) == [0, 0, 1, 1]

    def test_number_waits_for_its_delimiter(self) -> None:
        """``4`` may still become ``42``: a number closes at the character after
        it (whitespace, ``,`` or ``]``)."""
        run = run_chunks(["[4", "2", " ", ", 7", "]"], rs.new_list_items(int))
        assert run.values() == [item(0, 42, (0,)), item(1, 7, (1,))]
        assert emitted_at(run) == [2, 4]

    def test_string_and_literal_close_on_their_last_character(self) -> None:
        """A string closes on its quote, ``true``/``null`` on their last letter."""
        run = run_chunks(
            ['["a', '"', ", tru", "e", ", nul", "l", "]"],
            rs.new_list_items(str | bool | None),
        )
        assert run.values() == [
            item(0, "a", (0,)),
            item(1, True, (1,)),
            item(2, None, (2,)),
        ]
        assert emitted_at(run) == [1, 3, 5]

    def test_nothing_is_emitted_at_the_end_of_the_stream(self) -> None:
        """The ``done`` snapshot of the close emits nothing new."""
        run = run_chunks(['["x"]'], rs.new_list_items(str))
        assert emitted_at(run) == [0]
        assert run.completed_at == 202.0

    def test_empty_list(self) -> None:
        """An empty list completes without items."""
        #                 01234
        run = items_run("-a-b|", {"a": '{"items": [', "b": "]}"}, str, "items")
        assert run.marbles() == "----|"

    def test_empty_top_level_list(self) -> None:
        run = run_chunks(["[", " ]"], rs.new_list_items(int))
        assert run.values() == []
        assert run.completed_at == 203.0

    def test_value_at_path_that_is_not_a_list_yields_nothing(self) -> None:
        """An object, a string or null where the list should be emits nothing."""
        for text in ('{"items": {"a": 1}}', '{"items": "abc"}', '{"items": null}'):
            run = run_chunks([text], rs.new_list_items(Any, "items"))
            assert run.values() == []
            assert run.completed_at == 202.0

    def test_other_lists_are_ignored(self) -> None:
        """Only the named list is read, not lists before, after or inside it."""
        text = '{"a": [1], "items": [[2], [3, 4]], "b": [5]}'
        run = run_chunks([text], rs.new_list_items(list[int], "items"))
        assert run.values() == [
            item(0, [2], ("items", 0)),
            item(1, [3, 4], ("items", 1)),
        ]

    def test_field_path(self) -> None:
        """A dotted path reaches a list inside nested objects."""
        text = '{"menu": {"dishes": ["a", "b"]}, "dishes": ["z"]}'
        run = run_chunks([text], rs.new_list_items(str, "menu.dishes"))
        assert [i.path for i in run.values()] == [
            ("menu", "dishes", 0),
            ("menu", "dishes", 1),
        ]


class TestNestedPaths:
    TEXT = (
        '{"title": "T", "sections": ['
        '{"heading": "A", "paragraphs": ["a0", "a1"]}, '
        '{"heading": "B", "paragraphs": []}, '
        '{"heading": "C", "paragraphs": ["c0"]}]}'
    )

    def test_wildcard_reaches_lists_inside_list_items(self) -> None:
        """Items of every matching list, with the enclosing indices."""
        run = run_chunks([self.TEXT], rs.new_list_items(str, "sections[*].paragraphs"))
        assert run.values() == [
            item(0, "a0", ("sections", 0, "paragraphs", 0), (0,)),
            item(1, "a1", ("sections", 0, "paragraphs", 1), (0,)),
            item(0, "c0", ("sections", 2, "paragraphs", 0), (2,)),
        ]

    def test_nested_items_are_emitted_as_they_close(self) -> None:
        """Each paragraph arrives at its closing quote, before its section ends."""
        chunks = [self.TEXT[i : i + 7] for i in range(0, len(self.TEXT), 7)]
        run = run_chunks(chunks, rs.new_list_items(str, "sections[*].paragraphs"))
        assert emitted_at(run) == closing_chunks(
            self.TEXT, chunks, [i.path for i in run.values()]
        )

    def test_concrete_index_in_the_path(self) -> None:
        """``sections[2].paragraphs`` names one list; no wildcard, no indices."""
        run = run_chunks([self.TEXT], rs.new_list_items(str, "sections[2].paragraphs"))
        assert run.values() == [item(0, "c0", ("sections", 2, "paragraphs", 0))]

    def test_outer_and_inner_lists_at_once(self) -> None:
        """Sections and their paragraphs can be read from one shared stream."""
        run = run_chunks([self.TEXT], rs.new_list_items(Section, "sections"))
        assert [s.value.heading for s in run.values()] == ["A", "B", "C"]

    def test_top_level_list_of_lists(self) -> None:
        """``"[*]"`` names the lists inside a top-level list."""
        run = run_chunks(['[["a", "b"], [], ["c"]]'], rs.new_list_items(str, "[*]"))
        assert run.values() == [
            item(0, "a", (0, 0), (0,)),
            item(1, "b", (0, 1), (0,)),
            item(0, "c", (2, 0), (2,)),
        ]

    def test_root_path_spellings(self) -> None:
        """``None``, ``""`` and a parsed pattern all name the top-level list."""
        for path in (None, "", rs.PathPattern.parse("")):
            run = run_chunks(["[1, 2]"], rs.new_list_items(int, path))
            assert [i.value for i in run.values()] == [1, 2]


class TestInvalidItems:
    CHUNKS = (
        '{"recipes": [{"name": "A", "prep_time_minutes": 5, "ingredients": [], ',
        '"instructions": "x"}, {"name": "B", "prep_time_minutes": "soon", ',
        '"ingredients": [], "instructions": "y"}, {"name": "C", ',
        '"prep_time_minutes": 7, "ingredients": [], "instructions": "z"}]}',
    )

    def test_error_names_index_path_and_pydantic_errors(self) -> None:
        """By default an invalid item ends the stream with ItemValidationError."""
        run = run_chunks(self.CHUNKS, rs.new_list_items(Recipe, "recipes"))
        assert [i.value.name for i in run.values()] == ["A"]
        error = run.error
        assert isinstance(error, rs.ItemValidationError)
        assert error.index == 1
        assert error.path == ("recipes", 1)
        assert [e["loc"] for e in error.errors()] == [("prep_time_minutes",)]
        assert isinstance(error.validation_error, ValidationError)
        message = str(error)
        assert message.startswith(
            "list item recipes[1] (index 1) is not a valid Recipe: "
        )
        assert "prep_time_minutes" in message
        assert "valid integer" in message
        # The error is sent on the chunk that closed the invalid item.
        error_time = [m.time for m in run.messages if isinstance(m.value, OnError)]
        assert error_time == [203.0]

    def test_error_marble(self) -> None:
        """Items before the invalid one stay emitted; nothing comes after."""
        chunks = {"a": '["x", ', "b": '7, "y"', "c": ', "z"]'}
        #                 0123456
        run = items_run("-a-b-c|", chunks, str)
        assert run.marbles({"x": item(0, "x", (0,))}) == "-x-#"

    def test_ignore_drops_the_item_and_goes_on(self) -> None:
        """``on_invalid="ignore"``: the invalid item is missing, its index too."""
        run = run_chunks(
            self.CHUNKS, rs.new_list_items(Recipe, "recipes", on_invalid="ignore")
        )
        assert [(i.index, i.value.name) for i in run.values()] == [(0, "A"), (2, "C")]
        assert run.error is None
        assert run.completed_at == 205.0

    def test_ignore_with_scalars(self) -> None:
        run = run_chunks(['[1, "two", 3]'], rs.new_list_items(int, on_invalid="ignore"))
        assert [(i.index, i.value) for i in run.values()] == [(0, 1), (2, 3)]

    def test_a_crashing_validator_always_errors(self) -> None:
        """An exception that is not a validation failure is not ignored."""

        class Fragile(BaseModel):
            n: int

            @field_validator("n")
            @classmethod
            def crash(cls, value: int) -> int:
                if value == 2:
                    raise KeyError("bug")
                return value

        run = run_chunks(
            ['[{"n": 1}, {"n": 2}, {"n": 3}]'],
            rs.new_list_items(Fragile, on_invalid="ignore"),
        )
        assert [i.value.n for i in run.values()] == [1]
        assert isinstance(run.error, KeyError)


class TestValidation:
    def test_item_validators_run(self) -> None:
        """Field validators of the item model run on every item."""

        class Shout(BaseModel):
            word: str

            @field_validator("word")
            @classmethod
            def upper(cls, value: str) -> str:
                return value.upper()

        run = run_chunks(['[{"word": "hi"}]'], rs.new_list_items(Shout))
        assert run.values()[0].value == Shout(word="HI")

    def test_enum_items(self) -> None:
        class Color(enum.Enum):
            RED = "red"
            BLUE = "blue"

        run = run_chunks(['["red", "blue"]'], rs.new_list_items(Color))
        assert [i.value for i in run.values()] == [Color.RED, Color.BLUE]

    def test_datetime_items(self) -> None:
        run = run_chunks(['["2024-05-01T12:30:00Z"]'], rs.new_list_items(datetime))
        assert run.values()[0].value == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)

    def test_strict_model_gets_json_semantics(self) -> None:
        """A strict model accepts what strict JSON validation accepts."""

        class Color(enum.Enum):
            RED = "red"

        class Event(BaseModel):
            model_config = ConfigDict(strict=True)
            at: datetime
            color: Color
            n: int

        text = '[{"at": "2024-05-01T12:30:00Z", "color": "red", "n": 1}]'
        run = run_chunks([text], rs.new_list_items(Event))
        assert run.values()[0].value == Event(
            at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC), color=Color.RED, n=1
        )
        # ... and still rejects what strict JSON rejects (a number as a string).
        text = '[{"at": "2024-05-01T12:30:00Z", "color": "red", "n": "1"}]'
        run = run_chunks([text], rs.new_list_items(Event))
        assert isinstance(run.error, rs.ItemValidationError)
        assert [e["loc"] for e in run.error.errors()] == [("n",)]

    def test_type_adapter_and_union(self) -> None:
        """A TypeAdapter is used as it is; unions work."""
        adapter = TypeAdapter(int | str)
        run = run_chunks(['[1, "a"]'], rs.new_list_items(adapter))
        assert [i.value for i in run.values()] == [1, "a"]

    def test_adapters_are_cached(self) -> None:
        from rxstruct._operators.new_list_items import type_adapter

        assert type_adapter(Recipe) is type_adapter(Recipe)
        assert type_adapter(list[int]) is type_adapter(list[int])


class TestUsageErrors:
    def test_bad_on_invalid(self) -> None:
        """Only the shared words are accepted, and the message names them."""
        with pytest.raises(rs.UsageError, match="'ignore' or 'error', got 'skip'"):
            rs.new_list_items(int, on_invalid="skip")  # type: ignore[call-overload]

    def test_bad_path(self) -> None:
        with pytest.raises(rs.UsageError, match="bad path pattern"):
            rs.new_list_items(int, "recipes[")

    def test_path_must_be_a_string(self) -> None:
        with pytest.raises(rs.UsageError, match="path must be a string"):
            rs.new_list_items(int, 3)  # type: ignore[call-overload]

    def test_type_pydantic_cannot_validate(self) -> None:
        class Opaque:
            pass

        with pytest.raises(rs.UsageError, match="cannot validate items as"):
            rs.new_list_items(Opaque)

    def test_raw_text_instead_of_snapshots(self) -> None:
        check_raw_text_error(
            rs.new_list_items(str), "new_list_items", ['["a"]', '["b"]']
        )


class TestStreamErrors:
    def test_truncated_stream_keeps_items_then_errors(self) -> None:
        """Items complete before the cut are emitted, then IncompleteJsonError."""
        run = run_chunks(['["a", "b", "c'], rs.new_list_items(str))
        assert [i.value for i in run.values()] == ["a", "b"]
        assert isinstance(run.error, rs.IncompleteJsonError)
        assert run.messages[-1].time == 202.0

    def test_malformed_json_passes_through(self) -> None:
        run = run_chunks(['["a", ', "b]"], rs.new_list_items(str))
        assert [i.value for i in run.values()] == ["a"]
        assert isinstance(run.error, rs.JsonStreamError)

    def test_upstream_error_passes_through(self) -> None:
        boom = RuntimeError("network")
        source = token_marbles("-a-#", {"a": '["x", '}, error=boom)
        run = run_in_virtual_time(
            source.pipe(rs.accumulate_json(), rs.new_list_items(str))
        )
        assert [i.value for i in run.values()] == ["x"]
        assert run.error is boom


class TestEdgeCases:
    def test_repeated_key_is_not_emitted_twice(self) -> None:
        """A repeated key (undefined in JSON) does not re-emit indices: first wins."""
        text = '{"items": ["a", "b"], "items": ["c", "d", "e"]}'
        run = run_chunks([text], rs.new_list_items(str, "items"))
        assert [i.value for i in run.values()] == ["a", "b"]

    def test_operator_is_reusable(self) -> None:
        """One operator instance serves many subscriptions, each from scratch."""
        operator = rs.new_list_items(str, "items")
        text = '{"items": ["a"]}'
        for _ in range(2):
            assert [i.value for i in run_chunks([text], operator).values()] == ["a"]

    def test_disposal_stops_early(self) -> None:
        """``take(1)`` gets one item and the upstream is disposed."""
        seen: list[str] = []
        source = reactivex.of('["a", "b"', ', "c"]').pipe(ops.do_action(seen.append))
        got = source.pipe(
            rs.accumulate_json(), rs.new_list_items(str), ops.take(1), ops.to_list()
        ).run()
        assert [i.value for i in got] == ["a"]
        assert seen == ['["a", "b"']


class TestListItem:
    def test_frozen_keyword_only_value_object(self) -> None:
        li = rs.ListItem(index=1, value="x", path=(1,))
        assert li == rs.ListItem(index=1, value="x", path=(1,), indices=())
        assert hash(li) == hash(rs.ListItem(index=1, value="x", path=(1,)))
        assert li.kind == "list_item"
        with pytest.raises(AttributeError):
            li.index = 2  # type: ignore[misc]
        with pytest.raises(TypeError):
            rs.ListItem(1, "x", (1,))  # type: ignore[call-arg]

    def test_generic(self) -> None:
        li = rs.ListItem[int](index=0, value=3, path=(0,))
        assert li.value == 3

    def test_static_types(self) -> None:
        """Checked by mypy: the item type flows into ``ListItem[T]``."""
        snapshots: Observable[JsonSnapshot] = reactivex.empty()
        assert_type(
            snapshots.pipe(rs.new_list_items(Recipe, "recipes")),
            Observable[rs.ListItem[Recipe]],
        )
        assert_type(
            snapshots.pipe(rs.new_list_items(TypeAdapter(list[int]))),
            Observable[rs.ListItem[list[int]]],
        )
        assert_type(
            snapshots.pipe(rs.new_list_items(str | None)),
            Observable[rs.ListItem[Any]],
        )


# --- sharing -----------------------------------------------------------------


class TestSharing:
    def test_share_feeds_partials_and_items_from_one_subscription(self) -> None:
        """``ops.share()`` on the snapshots: one upstream request, two consumers."""
        scheduler = TestScheduler()
        tokens = scheduler.create_cold_observable(
            on_next(10, '{"recipes": ["a'),
            on_next(20, '", "b"'),
            on_next(30, "]}"),
            on_completed(40),
        )
        snapshots = tokens.pipe(rs.accumulate_json(), ops.share())
        partials: list[Any] = []
        items: list[tuple[float, str]] = []
        snapshots.subscribe(lambda s: partials.append(s.value), scheduler=scheduler)
        snapshots.pipe(rs.new_list_items(str, "recipes")).subscribe(
            lambda i: items.append((scheduler.clock, i.value)), scheduler=scheduler
        )
        scheduler.start()
        assert len(tokens.subscriptions) == 1
        assert items == [(20.0, "a"), (20.0, "b")]
        assert partials[-1] == {"recipes": ["a", "b"]}
        assert len(partials) == 4  # three chunks and the done snapshot

    def test_synchronous_source_needs_publish_and_connect(self) -> None:
        """A source that emits during ``subscribe`` is over before the second
        consumer arrives, so ``share()`` subscribes to it again. ``publish()``
        plus ``connect()`` after subscribing every consumer subscribes once."""
        requests = 0

        def request(_: Any) -> Observable[str]:
            nonlocal requests
            requests += 1
            return reactivex.of('["a", ', '"b"]')

        tokens = reactivex.defer(request)

        shared = tokens.pipe(rs.accumulate_json(), ops.share())
        shared.subscribe()
        late: list[Exception] = []
        shared.pipe(rs.new_list_items(str)).subscribe(on_error=late.append)
        assert requests == 2  # the pitfall
        # ... which the late view reports instead of completing empty.
        [error] = late
        assert isinstance(error, rs.UsageError)
        assert "after that stream had ended" in str(error)

        requests = 0
        published = tokens.pipe(rs.accumulate_json(), ops.publish())
        finals: list[Any] = []
        items: list[str] = []
        published.pipe(ops.last()).subscribe(lambda s: finals.append(s.value))
        published.pipe(rs.new_list_items(str)).subscribe(
            lambda i: items.append(i.value)
        )
        published.connect()
        assert requests == 1
        assert items == ["a", "b"]
        assert finals == [["a", "b"]]


# --- recordings --------------------------------------------------------------


class TestRecordings:
    def test_recipes(self) -> None:
        """Each recipe is emitted at the chunk that closed it, equal to the final."""
        rec = load("recipes")
        final = json.loads(rec.text)["recipes"]
        run = run_chunks(rec.deltas, rs.new_list_items(Recipe, "recipes"))
        assert [i.value for i in run.values()] == [Recipe(**r) for r in final]
        assert [i.index for i in run.values()] == list(range(len(final)))
        assert emitted_at(run) == closing_chunks(
            rec.text, rec.deltas, [i.path for i in run.values()]
        )
        assert run.completed_at == 201.0 + len(rec.deltas)

    @pytest.mark.parametrize(
        ("name", "pattern", "outer", "inner"),
        [
            ("recipes", "recipes[*].ingredients", "recipes", "ingredients"),
            ("outline", "sections[*].paragraphs", "sections", "paragraphs"),
        ],
    )
    def test_nested_strings(
        self, name: str, pattern: str, outer: str, inner: str
    ) -> None:
        """Each string of each inner list, with the outer index, at its chunk."""
        rec = load(name)
        final = json.loads(rec.text)
        run = run_chunks(rec.deltas, rs.new_list_items(str, pattern))
        assert [(i.indices, i.index, i.value) for i in run.values()] == [
            ((o,), k, value)
            for o, element in enumerate(final[outer])
            for k, value in enumerate(element[inner])
        ]
        assert emitted_at(run) == closing_chunks(
            rec.text, rec.deltas, [i.path for i in run.values()]
        )

    def test_outline_sections(self) -> None:
        rec = load("outline")
        final = json.loads(rec.text)
        run = run_chunks(rec.deltas, rs.new_list_items(Section, "sections"))
        assert [i.value for i in run.values()] == [
            Section(**s) for s in final["sections"]
        ]

    def test_movies_truncated(self) -> None:
        """The complete movies are emitted, then IncompleteJsonError."""
        rec = load("movies")
        assert truncated(rec)
        # The complete elements, read with the standard library.
        complete: list[tuple[Any, int]] = []
        i = rec.text.index("[") + 1
        while True:
            while rec.text[i] in " \t\n\r,":
                i += 1
            try:
                value, end = json.JSONDecoder().raw_decode(rec.text, i)
            except json.JSONDecodeError:
                break
            complete.append((value, end - 1))
            i = end
        assert complete, "the recording holds complete movies"
        run = run_chunks(rec.deltas, rs.new_list_items(Movie))
        assert [i.value for i in run.values()] == [Movie(**v) for v, _ in complete]
        assert emitted_at(run) == [chunk_of(rec.deltas, end) for _, end in complete]
        assert isinstance(run.error, rs.IncompleteJsonError)
        assert run.messages[-1].time == 201.0 + len(rec.deltas)


# --- property ------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(list_documents())
def test_any_chunking_emits_the_final_elements_each_once_when_closed(
    case: tuple[str, list[str], str | None, Path],
) -> None:
    """For any list document and chunking: exactly the final elements, each
    once, in order, each on the chunk whose text closed it."""
    text, chunks, pattern, path = case
    run = run_chunks(chunks, rs.new_list_items(Any, pattern))
    final = json.loads(text)
    for part in path:
        final = final[part]
    timed = [
        (at, i)
        for at, i in zip(emitted_at(run), run.values(), strict=True)
        if i.path[: len(path)] == path
    ]
    items = [i for _, i in timed]
    assert [i.index for i in items] == list(range(len(final)))
    assert all(same(i.value, v) for i, v in zip(items, final, strict=True))
    assert [i.path for i in items] == [(*path, k) for k in range(len(final))]
    assert [at for at, _ in timed] == closing_chunks(
        text, chunks, [i.path for i in items]
    )
    assert run.error is None
    assert run.completed_at == 201.0 + len(chunks)
