"""Pydantic models of the recorded streams' schemas (tests/fixtures/README.md).

Defined once for the tests and the benchmarks (benchmarks/workloads.py); and
:class:`NeverValid`, the base of the tests' models whose validators must not run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator


class RecipeItem(BaseModel):
    name: str
    prep_time_minutes: int
    ingredients: list[str]
    instructions: str


class Recipes(BaseModel):
    recipes: list[RecipeItem]


class UserCase(BaseModel):
    name: str
    age: int
    category: Literal["admin", "user", "guest"]


class Row(BaseModel):
    id: int
    price: float
    qty: int
    ratio: float
    active: bool
    note: str | None


class Numbers(BaseModel):
    rows: list[Row]


class Quote(BaseModel):
    text: str
    author: str


class Quotes(BaseModel):
    quotes: list[Quote]


class Translation(BaseModel):
    language: str
    text: str
    emoji: str


class Translations(BaseModel):
    translations: list[Translation]


class Movie(BaseModel):
    title: str
    year: int
    reason: str


class Person(BaseModel):
    name: str
    email: str
    twitter: str


class Meeting(BaseModel):
    users: list[Person]
    date: datetime
    location: str
    budget: int
    deadline: datetime


class Section(BaseModel):
    heading: str
    paragraphs: list[str]


class Outline(BaseModel):
    title: str
    sections: list[Section]


class Idea(BaseModel):
    title: str
    blurb: str


class Ideas(BaseModel):
    ideas: list[Idea]


class LongText(BaseModel):
    title: str
    body: str = Field(min_length=1500, max_length=2000)


class Tree(BaseModel):
    name: str
    value: int | None = None
    children: list[Tree] = []


# A tagged union (the tag ``kind`` is implied by the Literal fields).
class Cat(BaseModel):
    kind: Literal["cat"]
    name: str
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"]
    name: str
    good: bool = True


class NeverValid(BaseModel):
    """A base whose field and model validators always fail.

    A partial of a subclass must never run them: partials check types only.
    """

    @field_validator("*")
    @classmethod
    def _field_never_valid(cls, value: Any) -> Any:
        raise ValueError("validators never run on partials")

    @model_validator(mode="after")
    def _model_never_valid(self) -> NeverValid:
        raise ValueError("validators never run on partials")


MODELS: dict[str, Any] = {
    "recipes": Recipes,
    "user": UserCase,
    "numbers": Numbers,
    "escapes": Quotes,
    "unicode": Translations,
    "movies": list[Movie],
    "meeting": Meeting,
    "outline": Outline,
    "ideas": Ideas,
    "longtext": LongText,
    "tree": Tree,
}
