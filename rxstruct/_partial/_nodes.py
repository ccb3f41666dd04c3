"""Nodes: the per-subscription state of the values still being written.

A node follows one open value of the snapshots. It keeps what it already
converted and, on each snapshot, ``update()`` converts only what closed since
the previous one and recurses into the one open child. Nodes read the
snapshot's ``open_containers`` (the decoder's append-only children lists and
counts), never its ``value``, which would copy every open container. The work
per snapshot is therefore proportional to the open path, never to the
document: a completed sub-object is converted exactly once and the same partial
instance is reused by every later emission.

This module holds the node interfaces and the leaf nodes; the nodes of objects,
lists and union objects are in ``_containers``. Shapes (``_shapes``, compiled
once per type) create nodes; nodes never import the shapes module: what a node
needs from its shape is written as small protocols (:class:`ValueShape` here,
``ModelLayout`` and ``UnionLayout`` in ``_containers``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from pydantic import ValidationError

from ..json import OpenContainer, Path
from ._base import PartialDict, PartialList
from ._context import HIDDEN, ConversionContext

__all__ = [
    "AnyNode",
    "ContainerNode",
    "FieldSpec",
    "HoldNode",
    "Node",
    "ParentNode",
    "StrNode",
    "ValueShape",
]


# --- what nodes need from shapes ---------------------------------------------


class ValueShape(Protocol):
    """How one type converts (implemented by every shape)."""

    def open(self, kind: type) -> Node:
        """A node for an open value of JSON kind ``kind`` (dict, list or str)."""
        ...

    def closed(self, value: Any, context: ConversionContext, json_path: Path) -> Any:
        """Convert a complete JSON value; ``INVALID`` when it does not fit."""
        ...

    def explain(self, value: Any) -> ValidationError:
        """A pydantic error saying why ``value`` does not fit."""
        ...


class FieldSpec(NamedTuple):
    """Where an object's member goes: a model field, an extra, or a dict key.

    Attributes:
        name: The Python name of the field (or the dict key, converted).
        shape: How its value converts.
        extra: An extra of an ``extra="allow"`` model (kept apart).
        priority: For a field with several JSON keys (alias choices, then
            the name under ``populate_by_name``), the rank of this key:
            pydantic takes the first one present, so a value from a higher
            rank is never replaced by one from a lower rank. -1: the only key.
    """

    name: Any
    shape: ValueShape
    extra: bool = False
    priority: int = -1


# --- nodes ---------------------------------------------------------------------


class Node(ABC):
    """The conversion state of one open value.

    A node follows one open value of the snapshots, at a fixed *level*: the
    object or array ``context.frames[level]``, or (level ``context.depth``) the
    open string. It reads only the closed children that are new since its
    last update and recurses into the one open child, so an update costs
    O(depth + new children), whatever the width of the containers.

    Attributes:
        open_subpath: After ``update``: the Python path, relative to this
            value, of its deepest visible open descendant (``()``: this value
            itself).
        shown: After ``update``: the open child whose value the returned value
            holds, or None (always None for a leaf; see :class:`ParentNode`).
    """

    __slots__ = ("open_subpath", "shown")

    def __init__(self) -> None:
        self.open_subpath: Path = ()
        self.shown: Node | None = None

    @abstractmethod
    def update(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        """The partial value for the open value at ``level``, or ``HIDDEN``.

        Args:
            level: Where the value is in the snapshot (see the class).
            context: The snapshot context.
            py_path: Python path of this value (for the change log).
        """

    @abstractmethod
    def finish(
        self, value: Any, context: ConversionContext, json_path: Path, py_path: Path
    ) -> Any:
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
        open_node: The node of the open child, if one started.
        open_visible: That child has been shown (it stays shown until it
            closes).
        shown_part: The key or index (Python path part) of the open child.
        shown_py_path: The Python path of the open child.
        container_type: What an emitted value is made with: ``list`` /
            ``dict``, or ``PartialList`` / ``PartialDict`` at the root.
        closed_cache: What was built from the closed children (the emitted
            list or dict; a model's instance values); None once one closes.
    """

    __slots__ = (
        "child_subpath",
        "closed_cache",
        "container_type",
        "frame",
        "open_node",
        "open_visible",
        "own_subpath",
        "shown_part",
        "shown_py_path",
    )

    def __init__(self, container_type: Callable[[Any], Any]) -> None:
        super().__init__()
        self.container_type = container_type
        self.frame: OpenContainer | None = None
        self.closed_cache: Any = None
        self.open_node: Node | None = None
        self.open_visible = False
        self.shown_part: Any = ""
        self.shown_py_path: Path = ()
        self.child_subpath: Path | None = None  # the open child's open_subpath...
        self.own_subpath: Path = ()  # ... and this node's open_subpath made of it

    def update(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        frame = context.frames[level]
        child = self.shown
        if child is not None and frame is self.frame:
            value = child.update(level + 1, context, self.shown_py_path)
            if value is not HIDDEN:  # a shown child stays shown until it closes
                below = child.open_subpath  # subpath_through(child), inline
                if below is not self.child_subpath:
                    self.child_subpath = below
                    self.own_subpath = (self.shown_part, *below)
                self.open_subpath = self.own_subpath
                return self.rebuild(value)
        self.frame = frame
        return self.refresh(level, context, py_path)

    @abstractmethod
    def refresh(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        """The full :meth:`update`: new children, a new open child, visibility."""

    def closed_value(self, converted: Any) -> Any:
        """The converted closed children as an emitted container.

        Shared by the emissions while no child closes (``closed_cache``), but
        at the root, where each emission is a container of its own.
        """
        container_type = self.container_type
        if container_type is list or container_type is dict:
            out = self.closed_cache
            if out is None:
                out = self.closed_cache = container_type(converted)
            return out
        return container_type(converted)

    def final_value(self, converted: Any) -> Any:
        """The converted children as the value of the complete container."""
        container_type = self.container_type
        if container_type is list or container_type is dict:
            return converted  # never handed out, and this node is done
        return container_type(converted)

    def start_child(self, part: Any, py_path: Path, node: Node) -> None:
        """Record that a new open child ``node`` starts at ``part``."""
        self.open_node = node
        self.shown_part = part
        self.shown_py_path = py_path
        self.child_subpath = None
        self.open_visible = False

    def subpath_through(self, child: Node) -> Path:
        """This node's ``open_subpath`` when ``child`` is the open child shown.

        (Inlined in :meth:`update`, which runs once per chunk and level.)
        """
        below = child.open_subpath
        if below is not self.child_subpath:
            self.child_subpath = below
            self.own_subpath = (self.shown_part, *below)
        return self.own_subpath


class HoldNode(Node):
    """Hidden while open; converted once complete."""

    __slots__ = ("shape",)

    def __init__(self, shape: ValueShape) -> None:
        super().__init__()
        self.shape = shape

    def update(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        return HIDDEN

    def finish(
        self, value: Any, context: ConversionContext, json_path: Path, py_path: Path
    ) -> Any:
        return self.shape.closed(value, context, json_path)


class StrNode(HoldNode):
    """A growing string."""

    __slots__ = ("length", "py_path")

    def __init__(self, shape: ValueShape) -> None:
        super().__init__(shape)
        self.length = -1
        self.py_path: Path = ()  # the Python path of the last update

    def update(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        value: Any = context.leaf
        self.py_path = py_path
        if len(value) != self.length:
            self.length = len(value)
            context.changes.append(py_path)
        return value


class AnyNode(Node):
    """A raw value (``Any``, extras): the decoder's partial value as is.

    The one node that builds its open value, copying the open containers
    below it (O(their width) per update). At the root it shows a
    ``PartialDict`` / ``PartialList``, as it does once the value is complete.
    """

    __slots__ = ("root",)

    def __init__(self) -> None:
        super().__init__()
        self.root = False

    def update(self, level: int, context: ConversionContext, py_path: Path) -> Any:
        json_path = context.json_path(level)
        snapshot: Any = context.snapshot
        if not context.contiguous:  # after a gap: changes unknown, assume some
            context.changes.append(py_path)
        else:
            depth = len(json_path)
            for changed in snapshot.changed:
                if changed[:depth] == json_path:
                    context.changes.append(py_path)
                    break
        self.open_subpath = context.open_path[len(json_path) :]
        raw = snapshot.open_value(level)
        if self.root:
            if type(raw) is dict:
                return PartialDict(raw)
            if type(raw) is list:
                return PartialList(raw)
        return raw

    def finish(
        self, value: Any, context: ConversionContext, json_path: Path, py_path: Path
    ) -> Any:
        return value
