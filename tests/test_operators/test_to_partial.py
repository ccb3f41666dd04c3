"""rxstruct.to_partial / PartialBuilder: typed partial objects from snapshots.

Per type family: what a partial shows while the JSON is written, that the type
never flips, that nothing visible is taken back, and that completed
sub-objects are converted once and shared.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

import pytest
import reactivex
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
)

import rxstruct as rs
from tests.helpers import (
    check_late_view_error,
    published_views,
)
from tests.helpers.models import Cat, Dog, NeverValid


def partials(model: Any, chunks: Sequence[str], **options: Any) -> list[Any]:
    """Emissions of accumulate_json -> to_partial for ``chunks``; raises errors."""
    out: list[Any] = []
    errors: list[Exception] = []
    reactivex.from_iterable(chunks).pipe(
        rs.accumulate_json(), rs.to_partial(model, **options)
    ).subscribe(out.append, errors.append)
    if errors:
        raise errors[0]
    return out


def field_history(emissions: list[Any], name: str) -> list[Any]:
    """The successive distinct values of one field across emissions."""
    seen: list[Any] = []
    for emission in emissions:
        value = getattr(emission, name)
        if not seen or seen[-1] != value:
            seen.append(value)
    return seen


class User(BaseModel):
    name: str
    age: int
    role: Literal["admin", "user", "guest"]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


# --- atomic values: numbers, literals, enums, bools --------------------------


class TestAtomic:
    def test_number_never_flickers(self) -> None:
        """age is None until 38 is complete: it never shows 3."""
        emissions = partials(User, list('{"age": 38, "name": "x"}'))
        assert field_history(emissions, "age") == [None, 38]

    def test_number_split_over_chunks(self) -> None:
        """A float split anywhere appears once, complete."""

        class M(BaseModel):
            x: float
            y: int

        text = '{"x": -12.5e-1, "y": 1234567890123}'
        for cut in range(1, len(text)):
            emissions = partials(M, [text[:cut], text[cut:]])
            assert {e.x for e in emissions} <= {None, -1.25}
            assert {e.y for e in emissions} <= {None, 1234567890123}
            assert emissions[-1].x == -1.25

    def test_literal_and_enum_appear_complete(self) -> None:
        """A Literal or Enum field is None while its string is written."""

        class M(BaseModel):
            role: Literal["admin", "user"]
            color: Color

        emissions = partials(M, list('{"role": "admin", "color": "blue"}'))
        assert field_history(emissions, "role") == [None, "admin"]
        assert field_history(emissions, "color") == [None, Color.BLUE]

    def test_literal_list_items(self) -> None:
        """list[Literal] shows complete elements only."""

        class M(BaseModel):
            tags: list[Literal["alpha", "beta"]]

        emissions = partials(M, list('{"tags": ["alpha", "beta"]}'))
        assert field_history(emissions, "tags") == [
            None,
            [],
            ["alpha"],
            ["alpha", "beta"],
        ]

    def test_use_enum_values(self) -> None:
        """use_enum_values applies to partials too."""

        class M(BaseModel):
            model_config = ConfigDict(use_enum_values=True)
            color: Color

        assert partials(M, ['{"color": "red"}'])[-1].color == "red"

    def test_bool_null_and_dates(self) -> None:
        """bool, None and datetime fields appear when complete."""

        class M(BaseModel):
            ok: bool
            note: str | None
            at: datetime

        emissions = partials(
            M, list('{"ok": true, "note": null, "at": "2024-03-15T13:05:00Z"}')
        )
        assert field_history(emissions, "ok") == [None, True]
        assert field_history(emissions, "at")[1:] == [
            datetime.fromisoformat("2024-03-15T13:05:00+00:00")
        ]
        assert emissions[-1].note is None

    def test_atomic_marker(self) -> None:
        """Annotated[str, rs.Atomic] shows a string only once complete."""

        class M(BaseModel):
            url: Annotated[str, rs.Atomic]
            title: str

        emissions = partials(M, list('{"url": "http://x.io", "title": "Hi"}'))
        assert field_history(emissions, "url") == [None, "http://x.io"]
        assert field_history(emissions, "title") == [None, "", "H", "Hi"]


# --- strings -----------------------------------------------------------------


class TestStrings:
    def test_strings_grow(self) -> None:
        """A str field grows while written."""
        emissions = partials(User, list('{"name": "Ada"}'))
        assert field_history(emissions, "name") == [None, "", "A", "Ad", "Ada"]

    @pytest.mark.parametrize(
        "literal",
        [r"a\"b", r"back\\slash", r"tab\tnew\nline", r"caf\u00e9", r"\ud83d\ude00!"],
    )
    def test_escape_split_everywhere(self, literal: str) -> None:
        """An escape cut at any point never shows half-decoded."""
        text = '{"name": "' + literal + '"}'
        final = json.loads(text)["name"]
        for cut in range(1, len(text)):
            for e in partials(User, [text[:cut], text[cut:]]):
                assert e.name is None or final.startswith(e.name)


# --- containers --------------------------------------------------------------


class Ingredient(BaseModel):
    name: str
    grams: int


class Recipe(BaseModel):
    title: str
    ingredients: list[Ingredient]
    steps: list[str] = []
    by_name: dict[str, Ingredient] = {}
    side: Ingredient | None = None


RECIPE = {
    "title": "Soup",
    "ingredients": [{"name": "leek", "grams": 200}, {"name": "salt", "grams": 5}],
    "steps": ["chop", "boil"],
    "by_name": {"leek": {"name": "leek", "grams": 200}},
    "side": None,
}


class TestContainers:
    def test_lists_and_nested_models(self) -> None:
        """Lists show closed elements plus the open one, all partial models."""
        emissions = partials(Recipe, list(json.dumps(RECIPE)))
        PartialIngredient = rs.partial_model(Ingredient)
        for e in emissions:
            assert type(e) is rs.partial_model(Recipe)
            for item in e.ingredients or []:
                assert type(item) is PartialIngredient
        shown = [len(e.ingredients or []) for e in emissions]
        assert shown == sorted(shown)
        assert emissions[-1].model_dump() == RECIPE

    def test_completed_sub_objects_are_shared(self) -> None:
        """A closed element is converted once: later emissions hold the same object."""
        emissions = partials(Recipe, list(json.dumps(RECIPE)))
        firsts = [e.ingredients[0] for e in emissions if e.ingredients]
        closed = [item for item in firsts if rs.is_complete(item)]
        assert len(closed) > 10
        assert all(item is closed[0] for item in closed)

    def test_dict_of_models(self) -> None:
        """dict[str, Model] values are partial models; keys appear with values."""
        emissions = partials(Recipe, list(json.dumps(RECIPE)))
        shown = [e.by_name for e in emissions if e.by_name]
        assert all(list(d) == ["leek"] for d in shown)
        assert shown[-1]["leek"].grams == 200

    def test_optional_model(self) -> None:
        """Optional[Model] with null stays None; with an object, a partial model."""
        assert partials(Recipe, [json.dumps(RECIPE)])[-1].side is None
        data = {**RECIPE, "side": {"name": "bread", "grams": 50}}
        side = partials(Recipe, [json.dumps(data)])[-1].side
        assert type(side) is rs.partial_model(Ingredient)

    def test_top_level_list(self) -> None:
        """to_partial(list[Model]) emits lists of partial models."""
        text = json.dumps(RECIPE["ingredients"])
        emissions = partials(list[Ingredient], list(text))
        assert all(isinstance(e, list) for e in emissions)
        assert emissions[-1] == [
            rs.partial_model(Ingredient)(name="leek", grams=200),
            rs.partial_model(Ingredient)(name="salt", grams=5),
        ]
        assert "[0].name" in rs.completed(emissions[-1])

    def test_top_level_dict(self) -> None:
        """to_partial(dict[str, Model]) emits dicts of partial models."""
        emissions = partials(dict[str, Ingredient], list(json.dumps(RECIPE["by_name"])))
        assert emissions[-1]["leek"].name == "leek"

    def test_int_keys(self) -> None:
        """Non-str dict keys are converted once complete."""

        class M(BaseModel):
            scores: dict[int, float]

        assert partials(M, ['{"scores": {"1": 2, "x": 3}}'])[-1].scores == {1: 2.0}

    def test_recursive_model(self) -> None:
        """Recursive models stream recursively."""

        class Node(BaseModel):
            name: str
            children: list[Node] = []

        Node.model_rebuild()
        text = '{"name": "r", "children": [{"name": "a", "children": [{"name": "b"}]}]}'
        emissions = partials(Node, list(text))
        final = emissions[-1]
        assert final.children[0].children[0].name == "b"
        assert type(final.children[0].children[0]) is rs.partial_model(Node)

    def test_defaults_show_once_complete(self) -> None:
        """A field with a default is None until written or the object completes."""

        class M(BaseModel):
            a: str
            n: int = 7

        emissions = partials(M, list('{"a": "x", "n": 1}'))
        assert field_history(emissions, "n") == [None, 1]
        assert field_history(partials(M, list('{"a": "x"}')), "n") == [None, 7]


# --- unions ------------------------------------------------------------------


class TestUnions:
    def test_discriminated_union_waits_for_tag(self) -> None:
        """The arm is chosen once the tag is complete; None before."""

        class Home(BaseModel):
            pet: Cat | Dog = Field(discriminator="kind")

        text = '{"pet": {"name": "Rex", "kind": "dog", "good": false}}'
        emissions = partials(Home, list(text))
        pets = [e.pet for e in emissions]
        first = next(i for i, pet in enumerate(pets) if pet is not None)
        assert text[: len(text)].find('"dog"') > 0
        assert all(type(p) is rs.partial_model(Dog) for p in pets[first:])
        assert pets[first].name == "Rex"  # name closed before the tag
        assert pets[-1].good is False

    def test_implicit_discriminator(self) -> None:
        """A plain union of models with distinct Literal tags acts discriminated."""

        class Home(BaseModel):
            pets: list[Cat | Dog]

        text = json.dumps(
            {"pets": [{"kind": "cat", "name": "Tom"}, {"kind": "dog", "name": "Fido"}]}
        )
        emissions = partials(Home, list(text))
        types = {tuple(type(p).__name__ for p in e.pets or []) for e in emissions}
        assert types <= {(), ("PartialCat",), ("PartialCat", "PartialDog")}

    def test_callable_discriminator(self) -> None:
        """Discriminator(callable) + Tag picks the arm from the closed members."""

        def pick(value: Any) -> str | None:
            if isinstance(value, dict):
                return value.get("kind")
            return getattr(value, "kind", None)

        class Home(BaseModel):
            pet: Annotated[
                Annotated[Cat, Tag("cat")] | Annotated[Dog, Tag("dog")],
                Discriminator(pick),
            ]

        emissions = partials(Home, list('{"pet": {"kind": "cat", "name": "Tom"}}'))
        assert type(emissions[-1].pet) is rs.partial_model(Cat)
        assert {type(e.pet).__name__ for e in emissions} <= {"NoneType", "PartialCat"}

    def test_plain_union_by_keys(self) -> None:
        """Without tags, the arm is decided once the keys fit only one model."""

        class Point(BaseModel):
            x: int
            y: int

        class Label(BaseModel):
            x: int
            text: str

        class M(BaseModel):
            item: Point | Label

        emissions = partials(M, list('{"item": {"x": 1, "text": "hi"}}'))
        kinds = [type(e.item).__name__ for e in emissions]
        assert set(kinds) <= {"NoneType", "PartialLabel"}
        assert emissions[-1].item.text == "hi"

    def test_scalar_unions(self) -> None:
        """int | str picks like pydantic; str | None grows."""

        class M(BaseModel):
            a: int | str
            b: int | str
            c: str | None

        final = partials(M, list('{"a": 5, "b": "5", "c": "x"}'))[-1]
        assert (final.a, final.b, final.c) == (5, "5", "x")


# --- aliases -----------------------------------------------------------------


class TestAliases:
    def test_alias_and_populate_by_name(self) -> None:
        """JSON keys are aliases; with populate_by_name, names work too."""

        class M(BaseModel):
            model_config = ConfigDict(populate_by_name=True)
            first_name: str = Field(alias="firstName")
            last_name: str = Field(alias="lastName")

        final = partials(M, ['{"firstName": "Ada", "last_name": "L"}'])[-1]
        assert (final.first_name, final.last_name) == ("Ada", "L")

    def test_alias_without_populate_by_name(self) -> None:
        """Without populate_by_name, the field name is not a JSON key."""

        class M(BaseModel):
            first_name: str = Field(alias="firstName")

        assert partials(M, ['{"first_name": "Ada"}'])[-1].first_name is None

    def test_validation_alias_choices(self) -> None:
        """AliasChoices are all accepted."""

        class M(BaseModel):
            x: int = Field(validation_alias=AliasChoices("x", "ex"))

        assert partials(M, ['{"ex": 4}'])[-1].x == 4

    def test_extra_allow(self) -> None:
        """Extra keys of an extra="allow" model are kept raw."""

        class M(BaseModel):
            model_config = ConfigDict(extra="allow")
            a: int

        final = partials(M, list('{"a": 1, "zz": [1, "two"]}'))[-1]
        assert final.model_extra == {"zz": [1, "two"]}


# --- markers -----------------------------------------------------------------


class Item(BaseModel):
    title: str
    id: Annotated[int, rs.HoldUntilPresent]


class TestHoldUntilPresent:
    def test_list_item_held(self) -> None:
        """A list element is not shown until its id is there."""

        class Feed(BaseModel):
            items: list[Item]

        text = '{"items": [{"title": "a", "id": 1}, {"title": "b", "id": 2}]}'
        for e in partials(Feed, list(text)):
            assert all(item.id is not None for item in e.items or [])
        assert len(partials(Feed, list(text))[-1].items) == 2

    def test_nested_field_held(self) -> None:
        """A nested object stays None until its id is there."""

        class Box(BaseModel):
            item: Item | None = None

        emissions = partials(Box, list('{"item": {"title": "long title", "id": 7}}'))
        assert field_history(emissions, "item")[0] is None
        assert all(e.item is None or e.item.id == 7 for e in emissions)

    def test_root_held(self) -> None:
        """The first emission waits for the field at the top level."""
        emissions = partials(Item, list('{"title": "abc", "id": 1}'))
        assert all(e.id == 1 for e in emissions)

    def test_complete_object_without_the_field_is_shown(self) -> None:
        """An object that completes without the field shows anyway (it is final)."""

        class Feed(BaseModel):
            items: list[Item]

        final = partials(Feed, ['{"items": [{"title": "a"}]}'])[-1]
        assert final.items[0].title == "a"


# --- invalid data and validators ---------------------------------------------


class Strict(NeverValid):
    name: str = Field(max_length=3)
    age: int = Field(ge=0)
    tags: list[int] = []


class TestInvalid:
    def test_wrong_type_stays_none(self) -> None:
        """A complete value of the wrong type stays None; the stream goes on."""
        text = '{"age": "abc", "name": "far too long", "tags": [1, "x", 3]}'
        emissions = partials(Strict, list(text))
        final = emissions[-1]
        assert final.age is None
        assert final.name == "far too long"  # constraints do not run
        assert final.tags == [1]  # a list stops before an invalid element

    def test_on_invalid_error(self) -> None:
        """on_invalid="error" fails as soon as the invalid value is complete."""
        with pytest.raises(rs.PartialValidationError) as info:
            partials(
                Strict,
                list('{"name": "x", "age": "abc", "tags": []}'),
                on_invalid="error",
            )
        assert info.value.path == ("age",)
        assert info.value.errors()[0]["type"] == "int_parsing"

    def test_on_invalid_error_on_missing_required(self) -> None:
        """on_invalid="error" also reports a complete object missing a field."""
        with pytest.raises(rs.PartialValidationError) as info:
            partials(
                Recipe,
                ['{"title": "x", "ingredients": [{"name": "a"}]'],
                on_invalid="error",
            )
        assert info.value.path == ("ingredients", 0)
        assert info.value.errors()[0]["type"] == "missing"

    def test_on_invalid_error_on_list_item(self) -> None:
        """An invalid list element errors with its path."""
        with pytest.raises(rs.PartialValidationError) as info:
            partials(Strict, ['{"tags": [1, "x"'], on_invalid="error")
        assert info.value.path == ("tags", 1)

    def test_structure_mismatch(self) -> None:
        """A string where an object belongs is not shown and not fatal."""
        final = partials(
            Recipe, ['{"title": "t", "side": "bread", "ingredients": []}']
        )[-1]
        assert final.side is None

    def test_bad_option(self) -> None:
        """A bad on_invalid is refused when the operator is built."""
        with pytest.raises(rs.UsageError, match="'ignore' or 'error', got 'skip'"):
            rs.to_partial(User, on_invalid="skip")  # type: ignore[call-overload]

    def test_not_snapshots(self) -> None:
        """Feeding text instead of snapshots errors with a hint."""
        errors: list[Exception] = []
        reactivex.of("{}").pipe(rs.to_partial(User)).subscribe(on_error=errors.append)
        assert isinstance(errors[0], rs.UsageError)
        assert "accumulate_json" in str(errors[0])

    def test_upstream_error_forwarded(self) -> None:
        """IncompleteJsonError from accumulate_json reaches the subscriber."""
        out: list[Any] = []
        errors: list[Exception] = []
        reactivex.of('{"name": "A').pipe(
            rs.accumulate_json(), rs.to_partial(User)
        ).subscribe(out.append, errors.append)
        assert out[-1].name == "A"
        assert isinstance(errors[0], rs.IncompleteJsonError)


# --- completion state --------------------------------------------------------


class TestCompletion:
    def test_completed_paths(self) -> None:
        """rs.completed lists the final fields, with Python names and indices."""
        dec = rs.PartialJsonDecoder()
        build = rs.PartialBuilder(Recipe)
        p = build.feed(
            dec.feed('{"title": "Soup", "ingredients": [{"name": "leek", "gr')
        )
        assert p is not None
        assert rs.completed(p) == {"title", "ingredients[0].name"}
        assert not rs.is_complete(p)
        assert rs.is_complete(p, "title")
        assert not rs.is_complete(p, "ingredients[0]")
        assert not rs.is_complete(p, "steps")
        p = build.feed(dec.feed('ams": 200}], "steps": ["a"'))
        assert p is not None
        assert "ingredients[0].grams" in rs.completed(p)
        assert rs.is_complete(p, "ingredients")
        assert rs.is_complete(p, "steps[0]")
        assert not rs.is_complete(p, "steps")

    def test_complete_object_lists_all_fields(self) -> None:
        """A complete object lists every field, also those it never had."""
        final = partials(Recipe, [json.dumps({"title": "x", "ingredients": []})])[-1]
        assert rs.is_complete(final)
        assert {"title", "ingredients", "steps", "by_name", "side"} <= rs.completed(
            final
        )

    def test_completed_on_final_models(self) -> None:
        """Any model (e.g. validate_final's) counts as complete."""
        user = User(name="a", age=1, role="user")
        assert rs.completed(user) == {"name", "age", "role"}

    def test_is_complete_rejects_wildcards(self) -> None:
        """is_complete takes a concrete path."""
        with pytest.raises(rs.UsageError):
            rs.is_complete(User(name="a", age=1, role="user"), "a[*]")

    def test_completed_rejects_scalars(self) -> None:
        """completed() takes models, lists or dicts."""
        with pytest.raises(rs.UsageError):
            rs.completed("text")


# --- the builder -------------------------------------------------------------


class TestBuilder:
    def test_skipped_snapshots(self) -> None:
        """Feeding every third snapshot (as after a debounce) ends the same."""
        text = json.dumps(RECIPE)
        dec = rs.PartialJsonDecoder()
        build = rs.PartialBuilder(Recipe)
        last = None
        for i, ch in enumerate(text):
            snapshot = dec.feed(ch)
            if i % 3 == 0:
                last = build.feed(snapshot) or last
        last = build.feed(dec.close())
        assert last is not None
        assert last.model_dump() == RECIPE

    def test_nothing_before_the_value(self) -> None:
        """No emission before the value starts (prose, fences)."""
        emissions = partials(User, ["Sure! ", "```json\n", '{"name": "x"}', "\n```"])
        assert emissions[0].name == "x"

    def test_done_emission_is_the_last_partial(self) -> None:
        """The done snapshot emits the final partial once more, still partial."""
        emissions = partials(User, ['{"name": "x", "age": 1, "role": "user"}'])
        assert len(emissions) == 2
        assert emissions[0] == emissions[1]
        assert emissions[0] is not emissions[1]
        assert type(emissions[1]) is rs.partial_model(User)

    def test_each_subscription_is_independent(self) -> None:
        """One operator instance serves several subscriptions."""
        op = rs.to_partial(User)
        source = reactivex.of('{"name": "a"}').pipe(rs.accumulate_json(), op)
        first: list[Any] = []
        second: list[Any] = []
        source.subscribe(first.append)
        source.subscribe(second.append)
        assert first == second


class Circle(BaseModel):
    shape: Literal["circle"] = "circle"
    radius: float


class Square(BaseModel):
    shape: Literal["square"] = "square"
    side: float


class TestImpliedTags:
    def test_tag_with_default_may_be_missing(self) -> None:
        """An implied tag that has a default: without it, the keys decide."""

        class Drawing(BaseModel):
            parts: list[Circle | Square]

        text = json.dumps({"parts": [{"side": 2}, {"shape": "circle", "radius": 1}]})
        emissions = partials(Drawing, list(text))
        final = emissions[-1]
        assert [type(p).__name__ for p in final.parts] == [
            "PartialSquare",
            "PartialCircle",
        ]
        assert final.parts[0].side == 2.0
        assert Drawing.model_validate_json(text).parts[0] == Square(side=2)

    def test_tag_first_decides_when_complete(self) -> None:
        """A leading tag decides as soon as it is complete, before other keys."""

        class Drawing(BaseModel):
            part: Circle | Square

        text = '{"part": {"shape": "square", "side": 2}}'
        emissions = partials(Drawing, list(text))
        first = next(e.part for e in emissions if e.part is not None)
        assert type(first) is rs.partial_model(Square)
        assert first.side is None
        assert emissions[-1].part.side == 2.0


class TestLateSubscription:
    def test_a_view_subscribed_after_a_shared_stream_ended_says_so(self) -> None:
        """A late view of a ``share()``d stream gets a UsageError naming the late
        subscription, not an empty stream."""
        check_late_view_error(
            rs.to_partial(User),
            "to_partial",
            '{"name": "Ada", "age": 38, "role": "user"}',
        )

    def test_views_subscribed_before_the_stream_starts_see_it(self) -> None:
        """The fix the message gives: publish, subscribe every view, connect."""
        first, second = published_views(
            rs.to_partial(User), '{"name": "Ada", "age": 38, "role": "user"}'
        )
        assert first == second
        assert first[-1].name == "Ada"


# --- regressions (issue 11, items 5-10) ----------------------------------------


class Tabby(BaseModel):
    name: str
    lives: int


class Hound(BaseModel):
    name: str
    good: bool = True


class Count(BaseModel):
    value: int


class Text(BaseModel):
    value: str


class TestIssue11:
    def test_callable_discriminator_is_not_locked_on_the_empty_object(self) -> None:
        """Item 5: a callable Discriminator decides on the complete object."""

        class Home(BaseModel):
            pet: Annotated[
                Annotated[Tabby, Tag("cat")] | Annotated[Hound, Tag("dog")],
                Discriminator(lambda v: "cat" if "lives" in v else "dog"),
            ]

        text = '{"pet": {"name": "Tom", "lives": 9}}'
        for on_invalid in ("ignore", "error"):
            emissions = partials(Home, list(text), on_invalid=on_invalid)
            kinds = {type(e.pet).__name__ for e in emissions}
            assert kinds == {"NoneType", "PartialTabby"}, kinds
            assert emissions[-1].pet.lives == 9
        final = partials(Home, [text])[-1].pet
        assert Home.model_validate_json(text).pet == Tabby(**final.model_dump())

    def test_plain_union_with_same_keys_picks_the_arm_pydantic_picks(self) -> None:
        """Item 6: Count(value: int) | Text(value: str) decides by the values."""
        for text, arm in [
            ('{"value": "hello"}', "PartialText"),
            ('{"value": 5}', "PartialCount"),
            ('{"value": "5"}', "PartialText"),
        ]:
            expected = TypeAdapter(Count | Text).validate_json(text)
            assert type(expected).__name__ == arm.removeprefix("Partial")
            for on_invalid in ("ignore", "error"):
                emissions = partials(Count | Text, list(text), on_invalid=on_invalid)
                assert {type(e).__name__ for e in emissions} == {arm}, text
                assert emissions[-1].value == expected.value

    def test_plain_union_with_same_keys_nested(self) -> None:
        """Item 6: the same inside a model and a list; undecided arms are None."""

        class Box(BaseModel):
            items: list[Count | Text]

        text = '{"items": [{"value": "hello"}, {"value": 2}]}'
        emissions = partials(Box, list(text), on_invalid="error")
        seen = {tuple(type(i).__name__ for i in e.items or []) for e in emissions}
        assert seen <= {(), ("PartialText",), ("PartialText", "PartialCount")}
        assert [i.value for i in emissions[-1].items] == ["hello", 2]

    def test_alias_beats_name_whatever_the_order(self) -> None:
        """Item 7: populate_by_name with alias and name: the alias wins."""

        class M(BaseModel):
            model_config = ConfigDict(populate_by_name=True)
            age_years: int = Field(alias="ageYears")

        text = '{"ageYears": 1, "age_years": 2}'
        assert M.model_validate_json(text).age_years == 1
        emissions = partials(M, list(text))
        assert field_history(emissions, "age_years") == [None, 1]
        reverse = partials(M, list('{"age_years": 2, "ageYears": 1}'))
        assert reverse[-1].age_years == 1

    def test_alias_choices_first_present_wins(self) -> None:
        """Item 7: among AliasChoices the first present one wins, as in pydantic."""

        class M(BaseModel):
            x: int = Field(validation_alias=AliasChoices("x", "ex"))

        text = '{"x": 1, "ex": 2}'
        assert M.model_validate_json(text).x == 1
        assert field_history(partials(M, list(text)), "x") == [None, 1]

    def test_defaults_are_not_shown_before_the_field_is_written(self) -> None:
        """Item 8: None until written; the default once the object is complete."""

        class Task(BaseModel):
            title: str
            priority: int = 3
            tags: list[str] = Field(default_factory=list)

        text = '{"title": "a", "priority": 1}'
        emissions = partials(Task, list(text))
        assert field_history(emissions, "priority") == [None, 1]
        for emission in emissions:  # complete: the default applies
            assert emission.tags == ([] if rs.is_complete(emission) else None)
        complete = partials(Task, list('{"title": "a"}'))
        assert field_history(complete, "priority") == [None, 3]
        assert Task.model_validate_json('{"title": "a"}').priority == 3

    def test_any_keeps_one_output_type(self) -> None:
        """Item 9: to_partial(Any) emits PartialDict all along, not dict then."""
        emissions = partials(Any, list('{"a": [1, {"b": "x"}]}'))
        kinds = {type(e) for e in emissions}
        assert len(kinds) == 1 and issubclass(kinds.pop(), dict)
        assert emissions[-1] == {"a": [1, {"b": "x"}]}
        lists = partials(Any, list("[1, [2]]"))
        kinds = {type(e) for e in lists}
        assert len(kinds) == 1 and issubclass(kinds.pop(), list)

    def test_completed_lists_non_str_keys(self) -> None:
        """Item 10: completed()/is_complete() see entries of dict[int, str]."""

        class M(BaseModel):
            names: dict[int, str]

        dec = rs.PartialJsonDecoder()
        build = rs.PartialBuilder(M)
        p = build.feed(dec.feed('{"names": {"1": "a", "2": "b'))
        assert p is not None
        assert rs.completed(p) == {"names[1]"}
        assert rs.is_complete(p, "names[1]")
        assert not rs.is_complete(p, "names[2]")
        p = build.feed(dec.feed('"}}'))
        assert p is not None
        assert rs.completed(p) == {"names", "names[1]", "names[2]"}
        assert rs.is_complete(p, "names[2]")
