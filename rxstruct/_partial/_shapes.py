"""Shapes and nodes: turning decoder snapshots into partial values.

A *shape* is compiled once per type (see ``_compile``) and says how a JSON
value becomes a partial value: ``closed()`` converts a complete JSON value once,
``open()`` makes a *node* for a value still being written. A node keeps what it
already converted (the closed members of an object, the closed elements of a
list) and, on each snapshot, ``update()`` converts only what closed since the
previous one and recurses into the one open child. Nodes read the snapshot's
``open_containers`` (the decoder's append-only children lists and counts), never
its ``value``, which would copy every open container. The work per snapshot is
therefore proportional to the open path, never to the document: a completed
sub-object is converted exactly once and the same partial instance is reused by
every later emission. Emitted containers are never changed afterwards: each
emission of an open list shows a list of its own, a recycled one that nothing
else holds any more (see ``_recycle``) or else a C-level copy of the converted
elements; an open dict is copied (``AnyNode`` also copies the raw value it
shows).

Two sentinels travel up: ``HIDDEN`` (an open value that must not be shown yet:
a number, a ``Literal``, an ``Atomic`` field, a union whose arm is not decided)
and ``INVALID`` (a complete value that does not fit its type; the field stays
unset, a list stops before it, a dict omits the key).
"""

from __future__ import annotations

import types
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Final, ForwardRef, Literal, Optional, Union

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticCustomError

from ..exceptions import PartialValidationError
from ..json import JsonSnapshot, Path, format_path
from ..json._snapshot import MISSING, OpenContainer, build_open
from ._base import (
    new_object,
    set_dict,
    set_extra,
    set_fields_set,
    set_private,
    tag_setters,
)
from ._recycle import RecycledLists

__all__ = [
    "HIDDEN",
    "INVALID",
    "ANY",
    "AnyShape",
    "AtomicShape",
    "Ctx",
    "DictShape",
    "Discriminator",
    "FieldSpec",
    "HeldShape",
    "ListShape",
    "ModelShape",
    "Node",
    "NullableShape",
    "Shape",
    "StrShape",
    "UnionShape",
    "kind_of",
]


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


HIDDEN: Final[Any] = _Sentinel("HIDDEN")
INVALID: Final[Any] = _Sentinel("INVALID")
_NOTHING: Final[Any] = _Sentinel("NOTHING")


def kind_of(value: Any) -> type:
    """The JSON kind of an open value: ``dict``, ``list`` or ``str``."""
    return type(value)


class Ctx:
    """Per-snapshot context: the invalid-value policy, the open path, the change log.

    Attributes:
        raise_invalid: ``on_invalid="error"``: raise instead of ``INVALID``.
        changes: Python paths (field names) whose visible value or completion
            changed in this snapshot.
        json_changed: The decoder's changed paths, for raw (``Any``) values.
        contiguous: The snapshot directly follows the previous one (else the
            changes are unknown: assume some).
        frames: The snapshot's open containers; the node at level ``i``
            follows ``frames[i]`` (level ``depth``: the open string).
        depth: ``len(frames)``.
        leaf: The visible text of the open string, or None.
        open_path: The snapshot's open path.
        quiet: A twin whose change log is thrown away, for conversions of
            values that closed unseen (their parent records one change).
    """

    __slots__ = (
        "changes",
        "contiguous",
        "depth",
        "frames",
        "json_changed",
        "leaf",
        "open_path",
        "quiet",
        "raise_invalid",
    )

    def __init__(self, raise_invalid: bool, *, _quiet: Ctx | None = None) -> None:
        self.raise_invalid = raise_invalid
        self.changes: list[Path] = []
        self.json_changed: tuple[Path, ...] = ()
        self.contiguous = False
        self.frames: tuple[OpenContainer, ...] = ()
        self.depth = 0
        self.leaf: str | None = None
        self.open_path: Path = ()
        self.quiet: Ctx = _quiet if _quiet is not None else self

    @classmethod
    def create(cls, raise_invalid: bool) -> Ctx:
        """A context plus its quiet twin."""
        quiet = cls(raise_invalid)
        return cls(raise_invalid, _quiet=quiet)

    def reset(self, snapshot: JsonSnapshot, *, contiguous: bool) -> None:
        """Start a new snapshot (``contiguous``: it follows the previous one)."""
        self.changes = []
        self.json_changed = snapshot.changed
        self.contiguous = contiguous
        frames = self.frames = snapshot.open_containers
        self.depth = len(frames)
        self.leaf = snapshot.open_string
        open_path = snapshot.open_path
        self.open_path = () if open_path is None else open_path
        quiet = self.quiet
        if quiet.changes:
            quiet.changes = []

    def open_kind(self, level: int) -> type | None:
        """The JSON kind of the visible open child of ``frames[level]``, if any."""
        below = level + 1
        if below < self.depth:
            return self.frames[below].kind
        return str if self.leaf is not None else None

    def raw(self, level: int) -> Any:
        """The partial JSON value at ``level`` (copies its open containers)."""
        leaf = self.leaf
        if level >= self.depth:
            return leaf
        return build_open(self.frames, level, MISSING if leaf is None else leaf)

    def jpath(self, level: int) -> Path:
        """The JSON path of the open value at ``level``."""
        return self.frames[level].path if level < self.depth else self.open_path

    def invalid(
        self,
        shape: Shape,
        value: Any,
        jpath: Path,
        error: ValidationError | None = None,
    ) -> Any:
        """``INVALID``, or raise :class:`PartialValidationError` when asked to."""
        if not self.raise_invalid:
            return INVALID
        if error is None:
            error = shape.explain(value)
        first = error.errors()[0]["msg"] if error.error_count() else "invalid value"
        raise PartialValidationError(
            f"invalid value at {format_path(jpath)}: {first}", error, path=jpath
        )


def _custom_error(title: str, value: Any, kind: str, message: str) -> ValidationError:
    return ValidationError.from_exception_data(
        title,
        [{"type": PydanticCustomError(kind, message), "loc": (), "input": value}],
    )


# --- shapes --------------------------------------------------------------------


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
    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        """Convert a complete JSON value; ``INVALID`` when it does not fit."""


class AnyShape(Shape):
    """``Any``: the raw partial JSON value."""

    __slots__ = ()

    @property
    def annotation(self) -> Any:
        return Any

    def open(self, kind: type) -> Node:
        return AnyNode()

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        return value


class StrShape(Shape):
    """``str``: visible and growing while written."""

    __slots__ = ()

    @property
    def annotation(self) -> Any:
        return str

    def open(self, kind: type) -> Node:
        return StrNode(self) if kind is str else HoldNode(self)

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        if type(value) is str:
            return value
        return ctx.invalid(self, value, jpath)


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

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        if type(value) in self._exact:
            return value
        literals = self._literals
        if literals is not None:
            found = literals.get((type(value), value), _NOTHING)
            if found is not _NOTHING:
                return found
        validate = self._validate
        if validate is None:
            validate = self._validate = self.adapter().validate_python
        try:
            return validate(value)
        except ValidationError as exc:
            return ctx.invalid(self, value, jpath, exc)
        except TypeError:  # e.g. an unhashable value for a Literal
            return ctx.invalid(self, value, jpath)


class HeldShape(Shape):
    """``Annotated[X, rs.Atomic]``: X, but hidden until complete."""

    __slots__ = ("inner",)

    def __init__(self, inner: Shape) -> None:
        super().__init__()
        self.inner = inner

    @property
    def annotation(self) -> Any:
        return self.inner.annotation

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        return self.inner.closed(value, ctx, jpath)


class NullableShape(Shape):
    """``X | None``."""

    __slots__ = ("inner",)

    def __init__(self, inner: Shape) -> None:
        super().__init__()
        self.inner = inner

    @property
    def annotation(self) -> Any:
        return Optional[self.inner.annotation]  # noqa: UP045 - may be a ForwardRef

    def open(self, kind: type) -> Node:
        return self.inner.open(kind)

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        if value is None:
            return None
        return self.inner.closed(value, ctx, jpath)


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
        return ListNode(self) if kind is list else HoldNode(self)

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        if type(value) is not list:
            return ctx.invalid(self, value, jpath)
        return ListNode(self).finish(value, ctx.quiet, jpath, ())


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
        return DictNode(self) if kind is dict else HoldNode(self)

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        if type(value) is not dict:
            return ctx.invalid(self, value, jpath)
        return DictNode(self).finish(value, ctx.quiet, jpath, ())


class FieldSpec:
    """One model field as streamed: its Python name and shape."""

    __slots__ = ("extra", "hold", "name", "shape")

    def __init__(self, name: str, shape: Shape, *, hold: bool, extra: bool) -> None:
        self.name = name
        self.shape = shape
        self.hold = hold
        self.extra = extra


class ModelShape(Shape):
    """A pydantic model, streamed as instances of its partial class.

    Filled in by ``_compile`` after construction (models can be recursive).
    """

    __slots__ = (
        "_set_open",
        "cls",
        "dynamic_defaults",
        "extra",
        "holds",
        "keys",
        "model",
        "ref",
        "required",
        "static_defaults",
    )

    def __init__(self, model: type[BaseModel], ref: str) -> None:
        super().__init__()
        self.model = model
        self.ref = ref  # forward-reference name while the class is being built
        self.cls: type[BaseModel] | None = None  # the partial class, set by _compile
        self.keys: dict[str, FieldSpec] = {}  # JSON key -> field
        self.static_defaults: dict[str, Any] = {}  # every field, in order
        self.dynamic_defaults: tuple[tuple[str, Callable[[], Any]], ...] = ()
        self.required: frozenset[str] = frozenset()
        self.holds: frozenset[str] = frozenset()
        self.extra: Literal["allow", "forbid", "ignore"] = "ignore"
        self._set_open: Any = None  # sets the open slot of an instance of cls

    @property
    def annotation(self) -> Any:
        return self.cls if self.cls is not None else ForwardRef(self.ref)

    def spec(self, key: str) -> FieldSpec | None:
        """The field a JSON key belongs to (an extra under ``extra="allow"``)."""
        spec = self.keys.get(key)
        if spec is None and self.extra == "allow":
            spec = FieldSpec(key, ANY, hold=False, extra=True)
        return spec

    def open(self, kind: type) -> Node:
        return ModelNode(self) if kind is dict else HoldNode(self)

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        if type(value) is not dict:
            return ctx.invalid(self, value, jpath)
        return ModelNode(self).finish(value, ctx.quiet, jpath, ())

    def base(self, fields: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """The ``__dict__`` and fields set of an instance with ``fields`` (new)."""
        if self.dynamic_defaults:
            values = dict(self.static_defaults)
            for name, factory in self.dynamic_defaults:
                if name not in fields:
                    values[name] = factory()
            values.update(fields)
        else:
            values = {**self.static_defaults, **fields}
        return values, set(fields)

    def instance(
        self,
        values: dict[str, Any],
        fields_set: set[str],
        extra: dict[str, Any] | None,
        open_rel: Path | None,
    ) -> BaseModel:
        """A partial instance holding ``values`` and ``fields_set`` (both kept).

        Made without validation; ``open_rel`` None (complete) leaves the open
        slot unset, which reads as complete.
        """
        instance: BaseModel = new_object(self.cls)
        set_dict(instance, values)
        set_fields_set(instance, fields_set)
        set_extra(instance, dict(extra) if extra is not None else None)
        set_private(instance, None)
        if open_rel is not None:
            set_open = self._set_open
            if set_open is None:
                set_open = self._set_open = tag_setters(type(instance))[0]
            set_open(instance, open_rel)
        return instance

    def build(
        self,
        fields: dict[str, Any],
        extra: dict[str, Any] | None,
        open_rel: Path | None,
    ) -> BaseModel:
        """A partial instance of ``fields``, like ``model_construct``."""
        values, fields_set = self.base(fields)
        return self.instance(values, fields_set, extra, open_rel)

    def missing_error(self, value: Any, missing: list[str]) -> ValidationError:
        """A pydantic error for required fields absent from a closed object."""
        return ValidationError.from_exception_data(
            self.model.__name__,
            [{"type": "missing", "loc": (name,), "input": value} for name in missing],
        )

    def extra_error(self, value: Any, keys: list[str]) -> ValidationError:
        """A pydantic error for unknown keys of an ``extra="forbid"`` model."""
        return ValidationError.from_exception_data(
            self.model.__name__,
            [
                {"type": "extra_forbidden", "loc": (key,), "input": value[key]}
                for key in keys
            ],
        )


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
      complete; hidden before;
    - other objects: the model arm that alone fits the keys seen so far; hidden
      while several fit; decided at the latest when the object closes;
    - strings: a plain ``str`` arm if there is one (the string grows),
      otherwise the scalar arms decide when it is complete;
    - lists: the first list arm; numbers, bools: pydantic's smart union over
      the scalar arms.
    """

    __slots__ = (
        "_discriminator",
        "_find_discriminator",
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
        self._discriminator: Any = _NOTHING

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
        if found is _NOTHING:
            found = self._discriminator = self._find_discriminator(self)
        return found  # type: ignore[no-any-return]  # Discriminator | None

    def open(self, kind: type) -> Node:
        if kind is dict:
            discriminator = self.discriminator
            if discriminator is not None and discriminator.explicit:
                return DiscriminatedNode(self)
            if len(self.model_arms) > 1:
                return UnionObjectNode(self)
            if self.model_arms:
                return self.model_arms[0].open(kind)
            if self.dict_arms:
                return self.dict_arms[0].open(kind)
        elif kind is list and self.list_arms:
            return self.list_arms[0].open(kind)
        elif kind is str and self.str_arm is not None:
            return self.str_arm.open(kind)
        return HoldNode(self)

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
            # An implied tag decides when it is there; without it, the keys do.
            if discriminator.explicit or any(k in members for k in discriminator.keys):
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
        for arm in fitting:
            if arm.required <= {arm.keys[k].name for k in members}:
                return arm
        if fitting:
            return fitting[0]
        if self.dict_arms:
            return self.dict_arms[0]
        return self._best_overlap(members)

    def _best_overlap(self, members: dict[str, Any]) -> Shape | None:
        best: Shape | None = None
        best_score = -1
        for arm in self.model_arms:
            score = sum(1 for k in members if k in arm.keys)
            if score > best_score:
                best, best_score = arm, score
        return best

    def closed(self, value: Any, ctx: Ctx, jpath: Path) -> Any:
        if value is None:
            if self.nullable:
                return None
            return ctx.invalid(self, value, jpath)
        kind = type(value)
        if kind is dict:
            arm = self.pick_object(value, closed=True)
            if arm is not None:
                return arm.closed(value, ctx, jpath)
        elif kind is list:
            if self.list_arms:
                return self.list_arms[0].closed(value, ctx, jpath)
        elif kind is str and self.str_arm is not None:
            return self.str_arm.closed(value, ctx, jpath)
        if self.scalar_shape is not None:
            return self.scalar_shape.closed(value, ctx, jpath)
        return ctx.invalid(self, value, jpath)


ANY: Final = AnyShape()


# --- nodes ---------------------------------------------------------------------


class Node(ABC):
    """The conversion state of one open value.

    A node follows one open value of the snapshots, at a fixed *level*: the
    object or array ``ctx.frames[level]``, or (level ``ctx.depth``) the open
    string. It reads only the closed children that are new since its last
    update and recurses into the one open child, so an update costs
    O(depth + new children), whatever the width of the containers.

    Attributes:
        open_rel: After ``update``: the Python path, relative to this value, of
            its deepest visible open descendant (``()``: this value itself).
        shown: After ``update``: the open child whose value the returned value
            holds, or None (always None for a leaf; see :class:`ParentNode`).
    """

    __slots__ = ("open_rel", "shown")

    def __init__(self) -> None:
        self.open_rel: Path = ()
        self.shown: Node | None = None

    @abstractmethod
    def update(self, level: int, ctx: Ctx, ppath: Path) -> Any:
        """The partial value for the open value at ``level``, or ``HIDDEN``.

        Args:
            level: Where the value is in the snapshot (see the class).
            ctx: The snapshot context.
            ppath: Python path of this value (for the change log).
        """

    @abstractmethod
    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        """The final partial value once ``value`` closed, or ``INVALID``."""


class ParentNode(Node, ABC):
    """A node whose value holds its open child's value (an object or a list).

    When a snapshot differs from the previous one only in the text of the open
    string, nothing but the open path has to be rebuilt: the builder walks the
    ``shown`` links from the root to the string and calls :meth:`rebuild` on
    each parent, innermost first, skipping every per-level check of
    ``update``. Its ``shown`` is None when no open child is visible, or when
    the child cannot be rebuilt on its own (an ``extra="allow"`` member).
    """

    __slots__ = ()

    @abstractmethod
    def rebuild(self, child: Any) -> Any:
        """The last value of ``update`` with ``child`` as the open child's value.

        Valid only while nothing but the open child's value changed since that
        ``update``; returns a new value (emitted values are never changed).
        """


class ContainerNode(ParentNode, ABC):
    """A node following one open object or array of the snapshots.

    The decoder hands out the same :class:`OpenContainer` for a container that
    neither gained a child nor changed its key: then only the open child can
    have changed, and :meth:`update` updates just that child and rebuilds,
    without looking at the container again. Otherwise it calls :meth:`refresh`.

    Attributes:
        frame: The container as last seen.
        shown_part: The key or index (Python path part) of the open child.
        shown_ppath: The Python path of the open child.
    """

    __slots__ = ("frame", "rel", "rel_below", "shown_part", "shown_ppath")

    def __init__(self) -> None:
        super().__init__()
        self.frame: OpenContainer | None = None
        self.shown_part: Any = ""
        self.shown_ppath: Path = ()
        self.rel_below: Path | None = None  # the open child's open_rel ...
        self.rel: Path = ()  # ... and this node's open_rel made of it

    def update(self, level: int, ctx: Ctx, ppath: Path) -> Any:
        frame = ctx.frames[level]
        child = self.shown
        if child is not None and frame is self.frame:
            value = child.update(level + 1, ctx, self.shown_ppath)
            if value is not HIDDEN:  # a shown child stays shown until it closes
                self.open_rel = self.rel_of(child)
                return self.rebuild(value)
        self.frame = frame
        return self.refresh(frame, level, ctx, ppath)

    @abstractmethod
    def refresh(self, frame: OpenContainer, level: int, ctx: Ctx, ppath: Path) -> Any:
        """The full :meth:`update`: new children, a new open child, visibility."""

    def open_child(self, part: Any, ppath: Path) -> None:
        """Record that a new open child starts at ``part`` (Python path ``ppath``)."""
        self.shown_part = part
        self.shown_ppath = ppath
        self.rel_below = None

    def rel_of(self, child: Node) -> Path:
        """This node's ``open_rel`` when ``child`` is the open child shown."""
        below = child.open_rel
        if below is not self.rel_below:
            self.rel_below = below
            self.rel = (self.shown_part, *below)
        return self.rel


class HoldNode(Node):
    """Hidden while open; converted once complete."""

    __slots__ = ("shape",)

    def __init__(self, shape: Shape) -> None:
        super().__init__()
        self.shape = shape

    def update(self, level: int, ctx: Ctx, ppath: Path) -> Any:
        return HIDDEN

    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        return self.shape.closed(value, ctx, jpath)


class StrNode(Node):
    """A growing string."""

    __slots__ = ("length", "ppath", "shape")

    def __init__(self, shape: Shape) -> None:
        super().__init__()
        self.shape = shape
        self.length = -1
        self.ppath: Path = ()  # the Python path of the last update

    def update(self, level: int, ctx: Ctx, ppath: Path) -> Any:
        value: Any = ctx.leaf
        self.ppath = ppath
        if len(value) != self.length:
            self.length = len(value)
            ctx.changes.append(ppath)
        return value

    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        return self.shape.closed(value, ctx, jpath)


class AnyNode(Node):
    """A raw value (``Any``, extras): the decoder's partial value as is.

    The one node that builds its open value, copying the open containers
    below it (O(their width) per update).
    """

    __slots__ = ()

    def update(self, level: int, ctx: Ctx, ppath: Path) -> Any:
        jpath = ctx.jpath(level)
        if not ctx.contiguous:  # after a gap: changes unknown, assume some
            ctx.changes.append(ppath)
        else:
            depth = len(jpath)
            for changed in ctx.json_changed:
                if changed[:depth] == jpath:
                    ctx.changes.append(ppath)
                    break
        self.open_rel = ctx.open_path[len(jpath) :]
        return ctx.raw(level)

    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        return value


class ModelNode(ContainerNode):
    """An open object of a model: closed members are converted once."""

    __slots__ = (
        "base",
        "count",
        "extra",
        "fields",
        "open_fields_set",
        "open_key",
        "open_node",
        "open_spec",
        "open_visible",
        "shape",
        "src",
    )

    def __init__(self, shape: ModelShape) -> None:
        super().__init__()
        self.shape = shape
        self.src: list[Any] | None = None  # the decoder's (key, value) pairs
        self.count = 0  # how many of them are converted
        self.fields: dict[str, Any] = {}  # field name -> converted closed value
        self.extra: dict[str, Any] | None = {} if shape.extra == "allow" else None
        # The instance's __dict__ and fields set without the open field; redone
        # when a member closes. The fields sets are shared by the instances
        # made from them (pydantic copies a fields set before changing it).
        self.base: tuple[dict[str, Any], set[str]] | None = None
        self.open_fields_set: set[str] | None = None  # base's, plus the open field
        self.open_key: str | None = None
        self.open_node: Node | None = None
        self.open_spec: FieldSpec | None = None
        self.open_visible = False

    def _absorb(
        self, src: list[Any], stop: int, ctx: Ctx, jpath: Path, ppath: Path
    ) -> None:
        """Convert the members ``src[self.count:stop]`` that closed since."""
        shape = self.shape
        fields = self.fields
        self.base = self.open_fields_set = None
        for i in range(self.count, stop):
            key, member = src[i]
            node = None
            if key == self.open_key:
                node = self.open_node
                self.open_key = self.open_node = None
            spec = shape.spec(key)
            if spec is None:
                continue
            child_jpath = (*jpath, key)
            child_ppath = (*ppath, spec.name)
            if node is not None:
                converted = node.finish(member, ctx, child_jpath, child_ppath)
            else:
                converted = spec.shape.closed(member, ctx, child_jpath)
            if converted is INVALID:
                continue
            if spec.extra:
                self.extra[spec.name] = converted  # type: ignore[index]  # allow => dict
            else:
                fields[spec.name] = converted
            ctx.changes.append(child_ppath)
        self.count = stop

    def _open_child(self, key: str, level: int, ctx: Ctx, ppath: Path) -> Node | None:
        """A node for the new open member ``key``; None: not visible or unknown."""
        kind = ctx.open_kind(level)
        if kind is None:
            return None
        spec = self.shape.spec(key)
        if spec is None:
            return None
        node = self.open_node = spec.shape.open(kind)
        self.open_key = key
        self.open_spec = spec
        self.open_fields_set = None
        self.open_child(spec.name, (*ppath, spec.name))
        self.open_visible = False
        return node

    def refresh(self, frame: OpenContainer, level: int, ctx: Ctx, ppath: Path) -> Any:
        mark = len(ctx.changes)
        if frame.n_closed > self.count:
            self.src = frame.items
            self._absorb(frame.items, frame.n_closed, ctx, frame.path, ppath)
        elif self.src is None:
            self.src = frame.items
        shape = self.shape
        extra = self.extra
        open_rel: Path = ()
        open_name: str | None = None
        shown: Any = None
        open_key = frame.key
        node = self.open_node
        if open_key is None:
            node = None
        elif node is None or self.open_key != open_key:
            node = self._open_child(open_key, level, ctx, ppath)
        # else: the same open member, visible until it closes
        if node is not None:
            shown = node.update(level + 1, ctx, self.shown_ppath)
            if shown is not HIDDEN:
                spec: Any = self.open_spec
                if not self.open_visible:
                    self.open_visible = True
                    ctx.changes.append(self.shown_ppath)
                open_rel = self.rel_of(node)
                if spec.extra:
                    extra = {**extra, spec.name: shown}  # type: ignore[dict-item]  # allow => dict
                else:
                    open_name = spec.name
        fields = self.fields
        self.shown = None
        for name in shape.holds:
            if name not in fields and name != open_name:
                del ctx.changes[mark:]  # nothing of a hidden object is visible
                return HIDDEN
        self.open_rel = open_rel
        base = self.base
        if base is None:
            base = self.base = shape.base(fields)
        if open_name is not None:
            self.shown = node
            return self.rebuild(shown)
        return shape.instance(base[0].copy(), base[1], extra, open_rel)

    def rebuild(self, child: Any) -> Any:
        base: Any = self.base  # set by update
        name: str = self.open_spec.name  # type: ignore[union-attr]  # set with shown
        values = base[0].copy()
        values[name] = child
        fields_set = self.open_fields_set
        if fields_set is None:
            fields_set = self.open_fields_set = {*base[1], name}
        return self.shape.instance(values, fields_set, self.extra, self.open_rel)

    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        src = self.src
        if src is None:  # never seen open: convert the closed object as is
            src = list(value.items())
        self._absorb(src, len(src), ctx, jpath, ppath)
        shape = self.shape
        if ctx.raise_invalid:
            missing = [name for name in shape.required if name not in self.fields]
            if missing:
                raise PartialValidationError(
                    f"{shape.model.__name__} at {format_path(jpath)} is complete "
                    f"without required field(s) {', '.join(sorted(missing))}",
                    shape.missing_error(value, sorted(missing)),
                    path=jpath,
                )
            if shape.extra == "forbid":
                unknown = [key for key in value if key not in shape.keys]
                if unknown:
                    raise PartialValidationError(
                        f"{shape.model.__name__} at {format_path(jpath)} has "
                        f"unknown field(s) {', '.join(unknown)}",
                        shape.extra_error(value, unknown),
                        path=jpath,
                    )
        return shape.build(self.fields, self.extra, None)


class ListNode(ContainerNode):
    """An open list: closed elements converted once, the open one recursed into.

    An element that closes invalid stops the list there (the partial list stays
    a prefix of a well-typed list). An emitted list never changes afterwards:
    showing an open element takes a list that nothing else holds any more from
    :class:`RecycledLists` and brings it up to date in place (O(1) per update
    when the consumer keeps only the latest value), or else copies the
    converted elements once. Without an open element the last copy is reused.
    """

    __slots__ = (
        "emitted",
        "items",
        "make",
        "n_src",
        "open_index",
        "open_node",
        "out",
        "shape",
        "stopped",
        "visible",
    )

    def __init__(self, shape: ListShape) -> None:
        super().__init__()
        self.shape = shape
        self.items: list[Any] = []  # converted closed elements; never handed out
        self.out: list[Any] | None = None  # the last emitted copy of items
        self.n_src = 0  # JSON elements consumed
        self.stopped = False
        self.open_index = -1
        self.open_node: Node | None = None
        self.make: Callable[[list[Any]], Any] = list
        self.emitted: RecycledLists | None = None  # lists with an open element
        self.visible = False

    def _absorb(
        self, value: list[Any], n_closed: int, ctx: Ctx, jpath: Path, ppath: Path
    ) -> None:
        item = self.shape.item
        items = self.items
        self.out = None
        for i in range(self.n_src, n_closed):
            member = value[i]
            node = None
            if i == self.open_index:
                node = self.open_node
                self.open_node = None
                self.open_index = -1
            child_ppath = (*ppath, i)
            if node is not None:
                converted = node.finish(member, ctx, (*jpath, i), child_ppath)
            else:
                converted = item.closed(member, ctx, (*jpath, i))
            if converted is INVALID:
                self.stopped = True
                return
            items.append(converted)
            ctx.changes.append(child_ppath)
        self.n_src = n_closed

    def _closed(self) -> Any:
        """The closed elements as an emitted list (shared while unchanged)."""
        make = self.make
        if make is not list:
            return make(self.items)  # a root list: each emission is its own
        out = self.out
        if out is None:
            out = self.out = self.items[:]
        return out

    def refresh(self, frame: OpenContainer, level: int, ctx: Ctx, ppath: Path) -> Any:
        self.open_rel = ()
        self.shown = None
        if self.stopped:
            return self._closed()
        count = frame.n_closed
        if count > self.n_src:
            self._absorb(frame.items, count, ctx, frame.path, ppath)
            if self.stopped:
                return self._closed()
        node = self.open_node
        if node is None or self.open_index != count:
            # A new open element (the same one stays visible until it closes).
            kind = ctx.open_kind(level)
            if kind is None:
                return self._closed()
            node = self.open_node = self.shape.item.open(kind)
            self.open_index = count
            self.open_child(count, (*ppath, count))
            self.visible = False
        shown = node.update(level + 1, ctx, self.shown_ppath)
        if shown is HIDDEN:
            return self._closed()
        if not self.visible:
            self.visible = True
            ctx.changes.append(self.shown_ppath)
        self.open_rel = self.rel_of(node)
        self.shown = node
        return self.rebuild(shown)

    def rebuild(self, child: Any) -> Any:
        emitted = self.emitted
        if emitted is None:
            emitted = self.emitted = RecycledLists(self.make)
        return emitted.emit(self.items, child)

    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        if not self.stopped:
            self._absorb(value, len(value), ctx, jpath, ppath)
        if self.make is list:
            return self.items  # never handed out, and this node is done
        return self.make(self.items)


class DictNode(ContainerNode):
    """An open ``dict[K, V]``: like a model with one shape for every value."""

    __slots__ = (
        "count",
        "items",
        "make",
        "open_key",
        "open_node",
        "open_visible",
        "out",
        "shape",
        "src",
    )

    def __init__(self, shape: DictShape) -> None:
        super().__init__()
        self.shape = shape
        self.src: list[Any] | None = None  # the decoder's (key, value) pairs
        self.count = 0  # how many of them are converted
        self.items: dict[Any, Any] = {}  # never handed out
        self.out: dict[Any, Any] | None = None  # the last emitted copy of items
        self.open_key: str | None = None
        self.open_node: Node | None = None
        self.open_visible = False
        self.make: Callable[[dict[Any, Any]], Any] = dict

    def _key(self, key: str, ctx: Ctx, jpath: Path) -> Any:
        key_shape = self.shape.key_shape
        if key_shape is None:
            return key
        return key_shape.closed(key, ctx, (*jpath, key))

    def _absorb(
        self, src: list[Any], stop: int, ctx: Ctx, jpath: Path, ppath: Path
    ) -> None:
        shape = self.shape.value
        self.out = None
        for i in range(self.count, stop):
            key, member = src[i]
            node = None
            if key == self.open_key:
                node = self.open_node
                self.open_key = self.open_node = None
            py_key = self._key(key, ctx, jpath)
            if py_key is INVALID:
                continue
            child_ppath = (*ppath, py_key)
            if node is not None:
                converted = node.finish(member, ctx, (*jpath, key), child_ppath)
            else:
                converted = shape.closed(member, ctx, (*jpath, key))
            if converted is INVALID:
                continue
            self.items[py_key] = converted
            ctx.changes.append(child_ppath)
        self.count = stop

    def _closed(self) -> Any:
        make = self.make
        if make is not dict:
            return make(self.items)  # a root dict: each emission is its own
        out = self.out
        if out is None:
            out = self.out = dict(self.items)
        return out

    def refresh(self, frame: OpenContainer, level: int, ctx: Ctx, ppath: Path) -> Any:
        if frame.n_closed > self.count:
            self.src = frame.items
            self._absorb(frame.items, frame.n_closed, ctx, frame.path, ppath)
        elif self.src is None:
            self.src = frame.items
        self.open_rel = ()
        self.shown = None
        open_key = frame.key
        kind = ctx.open_kind(level) if open_key is not None else None
        if kind is None or open_key is None:
            return self._closed()
        py_key = self._key(open_key, ctx, frame.path)
        if py_key is INVALID:
            return self._closed()
        node = self.open_node
        if node is None or self.open_key != open_key:
            node = self.open_node = self.shape.value.open(kind)
            self.open_key = open_key
            self.open_child(py_key, (*ppath, py_key))
            self.open_visible = False
        shown = node.update(level + 1, ctx, self.shown_ppath)
        if shown is HIDDEN:
            return self._closed()
        if not self.open_visible:
            self.open_visible = True
            ctx.changes.append(self.shown_ppath)
        self.open_rel = self.rel_of(node)
        self.shown = node
        return self.rebuild(shown)

    def rebuild(self, child: Any) -> Any:
        out = self.make(self.items)
        out[self.shown_part] = child
        return out

    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        src = self.src
        if src is None:  # never seen open: convert the closed object as is
            src = list(value.items())
        self._absorb(src, len(src), ctx, jpath, ppath)
        if self.make is dict:
            return self.items  # never handed out, and this node is done
        return self.make(self.items)


class _ChoosingNode(ParentNode, ABC):
    """An object of a union whose arm is decided on the way; hidden until then."""

    __slots__ = ("chosen", "shape")

    def __init__(self, shape: UnionShape) -> None:
        super().__init__()
        self.shape = shape
        self.chosen: Node | None = None

    @abstractmethod
    def _pick(self, value: dict[str, Any], open_key: Any) -> Shape | None:
        """Implemented by each subclass."""

    def update(self, level: int, ctx: Ctx, ppath: Path) -> Any:
        chosen = self.chosen
        if chosen is None:
            frame = ctx.frames[level]
            members = dict(frame.items[: frame.n_closed])
            open_key = frame.key if ctx.open_kind(level) is not None else None
            if open_key is not None:
                members[open_key] = None  # only its key counts while it is open
            arm = self._pick(members, open_key)
            if arm is None:
                self.shown = None
                return HIDDEN
            chosen = self.chosen = arm.open(dict)
        shown = chosen.update(level, ctx, ppath)
        self.open_rel = chosen.open_rel
        self.shown = chosen.shown
        return shown

    def rebuild(self, child: Any) -> Any:
        return self.chosen.rebuild(child)  # type: ignore[union-attr]  # shown => chosen

    def finish(self, value: Any, ctx: Ctx, jpath: Path, ppath: Path) -> Any:
        if self.chosen is not None:
            return self.chosen.finish(value, ctx, jpath, ppath)
        return self.shape.closed(value, ctx.quiet, jpath)


class DiscriminatedNode(_ChoosingNode):
    """A discriminated union: the arm is known once the tag is complete."""

    __slots__ = ()

    def _pick(self, value: dict[str, Any], open_key: Any) -> Shape | None:
        discriminator = self.shape.discriminator
        if discriminator is None:  # pragma: no cover - only built with one
            return None
        return discriminator.choose(value, open_key)


class UnionObjectNode(_ChoosingNode):
    """A plain union of models: the arm is known once the keys fit only one."""

    __slots__ = ()

    def _pick(self, value: dict[str, Any], open_key: Any) -> Shape | None:
        return self.shape.pick_object(value, closed=False, open_key=open_key)
