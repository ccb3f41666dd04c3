"""Building the partial pydantic class of a model (``PartialRecipe``).

``_compile`` compiles a model's fields into shapes and hands each field's
partial-side annotation here; this module makes the class: every field
``Optional``, the model's names, aliases, titles and defaults, no constraints
and no validators. Recursive models refer to partial classes not built yet, so
their annotations hold forward references by a unique name: the classes are
registered under that name and rebuilt once the outermost compilation ends.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from ._base import Partial

__all__ = [
    "PartialField",
    "build_partial_class",
    "partial_class_ref",
    "rebuild_pending",
]

_NAMESPACE: dict[str, Any] = {}  # forward-reference names of partial classes
_PENDING: list[type[BaseModel]] = []  # partial classes waiting for model_rebuild


class PartialField(NamedTuple):
    """One field of a partial class.

    Attributes:
        name: The field's Python name.
        info: The model's field (aliases, title, description, default).
        annotation: The partial-side type (may hold forward references).
    """

    name: str
    info: FieldInfo
    annotation: Any


def partial_class_ref(model: type[BaseModel]) -> str:
    """The unique forward-reference name of ``model``'s partial class."""
    base = re.sub(r"\W", "_", f"{model.__module__}_{model.__qualname__}")
    return f"__rxstruct_partial_{base}_{id(model)}"


def build_partial_class(
    model: type[BaseModel],
    fields: list[PartialField],
    *,
    ref: str,
    allow_extra: bool,
) -> type[BaseModel]:
    """The partial class of ``model``, a subclass of ``Partial[model]``.

    Args:
        model: The user's model.
        fields: Its fields, in order.
        ref: The forward-reference name other partial classes use for it.
        allow_extra: The model keeps extras (``extra="allow"``).
    """
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for name, info, annotation in fields:
        annotations[name] = Optional[annotation]  # noqa: UP045 - runtime
        field_kwargs: dict[str, Any] = {
            "alias": info.alias,
            "validation_alias": info.validation_alias,
            "serialization_alias": info.serialization_alias,
            "description": info.description,
            "title": info.title,
        }
        if info.is_required():
            namespace[name] = Field(default=None, **field_kwargs)
        elif info.default_factory is not None:
            namespace[name] = Field(
                default_factory=info.default_factory, **field_kwargs
            )
        else:
            namespace[name] = Field(default=info.default, **field_kwargs)
    class_name = f"Partial{model.__name__}"
    namespace.update(
        {
            "__annotations__": annotations,
            "__module__": model.__module__,
            "__qualname__": class_name,
            "__doc__": f"Partial {model.__name__}: every field optional, no "
            f"validation (built by rxstruct).",
        }
    )
    if allow_extra:
        namespace["model_config"] = ConfigDict(extra="allow")
    base: Any = Partial[model]  # type: ignore[valid-type]  # a runtime class
    cls: type[BaseModel] = type(base)(class_name, (base,), namespace)
    _NAMESPACE[ref] = cls
    if not cls.__pydantic_complete__:
        _PENDING.append(cls)
    return cls


def rebuild_pending() -> None:
    """Resolve the forward references of the classes built since the last call."""
    while _PENDING:
        pending = list(_PENDING)
        _PENDING.clear()
        for cls in pending:
            cls.model_rebuild(_types_namespace=dict(_NAMESPACE))
