"""rxstruct.partial_model: one derived partial class per model."""

from __future__ import annotations

import enum
from typing import Annotated, Literal, Optional, get_args

import pytest
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
)

import rxstruct as rs
from tests.helpers.models import NeverValid


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Ingredient(BaseModel):
    name: str = Field(min_length=2)
    grams: float = Field(gt=0)


class Recipe(NeverValid):
    title: str = Field(max_length=5, alias="Title")
    minutes: Annotated[int, Field(ge=1)]
    vegetarian: bool = False
    color: Color
    kind: Literal["soup", "salad"]
    tags: list[str] = Field(default_factory=list)
    ingredients: list[Ingredient] = []
    by_name: dict[str, Ingredient] = {}
    side: Ingredient | None = None


class Node(BaseModel):
    name: str
    children: list[Node] = []


class A(BaseModel):
    b: B | None = None
    n: int = 0


class B(BaseModel):
    a: A | None = None


A.model_rebuild()


class TestDerivation:
    def test_name_base_and_cache(self) -> None:
        """One class per model, named Partial<Model>, a subclass of rs.Partial."""
        cls = rs.partial_model(Recipe)
        assert cls.__name__ == "PartialRecipe"
        assert cls is rs.partial_model(Recipe)
        assert issubclass(cls, rs.Partial)
        assert issubclass(cls, rs.Partial[Recipe])
        assert not issubclass(cls, Recipe)

    def test_every_field_optional_with_defaults(self) -> None:
        """Missing fields are None, or the model's default where it has one."""
        empty = rs.partial_model(Recipe)()
        assert empty.title is None
        assert empty.minutes is None
        assert empty.vegetarian is False
        assert empty.tags == []
        assert empty.ingredients == []
        assert empty.side is None
        assert empty.tags is not rs.partial_model(Recipe)().tags  # fresh default

    def test_nested_models_become_partial(self) -> None:
        """Nested models are replaced by their partial models, in lists and dicts."""
        fields = rs.partial_model(Recipe).model_fields
        partial_ingredient = rs.partial_model(Ingredient)
        assert partial_ingredient in get_args(
            get_args(fields["ingredients"].annotation)[0]
        )
        assert fields["side"].annotation == Optional[partial_ingredient]  # noqa: UP045

    def test_constraints_and_validators_are_dropped(self) -> None:
        """Validating a partial checks types only: no constraints, no validators."""
        cls = rs.partial_model(Recipe)
        p = cls.model_validate(
            {"Title": "far too long", "minutes": 0, "ingredients": [{"grams": -1}]}
        )
        assert p.title == "far too long"
        assert p.minutes == 0
        assert p.ingredients[0].grams == -1
        with pytest.raises(ValidationError):
            cls.model_validate({"minutes": "abc"})  # types still count

    def test_aliases_kept(self) -> None:
        """A partial field keeps the alias; by_name population is on."""
        cls = rs.partial_model(Recipe)
        assert cls.model_validate({"Title": "a"}).title == "a"
        assert cls.model_validate({"title": "a"}).title == "a"
        assert cls(title="x").model_dump(by_alias=True)["Title"] == "x"

    def test_frozen(self) -> None:
        """Instances are frozen: emissions share sub-objects."""
        p = rs.partial_model(Recipe)(title="x")
        with pytest.raises(ValidationError):
            p.title = "y"

    def test_recursive_and_mutually_recursive(self) -> None:
        """Recursive models get recursive partial models."""
        cls = rs.partial_model(Node)
        tree = cls.model_validate({"name": "r", "children": [{"children": [{}]}]})
        assert type(tree.children[0].children[0]) is cls
        pa = rs.partial_model(A)
        value = pa.model_validate({"b": {"a": {"b": {}}}})
        assert type(value.b.a) is pa
        assert type(value.b) is rs.partial_model(B)

    def test_json_schema_and_dump(self) -> None:
        """Partial classes are ordinary pydantic models."""
        cls = rs.partial_model(Recipe)
        schema = cls.model_json_schema()
        assert schema["title"] == "PartialRecipe"
        assert "required" not in schema
        assert cls(color=Color.RED).model_dump(mode="json")["color"] == "red"

    def test_extra_allow_is_kept(self) -> None:
        """A model that allows extra keys gets a partial model that does too."""

        class Loose(BaseModel):
            model_config = ConfigDict(extra="allow")
            a: int

        p = rs.partial_model(Loose).model_validate({"a": 1, "zz": 2})
        assert p.model_extra == {"zz": 2}

    def test_validation_alias_choices(self) -> None:
        """AliasChoices carry over to the partial model."""

        class M(BaseModel):
            x: int = Field(validation_alias=AliasChoices("x", "ex"))

        assert rs.partial_model(M).model_validate({"ex": 3}).x == 3

    def test_unions(self) -> None:
        """Union arms are made partial; discriminators are dropped from partials."""

        class Cat(BaseModel):
            kind: Literal["cat"]

        class Dog(BaseModel):
            kind: Literal["dog"]

        class Home(BaseModel):
            pet: Cat | Dog = Field(discriminator="kind")

        annotation = rs.partial_model(Home).model_fields["pet"].annotation
        assert set(get_args(annotation)) == {
            rs.partial_model(Cat),
            rs.partial_model(Dog),
            type(None),
        }


class TestRejects:
    def test_not_a_model(self) -> None:
        """partial_model() takes model classes only."""
        with pytest.raises(rs.UsageError):
            rs.partial_model(int)  # type: ignore[type-var]
        with pytest.raises(rs.UsageError):
            rs.partial_model(RootModel[list[int]])

    def test_incomplete_model(self) -> None:
        """A model with undefined forward references gets a clear error."""

        class Broken(BaseModel):
            child: Undefined  # type: ignore[name-defined]  # noqa: F821

        with pytest.raises(rs.UsageError, match="not fully defined"):
            rs.partial_model(Broken)
