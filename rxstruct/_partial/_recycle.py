"""Emitted lists that are reused once nothing else holds them.

Every emission of ``to_partial`` shows an open list as a real ``list`` that
never changes afterwards. Copying the converted elements for each emission
costs O(width): at 1 MB, a 4,500-element list is copied on every token. Yet a
UI keeps only the latest partial: by the time the next one is built, the list
of the one before it is referenced by nothing but this pool. Such a list can be
brought up to date in place (the elements closed since, then the open one),
which costs O(1) per emission; a list anyone still holds (a UI's current
partial, a ``to_list()``, a ``debounce`` waiting to emit it) is never touched,
and a new copy is made instead.

"Nothing else holds it" is read from CPython's reference count. Elsewhere the
pool never reuses a list.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final

__all__ = ["RecycledLists"]

_POOL: Final = 3  # the latest emission, one held by a debounce, one spare
_RECYCLE_FROM: Final = 64  # shorter lists are copied: cheaper than the checks
_getrefcount: Final[Callable[[Any], int]] = getattr(sys, "getrefcount", lambda _: -1)


def _references(lists: list[list[Any]], i: int) -> int:
    """The reference count of ``lists[i]``, measured as ``emit`` measures it."""
    return _getrefcount(lists[i])  # the same expression as in emit


# The count of a list referenced by the pool alone, measured the way the pool
# measures (the argument of getrefcount is one more reference on some versions,
# not on others). 0 disables reuse where reference counts are not exact.
_ALONE: Final = _references([[]], 0) if sys.implementation.name == "cpython" else 0


class RecycledLists:
    """The emitted lists of one open list: reused when unreferenced, else new.

    Args:
        make: Builds a new emitted list from the closed elements (``list``,
            or the root's ``PartialList``).

    Lists shorter than 64 elements are simply copied: for them a copy costs
    less than finding a free list.

    Example:
        >>> pool = RecycledLists(list)
        >>> items = list(range(100))
        >>> first = pool.emit(items, "open")
        >>> items.append(100)
        >>> second = pool.emit(items, "open")  # first is still held: a new list
        >>> second is first
        False
        >>> kept = id(first)
        >>> del first  # nothing holds that list any more
        >>> items.append(101)
        >>> third = pool.emit(items, "open")
        >>> id(third) == kept, third[-3:], second[-3:]
        (True, [100, 101, 'open'], [99, 100, 'open'])
    """

    __slots__ = ("_lists", "_make", "_next")

    def __init__(self, make: Callable[[list[Any]], list[Any]]) -> None:
        self._make = make
        self._lists: list[list[Any]] = []
        self._next = 0  # the list to replace when all are held

    def emit(self, items: list[Any], child: Any) -> list[Any]:
        """A list of ``items`` followed by ``child``, not referenced elsewhere.

        ``items`` must only ever grow between calls (the closed elements).
        """
        if len(items) < _RECYCLE_FROM:
            out = self._make(items)
            out.append(child)
            return out
        lists = self._lists
        for i in range(len(lists)):
            if _getrefcount(lists[i]) == _ALONE:  # as _references measures
                out = lists[i]
                shown = len(out) - 1  # closed elements it shows, then the open one
                out[shown:] = items[shown:]
                out.append(child)
                return out
        out = self._make(items)
        out.append(child)
        if len(lists) < _POOL:
            lists.append(out)
        else:
            lists[self._next] = out
            self._next = (self._next + 1) % _POOL
        return out
