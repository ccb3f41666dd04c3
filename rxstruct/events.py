"""The events rxstruct operators emit, for code that reacts to them.

Each event is a frozen, keyword-only dataclass with a ``kind`` discriminator,
so streams that mix event types can be told apart with a ``match`` or a
``kind`` check. They are re-exported by :mod:`rxstruct`.

This module imports nothing from rxstruct but the JSON path type: the operator
implementations import it, so it sits low in the import graph although users
see it as part of the public face.

Example:
    >>> import reactivex as rx
    >>> import rxstruct as rs
    >>> from rxstruct.events import FieldCompleted, ListItem
    >>> chunks = rx.of('{"menu": ["taco", "so', 'up"]}')
    >>> events = chunks.pipe(rs.accumulate_json(), rs.completed_fields()).run()
    >>> isinstance(events, FieldCompleted), events.path, events.kind
    (True, ('menu',), 'field_completed')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from .json import Path

__all__ = ["FieldCompleted", "ListItem"]

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldCompleted:
    """A value in the document became final: its last character arrived.

    Emitted by :func:`rxstruct.completed_fields`.

    Example:
        >>> FieldCompleted(path=("title",), value="Pasta")
        FieldCompleted(path=('title',), value='Pasta', kind='field_completed')
    """

    path: Path
    """Where the value sits, e.g. ``("title",)`` or ``("recipes", 0, "name")``."""

    value: Any
    """The complete JSON value (not validated). It is shared with the
    snapshots: treat it as read-only."""

    kind: Literal["field_completed"] = "field_completed"
    """Discriminator, for streams that mix event types."""


# Not slots=True: on Python 3.11 a frozen, slotted, generic dataclass cannot be
# built through its alias (``ListItem[int](...)`` raises TypeError).
@dataclass(frozen=True, kw_only=True)
class ListItem(Generic[_T]):
    """One complete, validated element of a streamed list.

    Emitted by :func:`rxstruct.new_list_items`.

    Example:
        >>> ListItem(index=2, value="soup", path=("menu", 2))
        ListItem(index=2, value='soup', path=('menu', 2), indices=(), kind='list_item')
    """

    index: int
    """Position of the element in its list (0-based)."""

    value: _T
    """The element, validated as the item type given to ``new_list_items``."""

    path: Path
    """Full path of the element from the root, e.g. ``("recipes", 2)``."""

    indices: tuple[int, ...] = ()
    """The list indices matched by the ``[*]`` wildcards of the list path,
    outermost first: for ``"sections[*].paragraphs"``, the element at
    ``("sections", 1, "paragraphs", 4)`` has ``indices == (1,)`` and
    ``index == 4``. Empty when the list path has no wildcard."""

    kind: Literal["list_item"] = "list_item"
    """Discriminator, for streams that mix event types."""
