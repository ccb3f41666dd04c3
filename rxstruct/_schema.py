"""From a response model to what goes on the wire, and back.

A provider's structured output wants a JSON *object* schema at the root, and
OpenAI's strict mode wants a restricted dialect of JSON Schema. This module
derives that schema from a pydantic type, wraps a response model that is not an
object (``list[Idea]``, a union, a scalar) in a one-field object on the wire,
and unwraps the answer for the user. It knows nothing of Rx or HTTP.

Strict mode (``strict=True``, OpenAI "structured outputs"):

- every object lists all its properties in ``required`` and sets
  ``additionalProperties: false``; a field that has a default is therefore
  required on the wire too. A field whose default is ``None`` is already
  nullable (``X | None``), so the model answers ``null`` when it has nothing;
  a field with any other default must be written by the model. ``default``
  keywords are removed (strict mode does not accept them);
- ``oneOf`` (pydantic's discriminated unions) becomes ``anyOf``, and the
  ``discriminator`` annotation is dropped: the partial builder and the final
  validation still use the tag;
- what strict mode cannot express raises :class:`~rxstruct.UsageError` naming
  the construct and where it sits: free-form objects (``dict[str, X]``),
  tuples (``prefixItems``), ``patternProperties``, ``not``, ``if``/``then``.
  ``strict=False`` sends pydantic's schema unchanged (apart from the root).

Recursive models keep their ``$defs``/``$ref``; a root that is a ``$ref`` is
inlined, since the root must be an object.
"""

from __future__ import annotations

import copy
import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, create_model

from .exceptions import UsageError

__all__ = ["WireFormat", "wire_format"]

_UNSUPPORTED_STRICT = {
    "prefixItems": "a tuple (prefixItems)",
    "patternProperties": "patternProperties",
    "not": "a 'not' schema",
    "if": "an if/then/else schema",
    "dependentSchemas": "dependentSchemas",
    "unevaluatedProperties": "unevaluatedProperties",
}


@dataclass(frozen=True, kw_only=True)
class WireFormat:
    """What one response model looks like on the wire."""

    name: str
    """The schema name sent to the provider (``[A-Za-z0-9_-]``, at most 64)."""

    schema: dict[str, Any]
    """The JSON schema of the object the model writes."""

    wire_model: Any
    """The type the wire JSON is parsed as: the response model itself, or a
    one-field wrapper model around it."""

    key: str | None
    """The wrapper's field, or ``None`` when the response model is sent as is."""

    strict: bool
    """Whether the schema was made strict."""

    def unwrap(self, value: Any) -> Any:
        """The user's value from a validated (or partial) wire value."""
        if self.key is None:
            return value
        inner = getattr(value, self.key, None)
        if inner is None and self.is_list:
            return []
        return inner

    @property
    def is_list(self) -> bool:
        """The response model is a list (``list[Idea]``)."""
        return self.key == "items"


def _type_name(response_model: Any) -> str:
    if isinstance(response_model, type) and not typing.get_args(response_model):
        return response_model.__name__
    origin = typing.get_origin(response_model)
    args = typing.get_args(response_model)
    if origin is list and args:
        return f"{_type_name(args[0])}_list"
    return "response"


def _schema_name(response_model: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", _type_name(response_model))[:64]


def _is_object_model(response_model: Any, schema: dict[str, Any]) -> bool:
    if not (isinstance(response_model, type) and issubclass(response_model, BaseModel)):
        return False
    root = _resolve_root(schema)
    return root.get("type") == "object"


def _resolve_root(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"))
        if isinstance(target, dict):
            merged = {k: v for k, v in schema.items() if k != "$ref"}
            merged.update(target)
            return merged
    return schema


def wire_format(response_model: Any, *, strict: bool) -> WireFormat:
    """Derive the wire schema of ``response_model`` (see the module docstring).

    Example:
        >>> from pydantic import BaseModel
        >>> class Idea(BaseModel):
        ...     title: str
        >>> fmt = wire_format(list[Idea], strict=True)
        >>> fmt.name, fmt.key, fmt.schema["required"]
        ('Idea_list', 'items', ['items'])

    Raises:
        UsageError: pydantic cannot build a schema for the type, or strict
            mode cannot express part of it.
    """
    try:
        schema = TypeAdapter(response_model).json_schema()
    except Exception as exc:  # pydantic raises several kinds for a bad type
        raise UsageError(
            f"cannot derive a JSON schema from response_model={response_model!r}: {exc}"
        ) from exc
    name = _schema_name(response_model)
    if _is_object_model(response_model, schema):
        wire_model: Any = response_model
        key = None
    else:
        key = "items" if typing.get_origin(response_model) is list else "value"
        fields: dict[str, Any] = {key: (response_model, ...)}
        wire_model = create_model(f"{name}_response", **fields)
        schema = TypeAdapter(wire_model).json_schema()
    schema = _resolve_root(copy.deepcopy(schema))
    if strict:
        schema = _strict(schema, _type_name(response_model), "(root)")
    return WireFormat(
        name=name, schema=schema, wire_model=wire_model, key=key, strict=strict
    )


def _strict(node: Any, model: str, where: str) -> Any:
    """A copy of ``node`` in OpenAI's strict dialect."""
    if isinstance(node, list):
        return [_strict(item, model, where) for item in node]
    if not isinstance(node, dict):
        return node
    for keyword, what in _UNSUPPORTED_STRICT.items():
        if keyword in node:
            raise UsageError(
                f"{model}: OpenAI strict structured outputs cannot express {what} "
                f"(at {where}); pass strict=False, or change the model"
            )
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("default", "discriminator"):
            continue
        if key == "oneOf":
            out["anyOf"] = _strict(value, model, where)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _strict(sub, model, f"{where}.{name}".removeprefix("(root)."))
                for name, sub in value.items()
            }
        elif key == "$defs" and isinstance(value, dict):
            out[key] = {name: _strict(sub, model, name) for name, sub in value.items()}
        elif key == "items":
            out[key] = _strict(value, model, f"{where}[*]")
        else:
            out[key] = _strict(value, model, where)
    is_object = out.get("type") == "object" or "properties" in out
    if is_object:
        extra = out.get("additionalProperties")
        if extra not in (None, False):
            raise UsageError(
                f"{model}: OpenAI strict structured outputs cannot express a "
                f"free-form object such as dict[str, ...] (at {where}); pass "
                "strict=False, or use a model with named fields"
            )
        properties = out.get("properties") or {}
        out["type"] = "object"
        out["properties"] = properties
        out["required"] = list(properties)
        out["additionalProperties"] = False
    return out
