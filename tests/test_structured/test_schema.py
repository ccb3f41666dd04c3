"""The wire schema: strict mapping, wrapping of non-object models, what fails."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

import rxstruct as rs
from rxstruct._schema import wire_format
from tests.helpers import ask

MESSAGES: Any = [{"role": "user", "content": "Answer as JSON."}]


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool | None = None


class Pet(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]


class Node(BaseModel):
    name: str
    children: list[Node] = []


class Tagged(BaseModel):
    tags: dict[str, int]


def objects(schema: Any) -> list[dict[str, Any]]:
    """Every object schema inside ``schema``."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            found.append(schema)
        for value in schema.values():
            found += objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += objects(value)
    return found


class TestStrict:
    def test_every_field_is_required_and_closed(self) -> None:
        """Strict: all properties required, additionalProperties false, no default."""
        fmt = wire_format(Pet, strict=True)
        text = json.dumps(fmt.schema)
        assert '"default"' not in text and "oneOf" not in text
        assert "discriminator" not in text
        for obj in objects(fmt.schema):
            assert obj["additionalProperties"] is False
            assert obj["required"] == list(obj["properties"])
        dog = fmt.schema["$defs"]["Dog"]["properties"]["good"]
        assert {"type": "null"} in dog["anyOf"]  # None default: nullable

    def test_not_strict_keeps_pydantic_schema(self) -> None:
        fmt = wire_format(Pet, strict=False)
        assert "oneOf" in json.dumps(fmt.schema)
        assert fmt.schema["$defs"]["Cat"]["required"] == ["kind"]

    def test_recursive_model(self) -> None:
        """A recursive model: the root $ref is inlined, the recursion kept."""
        fmt = wire_format(Node, strict=True)
        assert fmt.schema["type"] == "object"
        assert fmt.schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
        assert fmt.key is None

    def test_free_form_dict_is_a_usage_error(self) -> None:
        with pytest.raises(rs.UsageError, match=r"dict\[str, \.\.\.\] \(at tags\)"):
            wire_format(Tagged, strict=True)
        assert wire_format(Tagged, strict=False).schema["required"] == ["tags"]

    def test_tuple_is_a_usage_error(self) -> None:
        class Point(BaseModel):
            xy: tuple[int, int]

        with pytest.raises(rs.UsageError, match=r"tuple \(prefixItems\) \(at xy\)"):
            wire_format(Point, strict=True)

    def test_no_schema_is_a_usage_error(self) -> None:
        with pytest.raises(rs.UsageError, match="cannot derive a JSON schema"):
            wire_format(object(), strict=True)


class TestWrapping:
    def test_list_is_wrapped_in_items(self) -> None:
        fmt = wire_format(list[Cat], strict=True)
        assert fmt.key == "items" and fmt.is_list
        assert fmt.schema["properties"]["items"]["type"] == "array"
        assert fmt.unwrap(fmt.wire_model(items=[Cat(kind="cat")])) == [Cat(kind="cat")]

    def test_union_is_wrapped_in_value(self) -> None:
        fmt = wire_format(Cat | Dog, strict=True)
        assert fmt.key == "value" and fmt.name == "response"
        assert "anyOf" in fmt.schema["properties"]["value"]


class TestOverHttp:
    def test_union_response_model(self, serve: Any) -> None:
        """A union at the root works: wrapped on the wire, unwrapped for you."""
        with serve([['{"value": {"kind": "dog", ', '"good": true}}']]) as (_, client):
            final = ask(client, Cat | Dog, MESSAGES).result()
        assert final == Dog(kind="dog", good=True)

    def test_recursive_response_model(self, serve: Any) -> None:
        tree = {"name": "a", "children": [{"name": "b", "children": []}]}
        with serve([[json.dumps(tree)]]) as (_, client):
            stream = ask(client, Node, MESSAGES)
            assert stream.result() == Node.model_validate(tree)

    def test_strict_errors_are_raised_at_once(self, serve: Any) -> None:
        with serve([]) as (server, client):
            with pytest.raises(rs.UsageError, match="strict=False"):
                ask(client, Tagged, MESSAGES)
            assert server.requests == []
