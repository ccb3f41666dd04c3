"""Nodes of open objects, lists and union objects (see ``_nodes``).

An object's closed members (a list's closed elements) are converted once;
the open one is recursed into. Emitted containers are never changed
afterwards: each emission of an open list shows a list of its own, a recycled
one that nothing else holds any more (see ``_recycle``) or else a C-level copy
of the converted elements; an open dict or model instance is copied.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from ..exceptions import PartialValidationError
from ..json import Path, format_path
from ._base import (
    PartialDict,
    PartialList,
    new_object,
    set_dict,
    set_extra,
    set_fields_set,
    set_private,
    tag_setters,
)
from ._context import HIDDEN, INVALID, ConversionContext
from ._nodes import ContainerNode, FieldSpec, Node, ParentNode, ValueShape
from ._recycle import RecycledLists

__all__ = [
    "ChoosingNode",
    "DictNode",
    "ListNode",
    "ModelLayout",
    "ModelNode",
    "ObjectNode",
    "UnionLayout",
]


# --- what these nodes need from shapes ---------------------------------------


class ModelLayout(Protocol):
    """What :class:`ModelNode` needs from a model's shape."""

    @property
    def model(self) -> type[BaseModel]:
        """The user's model."""
        ...

    @property
    def keys(self) -> Mapping[str, FieldSpec]:
        """JSON key -> field."""
        ...

    @property
    def required(self) -> frozenset[str]:
        """Names of the required fields."""
        ...

    @property
    def hold_until_present(self) -> frozenset[str]:
        """Names of the ``HoldUntilPresent`` fields."""
        ...

    @property
    def extra(self) -> str:
        """The model's ``extra`` setting: ``allow``, ``forbid`` or ``ignore``."""
        ...

    def route(
        self, key: str, context: ConversionContext, json_path: Path
    ) -> FieldSpec | None:
        """The field a JSON key belongs to, None for an ignored key."""
        ...

    @property
    def cls(self) -> type[BaseModel] | None:
        """The partial class (None only while it is being built)."""
        ...

    def field_values(
        self, fields: dict[str, Any], *, complete: bool
    ) -> tuple[dict[str, Any], set[str]]:
        """The ``__dict__`` and fields set of an instance with ``fields``."""
        ...


class UnionLayout(ValueShape, Protocol):
    """What :class:`ChoosingNode` needs from a union's shape."""

    def arm_for_open(
        self, members: dict[str, Any], open_key: str | None
    ) -> ValueShape | None:
        """The arm of an open object with ``members``; None while undecided."""
        ...


# --- nodes ---------------------------------------------------------------------


class ObjectNode(ContainerNode, ABC):
    """An open JSON object: closed members converted once, the open one recursed.

    The common part of a model and a ``dict[K, V]``: the subclasses say where
    a key goes (:meth:`route`) and what the object shows.

    Attributes:
        members: The decoder's ``(key, value)`` pairs of this object.
        n_converted: How many of them are converted.
        fields: Converted closed values by Python name or key (never handed
            out).
        extra: Converted extras (``extra="allow"`` models), or None.
        priorities: The :attr:`FieldSpec.priority` each of ``fields`` came
            from (only for fields with several keys).
        open_key: The JSON key of the open member.
        open_spec: Where the open member goes.
    """

    __slots__ = (
        "extra",
        "fields",
        "members",
        "n_converted",
        "open_key",
        "open_spec",
        "priorities",
        "route",
    )

    def __init__(
        self,
        container_type: Callable[[Any], Any],
        route: Callable[[str, ConversionContext, Path], FieldSpec | None],
    ) -> None:
        super().__init__(container_type)
        # Where member ``key`` goes (None: left out); a plain callable, not a
        # method, so that a model's node calls its shape's directly.
        self.route = route
        self.members: list[Any] | None = None
        self.n_converted = 0
        self.fields: dict[Any, Any] = {}
        self.extra: dict[str, Any] | None = None
        self.priorities: dict[Any, int] = {}
        self.open_key: str | None = None
        self.open_spec: FieldSpec | None = None

    def outranked(self, spec: FieldSpec) -> bool:
        """A value of ``spec``'s field came from a key that takes precedence."""
        priority = spec.priority
        return priority >= 0 and self.priorities.get(spec.name, priority) < priority

    def absorb(
        self,
        members: list[Any],
        stop: int,
        context: ConversionContext,
        json_path: Path,
        py_path: Path,
    ) -> None:
        """Convert the members ``members[self.n_converted:stop]`` closed since."""
        self.closed_cache = None
        fields = self.fields
        for i in range(self.n_converted, stop):
            key, member = members[i]
            node = None
            if key == self.open_key:
                node = self.open_node
                self.open_key = self.open_node = None
            spec = self.route(key, context, json_path)
            if spec is None or (spec.priority >= 0 and self.outranked(spec)):
                continue
            child_json_path = (*json_path, key)
            child_py_path = (*py_path, spec.name)
            if node is not None:
                converted = node.finish(member, context, child_json_path, child_py_path)
            else:
                converted = spec.shape.closed(member, context, child_json_path)
            if converted is INVALID:
                continue
            if spec.extra:
                self.extra[spec.name] = converted  # type: ignore[index]  # allow => dict
            else:
                fields[spec.name] = converted
                if spec.priority >= 0:
                    self.priorities[spec.name] = spec.priority
            context.changes.append(child_py_path)
        self.n_converted = stop

    def refresh(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        frame = context.frames[level]
        mark = len(context.changes)
        if frame.n_closed > self.n_converted:
            self.members = frame.items
            self.absorb(frame.items, frame.n_closed, context, frame.path, py_path)
        elif self.members is None:
            self.members = frame.items
        self.open_subpath = ()
        self.shown = None
        open_key = frame.key
        node = self.open_node
        if open_key is None:
            node = None
        elif node is None or self.open_key != open_key:
            node = self._start_member(open_key, level, context, py_path, frame.path)
        # else: the same open member, visible until it closes
        shown: Any = HIDDEN
        if node is not None:
            shown = node.update(level + 1, context, self.shown_py_path)
            if shown is not HIDDEN:
                if not self.open_visible:
                    self.open_visible = True
                    context.changes.append(self.shown_py_path)
                self.open_subpath = self.subpath_through(node)
        return self.present(node, shown, context, mark)

    def _start_member(
        self,
        key: str,
        level: int,
        context: ConversionContext,
        py_path: Path,
        json_path: Path,
    ) -> Node | None:
        """A node for the new open member ``key``; None: not visible or left out."""
        kind = context.open_kind(level)
        if kind is None:
            return None
        spec = self.route(key, context, json_path)
        if spec is None or self.outranked(spec):
            return None
        node = spec.shape.open(kind)
        self.open_key = key
        self.open_spec = spec
        self.start_child(spec.name, (*py_path, spec.name), node)
        return node

    @abstractmethod
    def present(
        self, node: Node | None, shown: Any, context: ConversionContext, mark: int
    ) -> Any:
        """What the object shows, with the open member's value ``shown``.

        Args:
            node: The open member's node, if any.
            shown: Its value, or ``HIDDEN``.
            context: The snapshot context.
            mark: ``len(context.changes)`` before this object's refresh.
        """

    def finish(
        self, value: Any, context: ConversionContext, json_path: Path, py_path: Path
    ) -> Any:
        members = self.members
        if members is None:  # never seen open: convert the closed object as is
            members = list(value.items())
        self.absorb(members, len(members), context, json_path, py_path)
        return self.complete(value, context, json_path)

    @abstractmethod
    def complete(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        """The final value once every member is converted."""


class ModelNode(ObjectNode):
    """An open object of a model, shown as an instance of its partial class."""

    __slots__ = ("cls", "set_open", "shape")

    # closed_cache: ``[values, fields_set, open_name, open_fields_set]``, the
    # instance's __dict__ and fields set without the open field (redone when a
    # member closes), and the fields set with the open field ``open_name``.
    # The fields sets are shared by the instances made from them (pydantic
    # copies a fields set before changing it).

    def __init__(self, shape: ModelLayout) -> None:
        super().__init__(dict, shape.route)
        self.shape = shape
        self.cls = shape.cls  # the partial class (built before any node)
        if shape.extra == "allow":
            self.extra = {}
        self.set_open: Any = None  # sets the open slot of an instance

    def present(
        self, node: Node | None, shown: Any, context: ConversionContext, mark: int
    ) -> Any:
        extra = self.extra
        open_name: str | None = None
        if shown is not HIDDEN:
            spec: Any = self.open_spec
            if spec.extra:
                extra = {**extra, spec.name: shown}  # type: ignore[dict-item]  # allow => dict
            else:
                open_name = spec.name
        fields = self.fields
        shape = self.shape
        for name in shape.hold_until_present:
            if name not in fields and name != open_name:
                del context.changes[mark:]  # nothing of a hidden object is visible
                return HIDDEN
        base = self.closed_cache
        if base is None:
            values, fields_set = shape.field_values(fields, complete=False)
            base = self.closed_cache = [values, fields_set, None, None]
        if open_name is not None:
            self.shown = node
            return self.rebuild(shown)
        return self.instance(base[0].copy(), base[1], extra, self.open_subpath)

    def rebuild(self, child: Any) -> Any:
        base: Any = self.closed_cache  # set by present
        name: str = self.open_spec.name  # type: ignore[union-attr]  # set with shown
        values = base[0].copy()
        values[name] = child
        if base[2] is not name:
            base[2] = name
            base[3] = {*base[1], name}
        return self.instance(values, base[3], self.extra, self.open_subpath)

    def instance(
        self,
        values: dict[str, Any],
        fields_set: set[str],
        extra: dict[str, Any] | None,
        open_subpath: Path | None,
    ) -> BaseModel:
        """A partial instance holding ``values`` and ``fields_set`` (both kept).

        Made without validation; ``open_subpath`` None (complete) leaves the
        open slot unset, which reads as complete.
        """
        # new_partial's steps, inline: this runs once per chunk and level.
        instance: BaseModel = new_object(self.cls)
        set_dict(instance, values)
        set_fields_set(instance, fields_set)
        set_extra(instance, dict(extra) if extra is not None else None)
        set_private(instance, None)
        if open_subpath is not None:
            set_open = self.set_open
            if set_open is None:
                set_open = self.set_open = tag_setters(type(instance))[0]
            set_open(instance, open_subpath)
        return instance

    def complete(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        shape = self.shape
        if context.raise_invalid:
            missing = [name for name in shape.required if name not in self.fields]
            if missing:
                raise PartialValidationError(
                    f"{shape.model.__name__} at {format_path(json_path)} is "
                    f"complete without required field(s) {', '.join(sorted(missing))}",
                    ValidationError.from_exception_data(
                        shape.model.__name__,
                        [
                            {"type": "missing", "loc": (name,), "input": value}
                            for name in sorted(missing)
                        ],
                    ),
                    path=json_path,
                )
            if shape.extra == "forbid":
                unknown = [key for key in value if key not in shape.keys]
                if unknown:
                    raise PartialValidationError(
                        f"{shape.model.__name__} at {format_path(json_path)} has "
                        f"unknown field(s) {', '.join(unknown)}",
                        ValidationError.from_exception_data(
                            shape.model.__name__,
                            [
                                {
                                    "type": "extra_forbidden",
                                    "loc": (key,),
                                    "input": value[key],
                                }
                                for key in unknown
                            ],
                        ),
                        path=json_path,
                    )
        values, fields_set = shape.field_values(self.fields, complete=True)
        return self.instance(values, fields_set, self.extra, None)


class DictNode(ObjectNode):
    """An open ``dict[K, V]``: like a model with one shape for every value."""

    __slots__ = ()

    def __init__(self, key_shape: ValueShape | None, value_shape: ValueShape) -> None:
        super().__init__(dict, _key_router(key_shape, value_shape))

    def present(
        self, node: Node | None, shown: Any, context: ConversionContext, mark: int
    ) -> Any:
        if shown is HIDDEN:
            return self.closed_value(self.fields)
        self.shown = node
        return self.rebuild(shown)

    def at_root(self) -> None:
        """Emit ``PartialDict`` values (this is the top-level value)."""
        self.container_type = PartialDict

    def rebuild(self, child: Any) -> Any:
        out = self.container_type(self.fields)
        out[self.shown_part] = child
        return out

    def complete(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        return self.final_value(self.fields)


def _key_router(
    key_shape: ValueShape | None, value_shape: ValueShape
) -> Callable[[str, ConversionContext, Path], FieldSpec | None]:
    """A dict's ``route``: every key goes to ``value_shape``, once converted.

    A closure over the shapes, not a bound method: no reference cycle.
    """

    def route(
        key: str, context: ConversionContext, json_path: Path
    ) -> FieldSpec | None:
        if key_shape is None:  # plain str keys
            return FieldSpec(key, value_shape)
        converted = key_shape.closed(key, context, (*json_path, key))
        if converted is INVALID:
            return None
        return FieldSpec(converted, value_shape)

    return route


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
        "item_shape",
        "items",
        "n_converted",
        "open_index",
        "stopped",
    )

    def __init__(self, item_shape: ValueShape) -> None:
        super().__init__(list)
        self.item_shape = item_shape
        self.items: list[Any] = []  # converted closed elements; never handed out
        self.n_converted = 0  # JSON elements consumed
        self.stopped = False
        self.open_index = -1
        self.emitted: RecycledLists | None = None  # lists with an open element

    def _absorb(
        self,
        elements: list[Any],
        n_closed: int,
        context: ConversionContext,
        json_path: Path,
        py_path: Path,
    ) -> None:
        item_shape = self.item_shape
        items = self.items
        self.closed_cache = None
        for i in range(self.n_converted, n_closed):
            element = elements[i]
            node = None
            if i == self.open_index:
                node = self.open_node
                self.open_node = None
                self.open_index = -1
            child_py_path = (*py_path, i)
            if node is not None:
                converted = node.finish(
                    element, context, (*json_path, i), child_py_path
                )
            else:
                converted = item_shape.closed(element, context, (*json_path, i))
            if converted is INVALID:
                self.stopped = True
                return
            items.append(converted)
            context.changes.append(child_py_path)
        self.n_converted = n_closed

    def refresh(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        frame = context.frames[level]
        self.open_subpath = ()
        self.shown = None
        if self.stopped:
            return self.closed_value(self.items)
        count = frame.n_closed
        if count > self.n_converted:
            self._absorb(frame.items, count, context, frame.path, py_path)
            if self.stopped:
                return self.closed_value(self.items)
        node = self.open_node
        if node is None or self.open_index != count:
            # A new open element (the same one stays visible until it closes).
            kind = context.open_kind(level)
            if kind is None:
                return self.closed_value(self.items)
            node = self.item_shape.open(kind)
            self.open_index = count
            self.start_child(count, (*py_path, count), node)
        shown = node.update(level + 1, context, self.shown_py_path)
        if shown is HIDDEN:
            return self.closed_value(self.items)
        if not self.open_visible:
            self.open_visible = True
            context.changes.append(self.shown_py_path)
        self.open_subpath = self.subpath_through(node)
        self.shown = node
        return self.rebuild(shown)

    def at_root(self) -> None:
        """Emit ``PartialList`` values (this is the top-level value)."""
        self.container_type = PartialList

    def rebuild(self, child: Any) -> Any:
        emitted = self.emitted
        if emitted is None:
            emitted = self.emitted = RecycledLists(self.container_type)
        return emitted.emit(self.items, child)

    def finish(
        self, value: Any, context: ConversionContext, json_path: Path, py_path: Path
    ) -> Any:
        if not self.stopped:
            self._absorb(value, len(value), context, json_path, py_path)
        return self.final_value(self.items)


class ChoosingNode(ParentNode):
    """An object of a union whose arm is decided on the way; hidden until then."""

    __slots__ = ("chosen", "union")

    def __init__(self, union: UnionLayout) -> None:
        super().__init__()
        self.union = union
        self.chosen: Node | None = None

    def update(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        chosen = self.chosen
        if chosen is None:
            frame = context.frames[level]
            members = dict(frame.items[: frame.n_closed])
            open_key = frame.key if context.open_kind(level) is not None else None
            if open_key is not None:
                members[open_key] = None  # only its key counts while it is open
            arm = self.union.arm_for_open(members, open_key)
            if arm is None:
                self.shown = None
                return HIDDEN
            chosen = self.chosen = arm.open(dict)
        shown = chosen.update(level, context, py_path)
        self.open_subpath = chosen.open_subpath
        self.shown = chosen.shown
        return shown

    def rebuild(self, child: Any) -> Any:
        return self.chosen.rebuild(child)  # type: ignore[union-attr]  # shown => chosen

    def finish(
        self, value: Any, context: ConversionContext, json_path: Path, py_path: Path
    ) -> Any:
        if self.chosen is not None:
            return self.chosen.finish(value, context, json_path, py_path)
        return self.union.closed(value, context.quiet, json_path)
