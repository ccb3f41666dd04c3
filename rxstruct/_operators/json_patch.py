"""to_json_patch: snapshots -> JSON-Patch operations; apply_patch for clients.

The writer mirrors what a client holds: for each container still open on the
client, its decoder list of closed children (the same list object as the
snapshot's :class:`~rxstruct.json.OpenContainer` ``items``, so identity tells
one container from the next), how many of them were sent, and the open child
that was sent while growing (a container or a string, with how much of it).
A snapshot is compared with that mirror along the open path only: the work is
O(depth) plus the size of what changed, never the size of the document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal, TypedDict

from reactivex import Observable, abc
from reactivex.disposable import Disposable

from ..exceptions import UsageError
from ..json import JsonSnapshot, OpenContainer, Path

__all__ = ["PatchOperation", "apply_patch", "to_json_patch_"]


class PatchOperation(TypedDict):
    """One JSON-Patch operation, as :func:`~rxstruct.to_json_patch` emits it.

    A plain ``dict`` with three keys, ready for ``json.dumps``:

    - ``op``: ``"add"`` (RFC 6902: set an object member, append to an array
      when the index is the array's length, or replace the whole document
      when ``path`` is ``""``), ``"replace"`` (RFC 6902; only with
      ``string_append=False``) or ``"append"``: the one extension, which
      concatenates ``value`` (a string) to the string at ``path``.
    - ``path``: an RFC 6901 JSON Pointer such as ``"/ideas/0/title"``.
    - ``value``: the JSON value (shared with the snapshots: read-only).

    Example:
        >>> op: PatchOperation = {"op": "append", "path": "/title", "value": "lo"}
        >>> apply_patch({"title": "Hel"}, [op])
        {'title': 'Hello'}
    """

    op: Literal["add", "replace", "append"]
    path: str
    value: Any


_ARRAY: Final = list


def _pointer(parent: str, part: str | int) -> str:
    """The JSON Pointer of ``part`` below ``parent`` (RFC 6901 escaping)."""
    if type(part) is int:
        return f"{parent}/{part}"
    text = str(part)
    if "~" in text or "/" in text:
        text = text.replace("~", "~0").replace("/", "~1")
    return f"{parent}/{text}"


class _Text:
    """A string the client holds while it grows: where, and how much of it."""

    __slots__ = ("path", "pointer", "sent")

    def __init__(self, path: Path, pointer: str, sent: int) -> None:
        self.path = path
        self.pointer = pointer
        self.sent = sent


class _Level:
    """A container open on the client."""

    __slots__ = ("child", "items", "kind", "pointer", "sent")

    def __init__(self, frame: OpenContainer, pointer: str) -> None:
        self.kind = frame.kind
        self.items = frame.items  # the decoder's list: identity names the container
        self.pointer = pointer
        self.sent = frame.n_closed  # closed children the client has
        self.child: _Level | _Text | None = None  # the open child it has


class _PatchWriter:
    """Per subscription: the client's open path, and the ops to reach a snapshot."""

    __slots__ = ("_append", "_done", "_last_index", "_stack", "_started", "_text")

    def __init__(self, string_append: bool) -> None:
        self._append = string_append
        self._started = False  # the client has a root value
        self._done = False  # ... and it is complete
        self._stack: list[_Level] = []  # the open containers, outermost first
        self._text: _Text | None = None  # the deepest open string, if any
        self._last_index = -2

    def ops(self, snap: JsonSnapshot) -> list[PatchOperation]:
        contiguous = snap.index == self._last_index + 1
        if snap.index <= self._last_index:
            # A new decoder's snapshots (a retry): the client starts over.
            self._started = self._done = False
            self._stack = []
            self._text = None
        self._last_index = snap.index
        if self._done or not snap.has_value:
            return []
        text = self._text
        if contiguous and not snap.completed:
            changed = snap.changed
            if not changed:
                return []
            if text is not None and len(changed) == 1 and changed[0] == text.path:
                # The common chunk: the open string grew, nothing else moved.
                ops: list[PatchOperation] = []
                self._grow(text, snap.open_string or "", ops)
                return ops
        ops = []
        if not self._started:
            self._start(snap, ops)
            return ops
        frames = snap.open_containers
        stack = self._stack
        depth = 0
        shared = min(len(stack), len(frames))
        while depth < shared and stack[depth].items is frames[depth].items:
            depth += 1
        if depth == 0:
            if not stack:  # the root is a string
                assert text is not None  # a complete root would be _done
                if snap.complete:
                    self._grow(text, snap.value, ops)
                    self._text = None
                    self._done = True
                else:
                    self._grow(text, snap.open_string or "", ops)
                return ops
            # The root container closed.
            self._finish(stack[0], ops)
            self._stack = []
            self._text = None
            self._done = True
            return ops
        level = stack[depth - 1]
        frame = frames[depth - 1]
        del stack[depth:]
        closed = frame.n_closed
        child = level.child
        if child is not None and closed > level.sent:
            # The child the client saw growing is complete: send the rest of it.
            if isinstance(child, _Level):
                self._finish(child, ops)
            else:
                self._grow(child, _closed_value(level, level.sent), ops)
            level.child = child = None
            level.sent += 1
        self._add_closed(level, closed, ops)
        if depth < len(frames):
            # A new container opened below this one.
            self._add_open(level, frames, depth, snap, ops)
        elif child is not None:
            assert isinstance(child, _Text)  # an open container child matched above
            self._grow(child, snap.open_string or "", ops)
        else:
            leaf = snap.open_string
            if leaf is not None:
                path = snap.open_path or ()
                pointer = _pointer(level.pointer, path[-1])
                ops.append({"op": "add", "path": pointer, "value": leaf})
                level.child = _Text(path, pointer, len(leaf))
        last = stack[-1].child
        self._text = last if isinstance(last, _Text) else None
        return ops

    # -- pieces --------------------------------------------------------------

    def _start(self, snap: JsonSnapshot, ops: list[PatchOperation]) -> None:
        """The first visible value: the whole document, in one ``add``."""
        self._started = True
        ops.append({"op": "add", "path": "", "value": snap.value})
        frames = snap.open_containers
        leaf = snap.open_string
        if not frames:
            if leaf is not None:
                self._text = _Text((), "", len(leaf))
            else:
                self._done = True
            return
        self._track(frames, 0, "", snap)

    def _track(
        self,
        frames: tuple[OpenContainer, ...],
        start: int,
        pointer: str,
        snap: JsonSnapshot,
    ) -> None:
        """Mirror the open ``frames[start:]``, just sent (the first at ``pointer``)."""
        stack = self._stack
        parent = stack[-1] if stack else None
        for frame in frames[start:]:
            if parent is not None:
                pointer = _pointer(parent.pointer, frame.path[-1])
            level = _Level(frame, pointer)
            if parent is not None:
                parent.child = level
            stack.append(level)
            parent = level
        leaf = snap.open_string
        if leaf is not None and parent is not None:
            path = snap.open_path or ()
            text = _Text(path, _pointer(parent.pointer, path[-1]), len(leaf))
            parent.child = self._text = text

    def _add_open(
        self,
        level: _Level,
        frames: tuple[OpenContainer, ...],
        depth: int,
        snap: JsonSnapshot,
        ops: list[PatchOperation],
    ) -> None:
        value = _open_value(frames, depth, snap.open_string)
        pointer = _pointer(level.pointer, frames[depth].path[-1])
        ops.append({"op": "add", "path": pointer, "value": value})
        self._track(frames, depth, pointer, snap)

    def _add_closed(
        self, level: _Level, closed: int, ops: list[PatchOperation]
    ) -> None:
        """Send the children of ``level`` that closed unseen: ``items[sent:closed]``."""
        items = level.items
        pointer = level.pointer
        if level.kind is _ARRAY:
            for index in range(level.sent, closed):
                ops.append(
                    {"op": "add", "path": f"{pointer}/{index}", "value": items[index]}
                )
        else:
            for index in range(level.sent, closed):
                key, value = items[index]
                ops.append(
                    {"op": "add", "path": _pointer(pointer, key), "value": value}
                )
        level.sent = closed

    def _finish(self, level: _Level, ops: list[PatchOperation]) -> None:
        """``level`` closed: send what the client lacks of it (its list is whole)."""
        child = level.child
        if child is not None:
            if isinstance(child, _Level):
                self._finish(child, ops)
            else:
                self._grow(child, _closed_value(level, level.sent), ops)
            level.child = None
            level.sent += 1
        self._add_closed(level, len(level.items), ops)

    def _grow(self, text: _Text, value: str, ops: list[PatchOperation]) -> None:
        """Bring the client's string at ``text`` to ``value``."""
        if len(value) == text.sent:
            return
        if self._append:
            ops.append(
                {"op": "append", "path": text.pointer, "value": value[text.sent :]}
            )
        else:
            ops.append({"op": "replace", "path": text.pointer, "value": value})
        text.sent = len(value)


def _open_value(frames: tuple[OpenContainer, ...], start: int, leaf: str | None) -> Any:
    """The partial value of ``frames[start]``: fresh containers down the open path."""
    child: Any = leaf
    for frame in reversed(frames[start:]):
        count = frame.n_closed
        if frame.kind is _ARRAY:
            node: Any = frame.items[:count]
            if child is not None:
                node.append(child)
        else:
            node = dict(frame.items[:count]) if count else {}
            if child is not None:
                node[frame.key] = child
        child = node
    return child


def _closed_value(level: _Level, index: int) -> Any:
    item = level.items[index]
    return item if level.kind is _ARRAY else item[1]


def to_json_patch_(
    string_append: bool,
) -> Callable[[Observable[JsonSnapshot]], Observable[list[PatchOperation]]]:
    if not isinstance(string_append, bool):
        raise UsageError(f"string_append must be True or False, got {string_append!r}")

    def operator(source: Observable[JsonSnapshot]) -> Observable[list[PatchOperation]]:
        def subscribe(
            observer: abc.ObserverBase[list[PatchOperation]],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            writer = _PatchWriter(string_append)
            failed = False

            def on_next(snap: JsonSnapshot) -> None:
                nonlocal failed
                if failed:
                    return
                if not isinstance(snap, JsonSnapshot):
                    failed = True
                    observer.on_error(
                        UsageError(
                            "to_json_patch() takes the JsonSnapshots of "
                            f"accumulate_json(), got {type(snap).__name__}: "
                            "put accumulate_json() before it"
                        )
                    )
                    return
                observer.on_next(writer.ops(snap))

            def on_error(error: Exception) -> None:
                if not failed:
                    observer.on_error(error)

            def on_completed() -> None:
                if not failed:
                    observer.on_completed()

            subscription = source.subscribe(
                on_next, on_error, on_completed, scheduler=scheduler
            )
            return subscription or Disposable()

        return Observable(subscribe)

    return operator


# --- applying -----------------------------------------------------------------


def _parse_pointer(pointer: str, where: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise UsageError(f"{where}: a JSON Pointer starts with '/', got {pointer!r}")
    return [
        part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")
    ]


def _index(part: str, size: int, allow_end: bool, where: str) -> int:
    if part == "-" and allow_end:
        return size
    if not part.isdigit() or (len(part) > 1 and part[0] == "0"):
        raise UsageError(f"{where}: {part!r} is not an array index")
    index = int(part)
    if index > size or (index == size and not allow_end):
        raise UsageError(f"{where}: index {index} is out of range (length {size})")
    return index


def _child(node: Any, part: str, where: str) -> Any:
    if isinstance(node, dict):
        if part not in node:
            raise UsageError(f"{where}: no member {part!r}")
        return node[part]
    if isinstance(node, list):
        return node[_index(part, len(node), False, where)]
    raise UsageError(f"{where}: cannot look up {part!r} in {type(node).__name__}")


def apply_patch(document: Any, operations: Iterable[Mapping[str, Any]]) -> Any:
    """Apply JSON-Patch operations in order; return the new document.

    Understands what :func:`~rxstruct.to_json_patch` sends (``add``,
    ``replace`` and the ``append`` extension for strings) and RFC 6902's
    ``remove``. Containers are changed in place and values are inserted as
    they are (not copied); the return value is the document, which is a new
    object when an operation targets the root (``path`` ``""``).

    Args:
        document: The current document, e.g. ``{}`` before the first patch.
        operations: The operations, e.g. one list emitted by ``to_json_patch``.

    Returns:
        The patched document.

    Raises:
        UsageError: An operation is malformed, names a path that does not
            exist, or ``append`` targets something that is not a string (the
            message gives the operation's position and path).

    Example:
        >>> doc = apply_patch({}, [{"op": "add", "path": "", "value": {"t": "Hel"}}])
        >>> apply_patch(doc, [{"op": "append", "path": "/t", "value": "lo"}])
        {'t': 'Hello'}
    """
    for number, operation in enumerate(operations):
        op = operation.get("op")
        path = operation.get("path")
        where = f"patch operation #{number} ({op} {path!r})"
        if not isinstance(path, str):
            raise UsageError(f"{where}: 'path' must be a string")
        if op not in ("add", "replace", "append", "remove"):
            raise UsageError(f"{where}: unknown op {op!r}")
        if op != "remove" and "value" not in operation:
            raise UsageError(f"{where}: no 'value'")
        value = operation.get("value")
        parts = _parse_pointer(path, where)
        if not parts:
            if op == "append":
                if not isinstance(document, str) or not isinstance(value, str):
                    raise UsageError(f"{where}: append needs a string and a string")
                document = document + value
            elif op == "remove":
                document = None
            else:
                document = value
            continue
        parent = document
        for part in parts[:-1]:
            parent = _child(parent, part, where)
        key: Any = parts[-1]  # a member name, or a list index below
        if isinstance(parent, dict):
            if op != "add" and key not in parent:
                raise UsageError(f"{where}: no member {key!r}")
        elif isinstance(parent, list):
            key = _index(key, len(parent), op == "add", where)
            if op == "add":
                parent.insert(key, value)
                continue
        else:
            raise UsageError(
                f"{where}: the parent is a {type(parent).__name__}, not a container"
            )
        if op in ("add", "replace"):
            parent[key] = value
        elif op == "remove":
            del parent[key]
        else:
            parent[key] = _appended(parent[key], value, where)
    return document


def _appended(current: Any, value: Any, where: str) -> str:
    if not isinstance(current, str) or not isinstance(value, str):
        raise UsageError(
            f"{where}: append needs a string at the path and a string value, "
            f"got {type(current).__name__} and {type(value).__name__}"
        )
    return current + value
