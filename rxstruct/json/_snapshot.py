"""Snapshots: what the decoder knows after one chunk, built lazily."""

from __future__ import annotations

from typing import Any, Final, NamedTuple, TypeAlias

from ._paths import Path, format_path

__all__ = [
    "ARRAY",
    "OBJECT",
    "Completed",
    "JsonSnapshot",
    "JsonValue",
    "OpenContainer",
    "StringParts",
]

JsonValue: TypeAlias = (
    dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
)
"""A decoded JSON value (what ``json.loads`` returns)."""

Completed: TypeAlias = tuple[Path, Any]
"""A value that closed: ``(path, value)``."""

OBJECT: Final = dict
"""The :attr:`OpenContainer.kind` of an open object."""
ARRAY: Final = list
"""The :attr:`OpenContainer.kind` of an open array."""

_MISSING: Final[Any] = object()
_new: Final = object.__new__


class OpenContainer(NamedTuple):
    """One object or array still open in a :class:`JsonSnapshot`.

    What :attr:`JsonSnapshot.open_containers` lists, outermost first: enough to
    follow the value being written without building the partial
    :attr:`~JsonSnapshot.value`, so reading it costs O(depth), not O(width).

    ``items`` is the decoder's own list of the container's closed children,
    shared by every snapshot of the stream and only ever appended to: only
    ``items[:n_closed]`` belong to this snapshot, and it must not be modified.
    The children are complete values, shared by reference (the same object in
    every later snapshot and in the final value).

    Attributes:
        kind: ``dict`` for an object, ``list`` for an array.
        items: Arrays: the closed elements. Objects: ``(key, value)`` pairs of
            the closed members, in text order (a repeated key appears twice;
            the last one wins, as in ``json.loads``).
        n_closed: How many of ``items`` this snapshot shows.
        key: Objects: the key of the member being read, once the key is
            complete (None between members). Arrays: None.
        path: Path of the container from the root.

    The open child, if visible, sits at ``key`` (objects) or index ``n_closed``
    (arrays): it is the next open container, or (below the last one) the
    :attr:`~JsonSnapshot.open_string`. A number or literal being read is not
    visible.
    """

    kind: type
    items: list[Any]
    n_closed: int
    key: str | None
    path: Path


class StringParts:
    """The pieces of the string being written, shared by the snapshots showing it.

    The decoder only appends to :attr:`parts`. Reading the text of the newest
    snapshot extends a cached join with the pieces added since the previous
    read, so following a long string costs one copy per read instead of a
    join over every piece received.
    """

    __slots__ = ("_joined", "_joined_count", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._joined = ""
        self._joined_count = 0

    def text(self, count: int) -> str:
        """The string made of the first ``count`` pieces."""
        done = self._joined_count
        if count == done:
            return self._joined
        parts = self.parts
        if count < done:  # an older snapshot read late
            return "".join(parts[:count])
        added = parts[done] if count == done + 1 else "".join(parts[done:count])
        text = self._joined + added if done else added
        self._joined = text
        self._joined_count = count
        return text


class JsonSnapshot:
    """The state of a JSON stream after one chunk.

    A snapshot is immutable: the value it shows never changes afterwards, even
    as the decoder goes on. Taking one costs O(depth of the open path); the
    :attr:`value` is built on first access and shares every completed
    sub-value with the snapshots before and after it.

    Attributes:
        chunk: The text delta this snapshot follows ("" for the closing one).
        index: 0-based number of this snapshot in its stream.
        done: True only on the snapshot of a completed stream (after ``close``).
        completed: ``(path, value)`` of every value that closed in this chunk,
            innermost first, in text order: strings, numbers, literals,
            objects and arrays. The root appears when the whole value closes.
        changed: The deepest paths whose visible value changed in this chunk
            (appeared, grew, or completed); their ancestors changed too.
        open_path: Path of the deepest value still being written, or None when
            the top-level value is complete or has not started.
        has_value: True once any part of the top-level value is visible.
        open_containers: The objects and arrays still open, outermost first.
            Empty when the top-level value is complete, not started, or an
            open string. Use it (with :attr:`open_string`) to follow the value
            being written without building :attr:`value`, which copies every
            open container.

    The attributes are plain slots for speed (the builder reads them once per
    chunk); treat them as read-only.

    Example:
        >>> from rxstruct.json import PartialJsonDecoder
        >>> snap = PartialJsonDecoder().feed('{"tags": ["a", "b"], "n')
        >>> snap.value, snap.open_path
        ({'tags': ['a', 'b']}, ())
        >>> snap.is_complete(("tags",)), snap.is_complete(())
        (True, False)
    """

    __slots__ = (
        "_cache",
        "_chunks",
        "_leaf",
        "_n_chunks",
        "_root",
        "_trailing_start",
        "changed",
        "chunk",
        "completed",
        "done",
        "has_value",
        "index",
        "open_containers",
        "open_path",
    )

    chunk: str
    index: int
    done: bool
    completed: tuple[Completed, ...]
    changed: tuple[Path, ...]
    open_path: Path | None
    _chunks: list[str]
    _n_chunks: int
    open_containers: tuple[OpenContainer, ...]
    _leaf: tuple[StringParts, int] | None
    _root: Any
    has_value: bool
    _trailing_start: int
    _cache: Any

    @staticmethod
    def create(
        chunk: str,
        index: int,
        done: bool,
        chunks: list[str],
        n_chunks: int,
        frames: tuple[OpenContainer, ...],
        leaf: tuple[StringParts, int] | None,
        root: Any,
        has_root: bool,
        completed: tuple[Completed, ...],
        changed: tuple[Path, ...],
        open_path: Path | None,
        trailing_start: int,
    ) -> JsonSnapshot:
        """Make a snapshot: how a decoder builds one.

        Name the arguments (as the example does) anywhere but in a decoder's
        per-chunk path, which may pass them in this order. A plain function
        rather than ``__init__``: calling a class costs more, and a decoder
        makes one snapshot per chunk.

        Args:
            chunk: The text delta the snapshot follows ("" for the closing one).
            index: 0-based number of the snapshot in its stream.
            done: The stream completed (``close()``).
            chunks: The decoder's list of every chunk received (append-only).
            n_chunks: How many of ``chunks`` this snapshot has seen.
            frames: The open containers, outermost first.
            leaf: The open string: its shared pieces and how many are shown.
            root: The top-level value once complete (else None).
            has_root: Any part of the top-level value is visible.
            completed: ``(path, value)`` of the values closed in this chunk.
            changed: The deepest paths whose visible value changed.
            open_path: Path of the deepest value being written, or None.
            trailing_start: Offset of the text after the complete value (-1).

        Example:
            >>> snap = JsonSnapshot.create(
            ...     chunk="1", index=0, done=True, chunks=["1"], n_chunks=1,
            ...     frames=(), leaf=None, root=1, has_root=True,
            ...     completed=(((), 1),), changed=((),), open_path=None,
            ...     trailing_start=-1,
            ... )
            >>> snap.value, snap.complete
            (1, True)
        """
        self = _new(JsonSnapshot)
        self.chunk = chunk
        self.index = index
        self.done = done
        self.completed = completed
        self.changed = changed
        self.open_path = open_path
        self._chunks = chunks
        self._n_chunks = n_chunks
        self.open_containers = frames
        self._leaf = leaf
        self._root = root
        self.has_value = has_root
        self._trailing_start = trailing_start
        self._cache = _MISSING
        return self

    # -- value -------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """True when the top-level value is complete (its last token arrived)."""
        return self.open_path is None and self.has_value

    def open_value(self, level: int) -> Any:
        """The partial value of ``open_containers[level]`` (with all it holds).

        ``level == len(open_containers)`` asks for the open string (None when
        there is none). Copies the open containers from ``level`` down
        (O(their width)); the closed children are shared.

        Example:
            >>> from rxstruct.json import PartialJsonDecoder
            >>> snap = PartialJsonDecoder().feed('{"a": [1, {"b": "x')
            >>> snap.open_value(1), snap.open_value(3)
            ([1, {'b': 'x'}], 'x')
        """
        leaf = self.open_string
        frames = self.open_containers
        if level >= len(frames):
            return leaf
        return _build_open(frames, level, _MISSING if leaf is None else leaf)

    @property
    def open_string(self) -> str | None:
        """The visible text of the string being written, or None.

        Set when the deepest open value is a string (not a key) and
        ``partial_strings`` is on: the child of the last of
        :attr:`open_containers`, or the top-level value when there is none.
        """
        leaf = self._leaf
        if leaf is None:
            return None
        parts, count = leaf
        return parts.text(count)

    @property
    def value(self) -> Any:
        """The partial value: complete parts plus what is written of open ones.

        None until anything is visible (see :attr:`has_value`).
        """
        cached = self._cache
        if cached is not _MISSING:
            return cached
        value = self._build()
        self._cache = value
        return value

    def _build(self) -> Any:
        if not self.open_containers:
            if self._leaf is not None:
                parts, count = self._leaf
                return parts.text(count)
            return self._root
        return self.open_value(0)

    # -- text ------------------------------------------------------------------

    @property
    def text(self) -> str:
        """All text received up to and including this chunk."""
        return "".join(self._chunks[: self._n_chunks])

    @property
    def trailing(self) -> str:
        """Text after the complete top-level value (a closing fence, prose)."""
        if self._trailing_start < 0:
            return ""
        return self.text[self._trailing_start :]

    # -- completion ----------------------------------------------------------

    def is_complete(self, path: Path = ()) -> bool:
        """True when the value at ``path`` exists and is complete.

        Args:
            path: Keys and indices from the root, e.g. ``("recipes", 0)``.
        """
        if not self.has_value:
            return False
        open_path = self.open_path
        if open_path is not None and open_path[: len(path)] == path:
            return False
        return _lookup(self, path) is not _MISSING

    def get(self, path: Path, default: Any = None) -> Any:
        """The partial value at ``path``, or ``default`` when not visible yet."""
        found = _lookup(self, path)
        return default if found is _MISSING else found

    def __repr__(self) -> str:
        state = "done" if self.done else ("complete" if self.complete else "partial")
        where = (
            "" if self.open_path is None else f" open at {format_path(self.open_path)}"
        )
        return f"<JsonSnapshot #{self.index} {state}{where}: {self.value!r}>"


def _build_open(frames: tuple[OpenContainer, ...], level: int, leaf: Any) -> Any:
    """The partial value of ``frames[level]`` (``leaf``: its open string or absent).

    Copies each open container from ``level`` down (O(their width)).
    """
    child: Any = leaf
    for kind, items, count, key, _path in reversed(frames[level:]):
        if kind is ARRAY:
            node: Any = items[:count]
            if child is not _MISSING:
                node.append(child)
        else:
            node = dict(items[:count]) if count else {}
            if child is not _MISSING:
                node[key] = child
        child = node
    return child


def _lookup(snapshot: JsonSnapshot, path: Path) -> Any:
    """Find ``path`` walking only the open frames, not building the whole value."""
    if not snapshot.has_value:
        return _MISSING
    frames = snapshot.open_containers
    if not frames:
        return _walk(snapshot.value, path)
    for level, (kind, items, count, _key, _frame_path) in enumerate(frames):
        if level == len(path):
            return _walk(snapshot.value, path)  # an open container
        part = path[level]
        if level + 1 < len(frames):
            open_part: Any = frames[level + 1][4][-1]
        elif snapshot._leaf is not None and snapshot.open_path:
            open_part = snapshot.open_path[-1]
        else:
            open_part = _MISSING
        if part == open_part and type(part) is type(open_part):
            if level + 1 < len(frames):
                continue
            return _walk(snapshot.value, path)  # the open string
        return _walk(_closed_child(kind, items, count, part), path[level + 1 :])
    return _walk(snapshot.value, path)


def _walk(node: Any, path: Path) -> Any:
    for part in path:
        if node is _MISSING:
            return node
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part, _MISSING)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return _MISSING
    return node


def _closed_child(kind: type, items: list[Any], count: int, part: str | int) -> Any:
    if kind is ARRAY:
        if isinstance(part, int) and 0 <= part < count:
            return items[part]
        return _MISSING
    if not isinstance(part, str):
        return _MISSING
    found: Any = _MISSING
    for k in range(count):
        member_key, member_value = items[k]
        if member_key == part:
            found = member_value
    return found
