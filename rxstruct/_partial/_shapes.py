"""Shapes: how each type streams, compiled once per type (see ``_compile``).

A shape says how a JSON value becomes a partial value: ``closed()`` converts a
complete JSON value once, ``open()`` makes a *node* (``_nodes``) for a value
still being written. Shapes are shared by every subscription and never change
after compilation; all per-subscription state lives in the nodes they create.
A shape names its node class; nodes never import this module.
"""

from __future__ import annotations

import json
import types
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Final, ForwardRef, Literal, Optional, Union

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from ..json import Path
from ._containers import ChoosingNode, DictNode, ListNode, ModelNode
from ._context import ABSENT, ConversionContext
from ._nodes import AnyNode, FieldSpec, HoldNode, Node, StrNode

__all__ = [
    "ANY",
    "AnyShape",
    "AtomicShape",
    "DictShape",
    "Discriminator",
    "HeldShape",
    "ListShape",
    "ModelShape",
    "NullableShape",
    "Shape",
    "StrShape",
    "UnionShape",
]


def _custom_error(title: str, value: Any, kind: str, message: str) -> ValidationError:
    return ValidationError.from_exception_data(
        title,
        [{"type": PydanticCustomError(kind, message), "loc": (), "input": value}],
    )


class Shape(ABC):
    """How one type streams. Compiled once, shared by every subscription."""

    __slots__ = ("_adapter",)

    def __init__(self) -> None:
        self._adapter: TypeAdapter[Any] | None = None

    @property
    @abstractmethod
    def annotation(self) -> Any:
        """The partial-side type: constraints stripped, models made partial.

        Computed on access: while a recursive model is being compiled it holds
        forward references to partial classes not created yet.
        """

    def adapter(self) -> TypeAdapter[Any]:
        """A lax TypeAdapter of :attr:`annotation`, built on first use."""
        adapter = self._adapter
        if adapter is None:
            adapter = self._adapter = TypeAdapter(self.annotation)
        return adapter

    def explain(self, value: Any) -> ValidationError:
        """A pydantic error saying why ``value`` does not fit."""
        try:
            self.adapter().validate_python(value)
        except ValidationError as exc:
            return exc
        return _custom_error(
            str(self.annotation), value, "rxstruct_shape", "value does not fit the type"
        )

    def open(self, kind: type) -> Node:
        """A node for an open value of JSON kind ``kind`` (dict, list or str)."""
        return HoldNode(self)

    @abstractmethod
    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        """Convert a complete JSON value; ``INVALID`` when it does not fit."""


class AnyShape(Shape):
    """``Any``: the raw partial JSON value."""

    __slots__ = ()

    @property
    def annotation(self) -> Any:
        return Any

    def open(self, kind: type) -> Node:
        return AnyNode()

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        return value


class StrShape(Shape):
    """``str``: visible and growing while written."""

    __slots__ = ()

    @property
    def annotation(self) -> Any:
        return str

    def open(self, kind: type) -> Node:
        return StrNode(self) if kind is str else HoldNode(self)

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        if type(value) is str:
            return value
        return context.invalid(self.explain, value, json_path)


class AtomicShape(Shape):
    """Numbers, bools, ``Literal``, enums, dates...: shown only when complete."""

    __slots__ = ("_exact", "_literals", "_strip", "_validate", "config", "source")

    def __init__(
        self,
        source: Any,
        strip: Callable[[Any], Any],
        *,
        exact: tuple[type, ...] = (),
        literals: dict[tuple[type, Any], Any] | None = None,
        config: Any = None,
    ) -> None:
        super().__init__()
        self.source = source  # the user's type
        self.config = config
        self._strip = strip
        self._exact = exact
        self._literals = literals
        self._validate: Callable[[Any], Any] | None = None

    @property
    def annotation(self) -> Any:
        return self._strip(self.source)

    def adapter(self) -> TypeAdapter[Any]:
        adapter = self._adapter
        if adapter is None:
            if self.config is not None:
                try:
                    adapter = TypeAdapter(self.annotation, config=self.config)
                except Exception:  # a type with its own config (a model)
                    adapter = TypeAdapter(self.annotation)
            else:
                adapter = TypeAdapter(self.annotation)
            self._adapter = adapter
        return adapter

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        if type(value) in self._exact:
            return value
        literals = self._literals
        if literals is not None:
            found = literals.get((type(value), value), ABSENT)
            if found is not ABSENT:
                return found
        validate = self._validate
        if validate is None:
            validate = self._validate = self.adapter().validate_python
        try:
            return validate(value)
        except ValidationError as exc:
            return context.invalid(self.explain, value, json_path, exc)
        except TypeError:  # e.g. an unhashable value for a Literal
            return context.invalid(self.explain, value, json_path)


class HeldShape(Shape):
    """``Annotated[X, rs.Atomic]``: X, but hidden until complete.

    Also the base of the shapes that wrap one inner shape.
    """

    __slots__ = ("inner",)

    def __init__(self, inner: Shape) -> None:
        super().__init__()
        self.inner = inner

    @property
    def annotation(self) -> Any:
        return self.inner.annotation

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        return self.inner.closed(value, context, json_path)


class NullableShape(HeldShape):
    """``X | None``: X, or a complete ``null``."""

    __slots__ = ()

    @property
    def annotation(self) -> Any:
        return Optional[self.inner.annotation]  # noqa: UP045 - may be a ForwardRef

    def open(self, kind: type) -> Node:
        return self.inner.open(kind)

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        if value is None:
            return None
        return self.inner.closed(value, context, json_path)


class ListShape(Shape):
    """``list[X]``: closed elements appear one by one, the open one grows."""

    __slots__ = ("item",)

    def __init__(self, item: Shape) -> None:
        super().__init__()
        self.item = item

    @property
    def annotation(self) -> Any:
        return types.GenericAlias(list, (self.item.annotation,))

    def open(self, kind: type) -> Node:
        return ListNode(self.item) if kind is list else HoldNode(self)

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        if type(value) is not list:
            return context.invalid(self.explain, value, json_path)
        return ListNode(self.item).finish(value, context.quiet, json_path, ())


class DictShape(Shape):
    """``dict[K, V]``: keys appear once their value started."""

    __slots__ = ("key_shape", "value")

    def __init__(self, key_shape: Shape | None, value: Shape) -> None:
        super().__init__()
        self.key_shape = key_shape  # None: plain str keys
        self.value = value

    @property
    def annotation(self) -> Any:
        key = str if self.key_shape is None else self.key_shape.annotation
        return types.GenericAlias(dict, (key, self.value.annotation))

    def open(self, kind: type) -> Node:
        if kind is dict:
            return DictNode(self.key_shape, self.value)
        return HoldNode(self)

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        if type(value) is not dict:
            return context.invalid(self.explain, value, json_path)
        node = DictNode(self.key_shape, self.value)
        return node.finish(value, context.quiet, json_path, ())


class ModelShape(Shape):
    """A pydantic model, streamed as instances of its partial class.

    Filled in by ``_compile`` after construction (models can be recursive).
    """

    __slots__ = (
        "cls",
        "dynamic_defaults",
        "extra",
        "hold_until_present",
        "keys",
        "model",
        "ref",
        "required",
        "static_defaults",
        "unset",
    )

    def __init__(self, model: type[BaseModel], ref: str) -> None:
        super().__init__()
        self.model = model
        self.ref = ref  # forward-reference name while the class is being built
        self.cls: type[BaseModel] | None = None  # the partial class, set by _compile
        self.keys: dict[str, FieldSpec] = {}  # JSON key -> field
        self.static_defaults: dict[str, Any] = {}  # every field, in order
        self.unset: dict[str, Any] = {}  # every field: None, in order
        self.dynamic_defaults: tuple[tuple[str, Callable[[], Any]], ...] = ()
        self.required: frozenset[str] = frozenset()
        self.hold_until_present: frozenset[str] = frozenset()
        self.extra: Literal["allow", "forbid", "ignore"] = "ignore"

    @property
    def annotation(self) -> Any:
        return self.cls if self.cls is not None else ForwardRef(self.ref)

    def route(
        self, key: str, context: ConversionContext, json_path: Path
    ) -> FieldSpec | None:
        """The field a JSON key belongs to (an extra under ``extra="allow"``).

        ``ObjectNode.route`` of a model's node (the other arguments are for a
        dict's keys).
        """
        spec = self.keys.get(key)
        if spec is None and self.extra == "allow":
            spec = FieldSpec(key, ANY, extra=True)
        return spec

    def open(self, kind: type) -> Node:
        return ModelNode(self) if kind is dict else HoldNode(self)

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        if type(value) is not dict:
            return context.invalid(self.explain, value, json_path)
        return ModelNode(self).finish(value, context.quiet, json_path, ())

    def field_values(
        self, fields: dict[str, Any], *, complete: bool
    ) -> tuple[dict[str, Any], set[str]]:
        """The ``__dict__`` and fields set of an instance with ``fields`` (new).

        Fields not in ``fields`` are None while the object is open and take
        their defaults once it is ``complete``: a default shown before the
        field is written could change when it is (``priority=3``, then
        ``1``), and a partial never shows what the final will not.
        """
        if not complete:
            return {**self.unset, **fields}, set(fields)
        if self.dynamic_defaults:
            values = dict(self.static_defaults)
            for name, factory in self.dynamic_defaults:
                if name not in fields:
                    values[name] = factory()
            values.update(fields)
        else:
            values = {**self.static_defaults, **fields}
        return values, set(fields)


class Discriminator:
    """How a union picks its arm from an object: a tag field or a callable."""

    __slots__ = ("explicit", "function", "keys", "tags")

    def __init__(
        self,
        *,
        keys: tuple[str, ...],
        tags: dict[Any, Shape],
        function: Callable[[Any], Any] | None = None,
        explicit: bool = True,
    ) -> None:
        self.keys = keys  # JSON keys that may hold the tag
        self.tags = tags  # tag value -> arm
        self.function = function  # Discriminator(callable): called on closed members
        # Declared (pydantic requires the tag) or implied by Literal fields (an
        # arm may default its tag, so the keys can decide too).
        self.explicit = explicit

    def choose(self, members: dict[str, Any], open_key: str | None) -> Shape | None:
        """The arm for an object, or None while its tag is not complete."""
        if self.function is not None:
            closed = {k: v for k, v in members.items() if k != open_key}
            try:
                tag = self.function(closed)
            except Exception:
                return None
            return self._lookup(tag)
        for key in self.keys:
            if key in members and key != open_key:
                return self._lookup(members[key])
        return None

    def _lookup(self, tag: Any) -> Shape | None:
        try:
            return self.tags.get(tag)
        except TypeError:  # unhashable
            return None


class UnionShape(Shape):
    """A union of two or more arms (``None`` is handled as ``nullable``).

    Arm choice, once per path (a chosen arm never changes):

    - discriminated (explicit, or implied by a ``Literal`` field all model arms
      share with distinct values): the arm named by the tag, once the tag is
      complete; hidden before. A callable ``Discriminator`` decides only on
      the complete object (as pydantic calls it);
    - other objects: the model arm that alone fits the keys seen so far; hidden
      while several fit; decided at the latest when the object closes, by
      pydantic's smart mode over the partial classes of the arms that fit
      (so ``Count(value: int) | Text(value: str)`` follows the value);
    - strings: a plain ``str`` arm if there is one (the string grows),
      otherwise the scalar arms decide when it is complete;
    - lists: the first list arm; numbers, bools: pydantic's smart union over
      the scalar arms.
    """

    __slots__ = (
        "_discriminator",
        "_find_discriminator",
        "_smart",
        "arms",
        "dict_arms",
        "list_arms",
        "model_arms",
        "nullable",
        "scalar_shape",
        "str_arm",
    )

    def __init__(
        self,
        arms: list[Shape],
        *,
        nullable: bool,
        find_discriminator: Callable[[UnionShape], Discriminator | None],
        scalar_shape: AtomicShape | None,
    ) -> None:
        super().__init__()
        self.arms = arms
        self.nullable = nullable
        self.scalar_shape = scalar_shape
        self.model_arms = [a for a in arms if isinstance(a, ModelShape)]
        self.dict_arms = [a for a in arms if isinstance(a, DictShape | AnyShape)]
        self.list_arms = [a for a in arms if isinstance(a, ListShape | AnyShape)]
        str_arms = [a for a in arms if isinstance(a, StrShape | AnyShape)]
        self.str_arm = str_arms[0] if str_arms else None
        # Found on first use: the arms of a recursive model are filled in late.
        self._find_discriminator = find_discriminator
        self._discriminator: Any = ABSENT
        # Arms with the same keys -> a TypeAdapter of their union, its classes.
        self._smart: dict[tuple[int, ...], tuple[TypeAdapter[Any], dict[Any, Any]]] = {}

    @property
    def annotation(self) -> Any:
        arms = tuple(arm.annotation for arm in self.arms)
        if self.nullable:
            arms = (*arms, type(None))
        return Union[arms]  # noqa: UP007 - may hold ForwardRefs

    @property
    def discriminator(self) -> Discriminator | None:
        """The tag field (or function) that picks the arm of an object."""
        found = self._discriminator
        if found is ABSENT:
            found = self._discriminator = self._find_discriminator(self)
        return found  # type: ignore[no-any-return]  # Discriminator | None

    def open(self, kind: type) -> Node:
        if kind is dict:
            discriminator = self.discriminator
            if len(self.model_arms) > 1 or (
                discriminator is not None and discriminator.explicit
            ):
                return ChoosingNode(self)
            if self.model_arms:
                return self.model_arms[0].open(kind)
            if self.dict_arms:
                return self.dict_arms[0].open(kind)
        elif kind is list and self.list_arms:
            return self.list_arms[0].open(kind)
        elif kind is str and self.str_arm is not None:
            return self.str_arm.open(kind)
        return HoldNode(self)

    def arm_for_open(
        self, members: dict[str, Any], open_key: str | None
    ) -> Shape | None:
        """The arm of an open object with ``members``; None while undecided.

        ``open_key`` is the member still being written (only its key counts).
        """
        discriminator = self.discriminator
        if discriminator is not None and discriminator.explicit:
            if discriminator.function is not None:
                # A callable may read any member, and pydantic calls it on the
                # complete object: its answer on a part is not the final one.
                return None
            return discriminator.choose(members, open_key)
        return self.pick_object(members, closed=False, open_key=open_key)

    def pick_object(
        self, members: dict[str, Any], *, closed: bool, open_key: Any = None
    ) -> Shape | None:
        """The arm for an object with ``members``; None while undecided.

        Args:
            members: The object's visible members.
            closed: The object is complete (decide now).
            open_key: The member still being written, if any.
        """
        discriminator = self.discriminator
        if discriminator is not None:
            # An implied tag decides once it is complete; before (absent, or
            # still being written) the keys do, as they did chunk by chunk.
            if discriminator.explicit or any(
                k in members and k != open_key for k in discriminator.keys
            ):
                return discriminator.choose(members, open_key)
        fitting = [a for a in self.model_arms if all(k in a.keys for k in members)]
        if len(fitting) == 1:
            return fitting[0]
        if not closed:
            if fitting or not members:
                return None  # ambiguous, or nothing seen yet: wait
            if self.dict_arms:
                return self.dict_arms[0]
            return self._best_overlap(members)
        complete = [
            arm
            for arm in fitting
            if arm.required <= {arm.keys[k].name for k in members}
        ]
        if len(complete) > 1:
            return self._smart_choice(complete, members) or complete[0]
        if complete:
            return complete[0]
        if fitting:
            return fitting[0]
        if self.dict_arms:
            return self.dict_arms[0]
        return self._best_overlap(members)

    def _smart_choice(
        self, arms: list[ModelShape], value: dict[str, Any]
    ) -> ModelShape | None:
        """The arm pydantic's smart union picks for the complete ``value``.

        Asked of the arms' partial classes (types only: no constraints, no
        user validators run), in JSON mode as ``validate_final`` validates;
        None when no arm fits.
        """
        key = tuple(id(arm) for arm in arms)
        found = self._smart.get(key)
        if found is None:
            classes = tuple(arm.cls for arm in arms)
            union: Any = Union[classes]  # noqa: UP007 - a runtime union
            adapter: TypeAdapter[Any] = TypeAdapter(union)
            by_class = {arm.cls: arm for arm in arms}
            found = self._smart[key] = (adapter, by_class)
        adapter, by_class = found
        try:
            chosen = adapter.validate_json(json.dumps(value))
        except (ValidationError, TypeError, ValueError):
            return None
        return by_class.get(type(chosen))

    def _best_overlap(self, members: dict[str, Any]) -> Shape | None:
        best: Shape | None = None
        best_score = -1
        for arm in self.model_arms:
            score = sum(1 for k in members if k in arm.keys)
            if score > best_score:
                best, best_score = arm, score
        return best

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        if value is None:
            if self.nullable:
                return None
            return context.invalid(self.explain, value, json_path)
        kind = type(value)
        if kind is dict:
            arm = self.pick_object(value, closed=True)
            if arm is not None:
                return arm.closed(value, context, json_path)
        elif kind is list:
            if self.list_arms:
                return self.list_arms[0].closed(value, context, json_path)
        elif kind is str and self.str_arm is not None:
            return self.str_arm.closed(value, context, json_path)
        if self.scalar_shape is not None:
            return self.scalar_shape.closed(value, context, json_path)
        return context.invalid(self.explain, value, json_path)


ANY: Final = AnyShape()
