"""The incremental partial-JSON decoder.

:class:`PartialJsonDecoder` is fed text deltas and keeps a stack of the
containers still open. Each character is looked at once: the work of a
``feed`` is proportional to the new text plus the depth of the open path,
never to the text accumulated so far.

Completed sub-values (closed objects and arrays, strings, numbers, literals)
are built once, when they close, and shared by reference by every later
snapshot. A snapshot records only the open path (for each open container: its
append-only list of closed children and how many of them it had), so taking
one costs O(depth); its ``value`` is built on first access.

A whole object or array arriving in one chunk (before any other text of the
value) is parsed at once by jiter instead; the snapshot is the same.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any, Final, Literal, TypeAlias

import jiter

from ..exceptions import (
    IncompleteJsonError,
    JsonLimitError,
    JsonStreamError,
    UsageError,
)
from ._paths import Path, format_path
from ._snapshot import ARRAY, OBJECT, JsonSnapshot, OpenContainer, StringParts

__all__ = ["JsonKind", "PartialJsonDecoder"]

JsonKind: TypeAlias = Literal["object", "array", "string", "number", "boolean", "null"]
"""A kind of JSON value, as JSON Schema names them (``expect=`` of the decoder)."""

# Parser states.
_PRE: Final = 0  # before the top-level value: BOM, whitespace, prose, fences
_VALUE: Final = 1  # a value is expected (after ':' or ',' in an array)
_ARRAY_FIRST: Final = 2  # after '[': a value or ']'
_OBJECT_FIRST: Final = 3  # after '{': a key or '}'
_KEY: Final = 4  # after ',' in an object: a key
_COLON: Final = 5  # after a key: ':'
_AFTER: Final = 6  # after a value in a container: ',' or the closing bracket
_STRING: Final = 7  # inside a string (a key or a value)
_NUMBER: Final = 8  # inside a number
_LITERAL: Final = 9  # inside true / false / null
_DONE: Final = 10  # the top-level value is complete; the rest is trailing text
_PROSE: Final = 11  # skipping prose before the value
_FENCE: Final = 12  # counting the backticks of a markdown fence
_FENCE_LINE: Final = 13  # after ```: a language tag, then a newline or the value
_FENCE_REST: Final = 14  # skipping the rest of a fence line
_TENTATIVE: Final = 15  # after a bare top-level scalar: prose unless nothing follows
_OPENER: Final = 16  # after '{' or '[' in prose: JSON only if JSON follows

# States that skip whitespace.
_BETWEEN_TOKENS: Final = frozenset(
    (_VALUE, _ARRAY_FIRST, _OBJECT_FIRST, _KEY, _COLON, _AFTER, _OPENER)
)
# A NamedTuple without its Python __new__ (a snapshot entry per open container).
_tuple_new: Final[Any] = tuple.__new__
# Bound once: the decoder makes a snapshot per chunk (positional arguments).
_new_snapshot: Final = JsonSnapshot.create
_WS: Final = re.compile(r"[ \t\n\r]*")
_STRING_RUN: Final = re.compile(r'[^"\\\x00-\x1f]+')
_NUMBER_RUN: Final = re.compile(r"[0-9eE+\-.]+")
_NUMBER_TOKEN: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_PROSE_STOP: Final = re.compile(r"[{\[`]")
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}")
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_SIMPLE_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERALS: Final[dict[str, tuple[str, Any]]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}
_WHITESPACE: Final = frozenset(" \t\n\r")
_NUMBER_START: Final = frozenset("-0123456789")
_VALUE_START: Final = frozenset('{["tfn-0123456789')
# The first characters of each kind of value, and how errors name the kind.
_KIND_STARTS: Final[dict[str, str]] = {
    "object": "{",
    "array": "[",
    "string": '"',
    "number": "-0123456789",
    "boolean": "tf",
    "null": "n",
}
_KIND_NAMES: Final = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_KIND_OF_START: Final = {
    c: kind for kind, starts in _KIND_STARTS.items() for c in starts
}
# After '{' or '[' met in prose, the next character that makes it JSON: of the
# expected kind (lenient), or of a kind not expected (an error, not prose).
_JSON_AFTER: Final = {"{": frozenset('"}'), "[": frozenset('{["]-0123456789')}
_WRONG_AFTER: Final = {"{": frozenset('"'), "[": frozenset("{[")}
_FENCE_TAG: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.#- \t\r"
)

_BLOCK: Final = 1024  # chunks joined into one block of the received text

DEFAULT_MAX_DEPTH: Final = 512
DEFAULT_MAX_SIZE: Final = 64 * 1024 * 1024
DEFAULT_MAX_STRING_LENGTH: Final = 16 * 1024 * 1024


class _Frame:
    """An open container: its path and its append-only closed children."""

    __slots__ = ("items", "key", "kind", "path")

    def __init__(self, kind: type, path: Path) -> None:
        self.kind = kind
        self.path = path
        # arrays: values; objects: (key, value) pairs. Only ever appended to.
        self.items: list[Any] = []
        self.key: str | None = None  # objects: the key of the member being read


class PartialJsonDecoder:
    r"""Decode a JSON value from text deltas, with a partial value after each.

    ``feed`` never re-reads text it has seen; ``close`` checks the value is
    complete. The final value equals ``json.loads`` of the JSON text, except
    that ``NaN``/``Infinity`` and lone surrogate escapes (``"\ud800"``), which
    ``json.loads`` accepts and RFC 8259 does not define, are errors.

    By default the decoder takes what language models write around the JSON:
    a byte order mark, prose before the value, markdown fences (```` ```json ````
    on its own line or before the value on the same line, with or without a
    language tag), and any text after the value (kept in
    :attr:`~rxstruct.json.JsonSnapshot.trailing`). Prose that starts like JSON is
    told apart from the value by these rules:

    - a bare top-level string, number, ``true``/``false``/``null`` outside a
      fence is the value only if nothing but whitespace follows it (``"2
      recipes: ..."`` and ``"true to the request ..."`` are prose): it is shown
      only when the stream ends; inside a fence it is the value at once;
    - a ``{`` or ``[`` after prose starts the value only if JSON follows it
      (``{"`` or ``{}``; ``[`` then ``{``, ``[``, ``"``, ``]`` or a number, not
      a letter): ``"see [Note] ..."`` and ``"{name}"`` are prose;
    - with ``expect``, values of other kinds are prose, except a container
      that is visibly JSON of the wrong kind (``{"`` when an array is
      expected, ``[{`` or ``[[`` when an object is): that is a
      :class:`~rxstruct.JsonStreamError` at the bracket, never the value
      inside it.

    Args:
        partial_strings: Show strings while they are written (default). When
            False a string appears only once its closing quote arrived.
        strict: Accept exactly one JSON document, like ``json.loads``: no byte
            order mark, prose, fences or trailing text; anything but whitespace
            around the value is a :class:`~rxstruct.JsonStreamError` at its
            offset. Top-level scalars are shown as they come.
        expect: The kind or kinds of top-level value wanted (``"object"``,
            ``"array"``, ``"string"``, ``"number"``, ``"boolean"``, ``"null"``),
            e.g. ``"object"`` when validating against a pydantic model. None
            (default) takes any kind. Strict mode fails on another kind.
        max_depth: Maximum nesting of objects and arrays.
        max_size: Maximum number of characters fed in total.
        max_string_length: Maximum length of one string (key or value).

    Example:
        >>> dec = PartialJsonDecoder()
        >>> dec.feed('{"name": "Pa').value
        {'name': 'Pa'}
        >>> dec.feed('sta", "time": 1').value
        {'name': 'Pasta'}
        >>> dec.feed('5}').value
        {'name': 'Pasta', 'time': 15}
        >>> dec.close().done
        True
        >>> dec = PartialJsonDecoder(expect="object")
        >>> dec.feed('2 recipes:\n```json {"n": 2}```').value
        {'n': 2}
        >>> from rxstruct import JsonStreamError
        >>> try:
        ...     PartialJsonDecoder(strict=True).feed('{"n": 2} ok')
        ... except JsonStreamError as exc:
        ...     print(exc.reason, exc.offset)
        extra data after the JSON value 9
    """

    def __init__(
        self,
        *,
        partial_strings: bool = True,
        strict: bool = False,
        expect: JsonKind | Collection[JsonKind] | None = None,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_size: int = DEFAULT_MAX_SIZE,
        max_string_length: int = DEFAULT_MAX_STRING_LENGTH,
    ) -> None:
        for name, limit in (
            ("max_depth", max_depth),
            ("max_size", max_size),
            ("max_string_length", max_string_length),
        ):
            if not isinstance(limit, int) or limit < 1:
                raise UsageError(f"{name} must be a positive integer, got {limit!r}")
        kinds = _expected_kinds(expect)
        self.partial_strings = partial_strings
        self.strict = strict
        self.expect: frozenset[JsonKind] | None = kinds
        # First characters of an expected top-level value; how errors name them.
        self._starts = frozenset(
            "".join(_KIND_STARTS[k] for k in kinds) if kinds else _KIND_OF_START
        )
        self._expected = (
            " or ".join(_KIND_NAMES[k] for k in _KIND_STARTS if k in kinds)
            if kinds
            else "a JSON value"
        )
        self.max_depth = max_depth
        self.max_size = max_size
        self.max_string_length = max_string_length

        # The text received: joined blocks of _BLOCK chunks, then recent chunks.
        # Snapshots keep (list, length); a list is never changed once replaced.
        self._chunks: list[str] = []
        self._blocks = 0
        self._size = 0  # characters fed
        self._base = 0  # offset of the first character of _pending
        self._pending = ""  # an escape sequence waiting for more text
        self._state = _PRE
        self._stack: list[_Frame] = []
        # The stack as snapshots show it; its first _valid entries are current
        # (_stale: some are not, or the stack grew).
        self._frames: tuple[OpenContainer, ...] = ()
        self._valid = 0
        self._stale = False
        self._frames_path: Path | None = None  # path of the last frame
        self._after_string = _AFTER  # state after the current string closes
        self._string_is_key = False
        self._string_shown = False  # a value string, shown while written
        self._string_path: Path = ()
        self._string_parts: list[str] = []
        self._string_shared = StringParts()  # the open string value's pieces
        self._string_length = 0
        self._string_start = 0
        self._token: list[str] = []  # the number being read
        self._token_start = 0
        self._literal = ""
        self._literal_value: Any = None
        self._literal_matched = 0
        self._fence_ticks = 0
        self._in_fence = False  # an odd number of fences opened before the value
        self._tentative = False  # the top-level value is a bare scalar
        self._opener = ""  # '{' or '[' met in prose, waiting for the next character
        self._opener_at = 0
        self._opener_wanted = False  # of an expected kind
        self._root: Any = None
        self._root_done = False
        self._trailing_start = -1
        self._error: Exception | None = None
        self._closed = False
        self._stopped = False  # _error is set or _closed is True
        self._index = 0
        # Per-feed reports, reset by each feed.
        self._completed: list[tuple[Path, Any]] = []
        self._changed: dict[Path, None] = {}

    # -- public API -----------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the top-level value is complete."""
        return self._root_done

    def feed(self, text: str) -> JsonSnapshot:
        """Decode ``text``, the next piece of the stream; return a snapshot.

        Raises:
            JsonStreamError: The text is not JSON (or exceeds a limit:
                :class:`~rxstruct.JsonLimitError`).
        """
        if self._stopped:
            if self._error is not None:
                raise self._error
            raise UsageError("feed() after close()")
        if type(text) is not str and not isinstance(text, str):
            raise UsageError(f"feed() takes str, got {type(text).__name__}")
        if self._completed:
            self._completed = []
        if self._changed:
            self._changed = {}
        if text:
            size = self._size + len(text)
            chunks = self._chunks
            chunks.append(text)
            self._size = size
            if size > self.max_size:
                self._fail_limit(
                    f"document longer than max_size={self.max_size} characters",
                    self.max_size,
                    "max_size",
                    self.max_size,
                )
            if len(chunks) - self._blocks >= _BLOCK:
                self._compact()
            try:
                if (
                    self._state == _STRING
                    and not self._pending
                    and _STRING_RUN.fullmatch(text) is not None
                ):
                    # The whole chunk is text inside a string (the most common
                    # chunk): handled here, without the scanner's call.
                    before = self._string_length
                    self._string_parts.append(text)
                    self._string_length = before + len(text)
                    if self._string_length > self.max_string_length:
                        self._string_too_long(
                            self._base + self.max_string_length - before
                        )
                    if self._string_shown:
                        self._changed[self._string_path] = None
                    self._base += len(text)
                else:
                    self._run(text)
            except (JsonStreamError, IncompleteJsonError) as exc:
                self._error = exc
                self._stopped = True
                raise
        return self._snapshot(text, False)

    def close(self) -> JsonSnapshot:
        """End the stream; return the final snapshot (``done`` is True).

        Raises:
            IncompleteJsonError: The stream ended inside the value, or held none.
            JsonStreamError: The last token is malformed (e.g. ``1.``).
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            raise UsageError("close() called twice")
        self._closed = self._stopped = True
        self._completed = []
        self._changed = {}
        try:
            self._finish()
        except (JsonStreamError, IncompleteJsonError) as exc:
            self._error = exc
            raise
        return self._snapshot("", True)

    def _compact(self) -> None:
        """Join the recent chunks into one block, in a new list (amortized O(1))."""
        chunks = self._chunks
        blocks = self._blocks
        self._chunks = [*chunks[:blocks], "".join(chunks[blocks:])]
        self._blocks = blocks + 1

    # -- errors ---------------------------------------------------------------

    def _text(self) -> str:
        return "".join(self._chunks)

    def _fail(self, reason: str, offset: int) -> None:
        raise JsonStreamError(reason, self._text(), offset)

    def _fail_limit(self, reason: str, offset: int, limit: str, maximum: int) -> None:
        exc = JsonLimitError(reason, self._text(), offset, limit=limit, maximum=maximum)
        self._error = exc
        self._stopped = True
        raise exc

    def _string_too_long(self, offset: int) -> None:
        self._fail_limit(
            f"string longer than max_string_length={self.max_string_length}",
            offset,
            "max_string_length",
            self.max_string_length,
        )

    def _open_path(self) -> Path:
        if self._state == _STRING and not self._string_is_key:
            return self._string_path
        if self._state in (_NUMBER, _LITERAL):
            return self._child_path()
        if self._stack:
            return self._stack[-1].path
        return ()

    # -- the scanner ----------------------------------------------------------

    def _run(self, chunk: str) -> None:
        if self._pending:
            buf = self._pending + chunk
            self._pending = ""
        else:
            buf = chunk
        base = self._base
        n = len(buf)
        i = 0
        state = self._state
        stack = self._stack
        changed = self._changed
        while i < n:
            if state == _STRING:
                m = _STRING_RUN.match(buf, i)
                if m is not None:
                    run = m.group()
                    self._string_parts.append(run)
                    before = self._string_length
                    self._string_length = before + len(run)
                    if self._string_length > self.max_string_length:
                        self._string_too_long(
                            base + i + self.max_string_length - before
                        )
                    if self._string_shown:
                        changed[self._string_path] = None
                    i = m.end()
                    if i >= n:
                        break
                c = buf[i]
                if c == '"':
                    i += 1
                    state = self._close_string()
                elif c == "\\":
                    consumed = self._escape(buf, i, base)
                    if consumed == 0:
                        self._pending = buf[i:]
                        self._base = base + i
                        self._state = state
                        return
                    i += consumed
                else:
                    self._fail(
                        f"control character {c!r} in string (escape it)", base + i
                    )
                continue

            c = buf[i]
            if c in _WHITESPACE and state in _BETWEEN_TOKENS:
                i = _WS.match(buf, i).end()  # type: ignore[union-attr]  # [ \t\n\r]* always matches
                continue

            if state == _AFTER:
                frame = stack[-1]
                if c == ",":
                    state = _VALUE if frame.kind is ARRAY else _KEY
                    i += 1
                elif c == "]" and frame.kind is ARRAY:
                    i += 1
                    state = self._close_container()
                elif c == "}" and frame.kind is OBJECT:
                    i += 1
                    state = self._close_container()
                else:
                    closer = "']'" if frame.kind is ARRAY else "'}'"
                    what = "array element" if frame.kind is ARRAY else "object member"
                    self._fail(
                        f"expected ',' or {closer} after {what}, found {c!r}", base + i
                    )
                continue

            if state in (_VALUE, _ARRAY_FIRST):
                if c == "]" and state == _ARRAY_FIRST:
                    i += 1
                    state = self._close_container()
                    continue
                state = self._start_value(buf, i, base, c)
                i += 1
                continue

            if state == _NUMBER:
                m = _NUMBER_RUN.match(buf, i)
                if m is not None:
                    self._token.append(m.group())
                    i = m.end()
                    if i >= n:
                        break
                state = self._close_number()
                continue

            if state in (_OBJECT_FIRST, _KEY):
                if c == '"':
                    self._begin_string(key=True, offset=base + i)
                    state = _STRING
                    i += 1
                elif c == "}" and state == _OBJECT_FIRST:
                    i += 1
                    state = self._close_container()
                else:
                    expected = "a key or '}'" if state == _OBJECT_FIRST else "a key"
                    hint = " (keys need double quotes)" if c != "}" else ""
                    if state == _KEY and c == "}":
                        hint = " (trailing comma)"
                    self._fail(f"expected {expected}, found {c!r}{hint}", base + i)
                continue

            if state == _COLON:
                if c != ":":
                    self._fail(f"expected ':' after key, found {c!r}", base + i)
                i += 1
                state = _VALUE
                continue

            if state == _LITERAL:
                literal = self._literal
                k = self._literal_matched
                if c != literal[k]:
                    if not stack and not self._root_done and not self.strict:
                        # Top-level text that only looked like a literal: prose.
                        state = _PROSE
                        continue
                    self._fail(
                        f"invalid literal: expected {literal!r}", self._token_start
                    )
                i += 1
                k += 1
                if k == len(literal):
                    state = self._finish_value(self._literal_value, self._child_path())
                else:
                    self._literal_matched = k
                continue

            if state == _DONE:
                if self._trailing_start < 0:
                    self._trailing_start = base + i
                if self.strict:
                    j = _WS.match(buf, i).end()  # type: ignore[union-attr]  # always matches
                    if j < n:
                        self._fail("extra data after the JSON value", base + j)
                break

            if state == _PRE:
                if c in _WHITESPACE:
                    i += 1
                    continue
                if c in _VALUE_START:
                    if c in self._starts and self._whole(buf, i, base, c):
                        i = n
                        state = _DONE
                        break
                    state = self._start_root(buf, i, base, c, after_prose=False)
                    i += 1
                    continue
                if self.strict:
                    what = "a byte order mark" if c == "\ufeff" else repr(c)
                    self._fail(f"expected {self._expected}, found {what}", base + i)
                if c == "\ufeff":
                    i += 1
                    continue
                if c == "`":
                    state = _FENCE
                    self._fence_ticks = 0
                    continue
                state = _PROSE
                continue

            if state == _PROSE:
                m = _PROSE_STOP.search(buf, i)
                if m is None:
                    i = n
                    break
                i = m.start()
                c = buf[i]
                if c == "`":
                    state = _FENCE
                    self._fence_ticks = 0
                else:
                    state = self._start_root(buf, i, base, c, after_prose=True)
                    i += 1
                continue

            if state == _FENCE:
                if c == "`":
                    self._fence_ticks += 1
                    i += 1
                    if self._fence_ticks == 3:
                        # An opening fence has a tag line; after a closing one
                        # the text is prose again.
                        self._in_fence = not self._in_fence
                        state = _FENCE_LINE if self._in_fence else _PROSE
                    continue
                state = _PROSE  # not a fence after all: the backticks are prose
                continue

            if state == _FENCE_LINE:
                # ```json\n, ```json {...}, ```{...}: a tag, then the value or EOL.
                if c in _FENCE_TAG:
                    i += 1
                    continue
                if c == "\n":
                    i += 1
                    state = _PRE
                elif c in "{[" or c == '"':
                    state = self._start_root(buf, i, base, c, after_prose=False)
                    i += 1
                elif c == "`":
                    state = _PROSE  # inline ```code```, or a fourth backtick
                else:
                    state = _FENCE_REST
                continue

            if state == _FENCE_REST:
                j = buf.find("\n", i)
                if j < 0:
                    i = n
                    break
                i = j + 1
                state = _PRE
                continue

            if state == _TENTATIVE:
                if c in _WHITESPACE:
                    if self._trailing_start < 0:
                        self._trailing_start = base + i
                    i = _WS.match(buf, i).end()  # type: ignore[union-attr]  # always matches
                    continue
                # Text after a bare scalar: the scalar was prose ("2 recipes:").
                self._root = None
                self._tentative = False
                self._trailing_start = -1
                state = _PROSE
                continue

            if state == _OPENER:
                opener = self._opener
                if self._opener_wanted:
                    if c in _JSON_AFTER[opener]:
                        self._tentative = False
                        state = self._start_value(opener, 0, self._opener_at, opener)
                        continue  # c is read in the container's first state
                elif c in _WRONG_AFTER[opener]:
                    self._fail_kind(opener, self._opener_at)
                state = _PROSE  # the bracket was prose: "[Note]", "{name}"
                continue

            raise AssertionError(f"unknown parser state {state}")  # pragma: no cover
        self._state = state
        self._base = base + n

    # -- values -----------------------------------------------------------------

    def _child_path(self) -> Path:
        stack = self._stack
        if not stack:
            return ()
        frame = stack[-1]
        if frame.kind is ARRAY:
            return (*frame.path, len(frame.items))
        return (*frame.path, frame.key)  # type: ignore[arg-type]  # key is set before a member value starts

    def _start_root(
        self, buf: str, i: int, base: int, c: str, *, after_prose: bool
    ) -> int:
        """Start the top-level value at ``buf[i]``, or return how to skip ``c``.

        ``c`` is consumed either way. A value of a kind not expected is prose
        (strict mode: an error); a bracket after prose waits in ``_OPENER`` for
        the next character; a bare scalar outside a fence is tentative.
        """
        wanted = c in self._starts
        if self.strict:
            if not wanted:
                self._fail_kind(c, base + i)
        elif c == "{" or c == "[":
            if after_prose or not wanted:
                self._opener = c
                self._opener_at = base + i
                self._opener_wanted = wanted
                return _OPENER
        elif not wanted:
            return _PROSE
        else:
            self._tentative = not self._in_fence
            state = self._start_value(buf, i, base, c)
            if state == _STRING and self._tentative:
                self._string_shown = False  # shown only once confirmed
                self._changed.pop(self._string_path, None)
            return state
        self._tentative = False
        return self._start_value(buf, i, base, c)

    def _whole(self, buf: str, i: int, base: int, c: str) -> bool:
        """Decode ``buf[i:]`` at once if it is one whole object or array.

        A document that arrives in one chunk (a non-streamed answer, tool
        arguments sent in one delta) is parsed by jiter: 4 to 7 times faster
        than the scanner from 1 KB to 1 MB, including the walk that reports
        every value. Anything jiter or the limits refuse (a cut document,
        trailing text, a duplicate key, an error) is left to the scanner,
        which also positions the errors: both accept the same texts and give
        the same snapshot.
        """
        if c != "{" and c != "[":
            return False
        text = buf[i:].rstrip(" \t\n\r")
        if text[-1] != ("}" if c == "{" else "]"):
            return False  # the first chunk of a stream: not whole
        try:
            value = jiter.from_json(
                text.encode(), allow_inf_nan=False, catch_duplicate_keys=True
            )
        except ValueError:
            return False
        completed: list[tuple[Path, Any]] = []
        changed: dict[Path, None] = {}
        if not _walk_whole(
            value, (), 1, self.max_depth, self.max_string_length, completed, changed
        ):
            return False
        self._completed.extend(completed)
        self._changed.update(changed)
        self._root = value
        self._root_done = True
        if i + len(text) < len(buf):
            self._trailing_start = base + i + len(text)
        return True

    def _fail_kind(self, c: str, offset: int) -> None:
        """A top-level value of a kind not expected starts with ``c`` at ``offset``."""
        found = _KIND_NAMES[_KIND_OF_START[c]]
        self._fail(f"expected {self._expected}, found {found}", offset)

    def _start_value(self, buf: str, i: int, base: int, c: str) -> int:
        """Start the value whose first character ``c`` is at ``buf[i]``."""
        if c == "{" or c == "[":
            stack = self._stack
            if len(stack) >= self.max_depth:
                self._fail_limit(
                    f"nesting deeper than max_depth={self.max_depth}",
                    base + i,
                    "max_depth",
                    self.max_depth,
                )
            path = self._child_path()
            kind = OBJECT if c == "{" else ARRAY
            stack.append(_Frame(kind, path))  # the snapshot adds its entry
            self._stale = True
            self._changed[path] = None
            return _OBJECT_FIRST if kind is OBJECT else _ARRAY_FIRST
        if c == '"':
            self._begin_string(key=False, offset=base + i)
            return _STRING
        if c in _NUMBER_START:
            self._token = [c]
            self._token_start = base + i
            return _NUMBER
        literal = _LITERALS.get(c)
        if literal is not None:
            self._literal, self._literal_value = literal
            self._literal_matched = 1
            self._token_start = base + i
            return _LITERAL
        if c in "]}":
            self._fail(f"expected a value, found {c!r} (trailing comma?)", base + i)
        self._fail(f"expected a value, found {c!r}", base + i)
        raise AssertionError("unreachable")  # pragma: no cover

    def _finish_value(self, value: Any, path: Path) -> int:
        """Attach a completed value to its parent; return the next state."""
        stack = self._stack
        if not stack:
            self._root = value
            if self._tentative:
                return _TENTATIVE  # the value only if nothing else follows
            self._completed.append((path, value))
            self._changed[path] = None
            self._root_done = True
            return _DONE
        self._completed.append((path, value))
        self._changed[path] = None
        top = len(stack) - 1
        self._stale = True
        if top < self._valid:
            self._valid = top  # the innermost container gains a child
        frame = stack[-1]
        if frame.kind is ARRAY:
            frame.items.append(value)
        else:
            frame.items.append((frame.key, value))
            frame.key = None
        return _AFTER

    def _close_container(self) -> int:
        frame = self._stack.pop()
        self._stale = True
        if frame.kind is ARRAY:
            value: Any = frame.items
        else:
            value = dict(frame.items)
        return self._finish_value(value, frame.path)

    def _begin_string(self, *, key: bool, offset: int) -> None:
        self._string_is_key = key
        self._string_shown = not key and self.partial_strings
        if key:
            self._string_parts = []
        else:
            shared = self._string_shared = StringParts()
            self._string_parts = shared.parts
        self._string_length = 0
        self._string_start = offset
        if not key:
            path = self._child_path()
            self._string_path = path
            if self.partial_strings:
                self._changed[path] = None

    def _close_string(self) -> int:
        parts = self._string_parts
        if self._string_is_key:
            text = parts[0] if len(parts) == 1 else "".join(parts)
        else:
            text = self._string_shared.text(len(parts))
        self._string_shown = False
        if self._string_is_key:
            stack = self._stack
            stack[-1].key = text
            top = len(stack) - 1
            self._stale = True
            if top < self._valid:
                self._valid = top
            return _COLON
        return self._finish_value(text, self._string_path)

    def _close_number(self) -> int:
        token = "".join(self._token)
        m = _NUMBER_TOKEN.fullmatch(token)
        if m is None:
            if not self._stack and not self._root_done and not self.strict:
                return _PROSE  # e.g. "1. Here is the JSON" before the value
            self._fail(
                f"invalid number {token!r}",
                self._token_start + _number_error_offset(token),
            )
        value: Any
        if m.group(1) is None and m.group(2) is None:  # type: ignore[union-attr]  # m is set here
            try:
                value = int(token)
            except ValueError:
                self._fail(
                    "integer too long for Python (sys.set_int_max_str_digits)",
                    self._token_start,
                )
        else:
            value = float(token)
        return self._finish_value(value, self._child_path())

    def _escape(self, buf: str, i: int, base: int) -> int:
        """Decode the escape at ``buf[i]``; return its length, 0 when cut off."""
        n = len(buf)
        if i + 1 >= n:
            return 0
        c = buf[i + 1]
        simple = _SIMPLE_ESCAPES.get(c)
        if simple is not None:
            self._append_string(simple, base + i)
            return 2
        if c != "u":
            self._fail(f"invalid escape '\\{c}' in string", base + i)
        code = self._hex4(buf, i + 2, base, i)
        if code < 0:
            return 0
        if 0xDC00 <= code <= 0xDFFF:
            self._fail("lone low surrogate in \\u escape", base + i)
        if 0xD800 <= code <= 0xDBFF:
            # A high surrogate must be followed by a low one: \uD83D\uDE00.
            j = i + 6
            for offset, expect in enumerate("\\u"):
                if j + offset >= n:
                    return 0
                if buf[j + offset] != expect:
                    self._fail("lone high surrogate in \\u escape", base + i)
            low = self._hex4(buf, j + 2, base, j)
            if low < 0:
                return 0
            if not 0xDC00 <= low <= 0xDFFF:
                self._fail("lone high surrogate in \\u escape", base + i)
            pair = chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
            self._append_string(pair, base + i)
            return 12
        self._append_string(chr(code), base + i)
        return 6

    def _hex4(self, buf: str, start: int, base: int, escape_at: int) -> int:
        """Read 4 hex digits at ``start``; -1 when cut off."""
        digits = buf[start : start + 4]
        for k, d in enumerate(digits):
            if d not in _HEX:
                self._fail(
                    f"invalid \\u escape: {d!r} is not a hex digit", base + start + k
                )
        if len(digits) < 4:
            return -1
        return int(digits, 16)

    def _append_string(self, text: str, offset: int) -> None:
        """Append decoded ``text`` (the escape at ``offset``) to the string."""
        self._string_parts.append(text)
        self._string_length += len(text)
        if self._string_length > self.max_string_length:
            self._string_too_long(offset)
        if self._string_shown:
            self._changed[self._string_path] = None

    # -- end of stream -------------------------------------------------------

    def _finish(self) -> None:
        state = self._state
        end = self._size
        if state == _NUMBER and not self._stack:
            state = self._state = self._close_number()
        if state == _TENTATIVE:
            # Nothing but whitespace followed the bare scalar: it is the value.
            self._tentative = False
            self._root_done = True
            self._completed.append(((), self._root))
            self._changed[()] = None
            return
        if self._root_done:
            return
        if not self._stack and state not in (_STRING, _NUMBER, _LITERAL):
            raise IncompleteJsonError(
                f"the stream ended before {self._expected}", self._text(), end
            )
        open_path = self._open_path()
        where = format_path(open_path)
        if state == _STRING:
            what = "a key" if self._string_is_key else "a string"
        elif state == _NUMBER:
            what = "a number"
        elif state == _LITERAL:
            what = f"the literal {self._literal!r}"
        elif self._stack[-1].kind is ARRAY:
            what = "an array"
        else:
            what = "an object"
        raise IncompleteJsonError(
            f"the stream ended inside {what} at {where}",
            self._text(),
            end,
            open_path=open_path,
        )

    # -- snapshots ------------------------------------------------------------

    def _snapshot(self, chunk: str, done: bool) -> JsonSnapshot:
        index = self._index
        self._index = index + 1
        completed = tuple(self._completed) if self._completed else ()
        changed = tuple(self._changed) if self._changed else ()
        chunks = self._chunks
        if self._root_done:
            return _new_snapshot(
                chunk, index, done, chunks, len(chunks), (), None, self._root,
                True, completed, changed, None, self._trailing_start,
            )  # fmt: skip
        if self._stale:
            self._refresh_frames()
        frames = self._frames
        if self._string_shown:
            shared = self._string_shared
            return _new_snapshot(
                chunk, index, False, chunks, len(chunks), frames,
                (shared, len(shared.parts)), None, True, completed, changed,
                self._string_path, -1,
            )  # fmt: skip
        open_path = self._frames_path
        if self._state == _STRING and not self._string_is_key:
            open_path = self._string_path  # a string shown only once complete
        return _new_snapshot(
            chunk, index, False, chunks, len(chunks), frames, None, None,
            bool(frames), completed, changed, open_path, -1,
        )  # fmt: skip

    def _refresh_frames(self) -> None:
        """Redo the snapshot entries of the containers that opened or changed."""
        stack = self._stack
        valid = self._valid
        frames = self._frames = self._frames[:valid] + tuple(
            [
                _tuple_new(
                    OpenContainer, (f.kind, f.items, len(f.items), f.key, f.path)
                )
                for f in stack[valid:]
            ]
        )
        self._valid = len(stack)
        self._frames_path = frames[-1][4] if frames else None
        self._stale = False


def _walk_whole(
    value: Any,
    path: Path,
    depth: int,
    max_depth: int,
    max_string_length: int,
    completed: list[tuple[Path, Any]],
    changed: dict[Path, None],
) -> bool:
    """Report ``value`` as the scanner would; False if it exceeds a limit.

    ``changed`` gets every path in text order of their first character,
    ``completed`` every value after its children (innermost first).
    """
    changed[path] = None
    kind = type(value)
    if kind is dict or kind is list:
        if depth > max_depth:
            return False
        members: Iterable[tuple[Any, Any]] = (
            value.items() if kind is dict else enumerate(value)
        )
        for part, item in members:
            if (kind is dict and len(part) > max_string_length) or not _walk_whole(
                item,
                (*path, part),
                depth + 1,
                max_depth,
                max_string_length,
                completed,
                changed,
            ):
                return False
    elif kind is str and len(value) > max_string_length:
        return False
    completed.append((path, value))
    return True


def _expected_kinds(
    expect: JsonKind | Collection[JsonKind] | None,
) -> frozenset[JsonKind] | None:
    """The ``expect`` option as a set of kinds (None: any); UsageError if bad."""
    if expect is None:
        return None
    try:
        kinds = frozenset([expect] if isinstance(expect, str) else expect)
    except TypeError:  # not iterable, or unhashable items
        kinds = frozenset()
    if not kinds or not kinds <= _KIND_STARTS.keys():
        raise UsageError(
            f"expect takes {', '.join(map(repr, _KIND_STARTS))} or a collection "
            f"of them, got {expect!r}"
        )
    return kinds


def _number_error_offset(token: str) -> int:
    """Offset within ``token`` of the first character a JSON number cannot have."""
    i = 0
    n = len(token)
    if i < n and token[i] == "-":
        i += 1
    if i >= n:
        return i
    if token[i] == "0":
        i += 1
        if i < n and token[i].isdigit():
            return i
    elif token[i].isdigit():
        while i < n and token[i].isdigit():
            i += 1
    else:
        return i
    if i < n and token[i] == ".":
        i += 1
        if i >= n or not token[i].isdigit():
            return i
        while i < n and token[i].isdigit():
            i += 1
    if i < n and token[i] in "eE":
        i += 1
        if i < n and token[i] in "+-":
            i += 1
        if i >= n or not token[i].isdigit():
            return i
        while i < n and token[i].isdigit():
            i += 1
    return min(i, n - 1) if i < n else i
