"""``PartialBuilder``: decoder snapshots in, partial values out; no Rx."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar, cast, overload

from pydantic import BaseModel

from ..exceptions import UsageError
from ..json import JsonSnapshot, OpenContainer, Path
from ._base import (
    Emission,
    Partial,
    PartialDict,
    PartialList,
    new_partial,
    tag_setters,
)
from ._compile import type_shape
from ._containers import DictNode, ListNode
from ._context import ABSENT, HIDDEN, INVALID, ConversionContext
from ._nodes import AnyNode, Node, ParentNode, StrNode
from ._shapes import DictShape, ListShape, ModelShape

__all__ = ["OnInvalid", "PartialBuilder", "emits_untagged"]

_T = TypeVar("_T")
_D = TypeVar("_D")
_M = TypeVar("_M", bound=BaseModel)

OnInvalid = Literal["ignore", "error"]
"""What ``to_partial`` does with a complete value that does not fit its type."""

_tuple_new: Any = tuple.__new__  # an Emission without a Python __new__

_Chain = tuple[tuple[ParentNode, ...], StrNode | None, tuple[Path, ...]]
"""The open string's parents (innermost first), its node, and its change."""


class PartialBuilder(Generic[_T]):
    """Turn the snapshots of one JSON stream into partial values, incrementally.

    Give it every snapshot of one stream, in order (skipping some is fine, e.g.
    after a ``debounce``). Each call converts only what changed: values that
    closed since the previous call are converted once and reused by reference
    in every later result; the open path is rebuilt. ``to_partial`` is this
    class as an operator.

    Results are instances of ``partial_model(model)`` (or, for a type such as
    ``list[Item]``, a list of partial items), always of that one type:

    - a field not written yet is ``None``, also when it has a default: the
      default appears once its object is complete without the field (as in
      the final value), so a shown value never changes to another;
    - strings grow while written; numbers, bools, ``Literal``, enums, dates
      and ``rs.Atomic`` fields appear only once complete; nothing visible ever
      disappears or changes type;
    - nested models, lists, dicts, optionals and unions convert recursively.
      A union picks its arm once per value and keeps it: a discriminated one
      once the tag is complete; a plain union of models once the keys fit
      only one arm, else (arms with the same keys) when the object is
      complete, taking the arm pydantic's smart mode takes for its values;
      a callable ``Discriminator`` when the object is complete (it may read
      any member). Until then the object is not shown (``None``);
    - constraints and validators never run; a complete value of the wrong
      type leaves its field unset (a list stops before it), or raises
      :class:`~rxstruct.PartialValidationError` with ``on_invalid="error"``.

    Args:
        model: A pydantic model class, or a type such as ``list[Model]``,
            ``dict[str, Model]`` or a union.
        on_invalid: ``"ignore"`` (default): an invalid complete value stays
            unset and ``validate_final`` reports it. ``"error"``: raise as soon
            as it is complete, also for a complete object missing a required
            field or (``extra="forbid"``) holding an unknown one.

    Raises:
        UsageError: ``on_invalid`` is unknown or the type cannot be streamed.

    Example:
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> class User(BaseModel):
        ...     name: str
        ...     age: int
        >>> dec, build = rs.PartialJsonDecoder(), rs.PartialBuilder(User)
        >>> for chunk in ['{"name": "Ad', 'a", "age": 3', '8}']:
        ...     print(build.feed(dec.feed(chunk)))
        name='Ad' age=None
        name='Ada' age=None
        name='Ada' age=38
    """

    @overload
    def __init__(
        self: PartialBuilder[Partial[_M]],
        model: type[_M],
        *,
        on_invalid: OnInvalid = "ignore",
    ) -> None: ...

    @overload
    def __init__(
        self: PartialBuilder[Any],
        model: Any,
        *,
        on_invalid: OnInvalid = "ignore",
    ) -> None: ...

    def __init__(self, model: Any, *, on_invalid: OnInvalid = "ignore") -> None:
        if on_invalid not in ("ignore", "error"):
            raise UsageError(
                f"on_invalid must be 'ignore' or 'error', got {on_invalid!r}"
            )
        self.model = model
        self.on_invalid = on_invalid
        self._shape = type_shape(model)
        self._context = ConversionContext.create(on_invalid == "error")
        self._node: Node | None = None
        self._visible = False
        self._root_json: Any = ABSENT  # the complete top-level JSON value
        self._root: Any = INVALID  # ... and its conversion
        self._seq = 0
        self._index = -1  # index of the last snapshot seen
        self._last: Any = ABSENT  # the last result (or HIDDEN)
        self._open_path: Path | None = None
        self._open_subpath: Path | None = None
        # The open containers of the last snapshot (compared by identity).
        self._frames: tuple[OpenContainer, ...] | None = None
        # The parents of the open string's node, innermost first, and that node
        # (None: not looked for since the last full conversion).
        self._chain: _Chain | None = None
        self._tagged: type | None = None  # the type of the last tagged result
        self._setters: tuple[Any, Any] = (None, None)  # its tag_setters

    @overload
    def feed(self, snapshot: JsonSnapshot) -> _T | None: ...

    @overload
    def feed(self, snapshot: JsonSnapshot, default: _D) -> _T | _D: ...

    def feed(self, snapshot: JsonSnapshot, default: Any = None) -> Any:
        """The partial value after ``snapshot``, or ``default`` when nothing is shown.

        Nothing is shown before the value starts, while a top-level value is
        hidden (a ``Literal``, an undecided union, a ``HoldUntilPresent``
        field not there yet), or when the complete value does not fit. Pass a
        ``default`` of your own to tell that apart from a value that is None
        (e.g. ``PartialBuilder(int | None)`` on ``null``).

        Raises:
            PartialValidationError: ``on_invalid="error"`` and a complete value
                does not fit its type.

        Example:
            >>> import rxstruct as rs
            >>> dec, build = rs.PartialJsonDecoder(), rs.PartialBuilder(int | None)
            >>> nothing = object()
            >>> build.feed(dec.feed("nu"), nothing) is nothing
            True
            >>> print(build.feed(dec.feed("ll"), nothing))
            None
        """
        # One body, no helper call: this runs once per chunk.
        if type(snapshot) is not JsonSnapshot and not isinstance(
            snapshot, JsonSnapshot
        ):
            raise UsageError(
                f"expected a JsonSnapshot, got {type(snapshot).__name__}: put "
                "rs.accumulate_json() before rs.to_partial()"
            )
        # The decoder's change information is only complete for a snapshot
        # that directly follows the previous one.
        index = snapshot.index
        contiguous = index == self._index + 1
        self._index = index
        if not snapshot.has_value:
            return default
        open_path = snapshot.open_path
        frames = snapshot.open_containers
        last = self._last
        if contiguous and open_path == self._open_path and last is not ABSENT:
            if not snapshot.changed:
                # Nothing visible changed (whitespace, a key, part of a number).
                if last is HIDDEN:
                    return default
                return self._tag(_fresh(last), self._open_subpath, (), snapshot)
            if frames is self._frames and last is not HIDDEN:
                # No container opened, closed or gained a child: only the
                # open string grew.
                out = self._grow_string(snapshot)
                if out is not ABSENT:
                    return out
        self._frames = frames
        self._chain = None
        context = self._context
        context.start(snapshot, frames, contiguous)
        if open_path is None:
            out, open_subpath = self._convert_closed(snapshot.value, context)
        else:
            out, open_subpath = self._convert_open(context)
        self._last = out
        self._open_path = open_path
        self._open_subpath = open_subpath
        if out is HIDDEN:
            return default
        changes = context.changes
        if len(changes) > 1:
            changes = list(dict.fromkeys(changes))  # without duplicates, in order
        return self._tag(out, open_subpath, tuple(changes), snapshot)

    def _grow_string(self, snapshot: JsonSnapshot) -> Any:
        """The result when only the open string's text changed, or ``ABSENT``.

        Rebuilds the values along the open path from the new text, innermost
        first, without visiting the snapshot's containers again.
        """
        chain = self._chain
        if chain is None:
            chain = self._chain = self._find_chain()
        parents, leaf, changes = chain
        if leaf is None:
            return ABSENT
        out: Any = snapshot.open_string
        if out is None:
            return ABSENT
        leaf.length = len(out)
        for node in parents:
            out = node.rebuild(out)
        self._last = out
        return self._tag(out, self._open_subpath, changes, snapshot)

    def _find_chain(self) -> _Chain:
        """The nodes from the open string up to the root; no string: None.

        With the changes of an emission where only that string grew.
        """
        parents: list[ParentNode] = []
        node: Node | None = self._node
        # Only a parent shows a child. (No isinstance: the node classes are
        # ABCs, whose check is a Python call.)
        while node is not None and node.shown is not None:
            parents.append(cast(ParentNode, node))
            node = node.shown
        if type(node) is not StrNode:
            return (), None, ()
        parents.reverse()
        return tuple(parents), node, (node.py_path,)

    def _convert_closed(
        self, value: Any, context: ConversionContext
    ) -> tuple[Any, Any]:
        if value is not self._root_json:
            node, self._node = self._node, None
            if node is not None:
                self._root = node.finish(value, context, (), ())
            else:
                self._root = self._shape.closed(value, context, ())
            self._root_json = value
            context.changes.append(())
        root = self._root
        if root is INVALID:
            return HIDDEN, None
        return _fresh(root), None

    def _convert_open(self, context: ConversionContext) -> tuple[Any, Any]:
        node = self._node
        if node is None:
            kind = context.frames[0].kind if context.depth else str
            node = self._node = self._shape.open(kind)
            if isinstance(node, ListNode | DictNode):
                node.at_root()
            elif isinstance(node, AnyNode):
                node.root = True  # PartialDict / PartialList, as once complete
        out = node.update(0, context, ())
        if out is HIDDEN:
            return HIDDEN, None
        if not self._visible:
            self._visible = True
            context.changes.append(())
        return out, node.open_subpath

    def _tag(
        self,
        out: Any,
        open_subpath: Path | None,
        changes: tuple[Path, ...],
        snapshot: JsonSnapshot,
    ) -> Any:
        cls = type(out)
        if cls is self._tagged:  # the usual case: the type of the last one
            set_open, set_source = self._setters
        elif isinstance(out, Partial | PartialList | PartialDict):
            set_open, set_source = self._setters = tag_setters(cls)
            self._tagged = cls
        else:
            set_open = None
        seq = self._seq
        if set_open is not None:
            set_open(out, open_subpath)
            set_source(
                out, _tuple_new(Emission, (seq, snapshot, changes, snapshot.done))
            )
        self._seq = seq + 1
        return out


def emits_untagged(model: Any) -> bool:
    """Whether ``PartialBuilder(model)`` may show values without an Emission tag.

    A scalar top level (``str``, ``int``, a ``Literal``, ``None`` of an
    optional, a scalar under ``Any``) is shown as the plain value, which has no
    slot for the tag; models, lists and dicts are always tagged.

    Example:
        >>> emits_untagged(int), emits_untagged(list[int])
        (True, False)
    """
    try:
        shape = type_shape(model)
    except UsageError:
        return False
    return not isinstance(shape, ModelShape | ListShape | DictShape)


def _fresh(root: Any) -> Any:
    """A new object for a complete root, so that each emission has its own tag."""
    if isinstance(root, list):  # builtin checks first: a model's is an ABC check
        return PartialList(root)
    if isinstance(root, dict):
        return PartialDict(root)
    fields_set = getattr(root, "__pydantic_fields_set__", None)
    if fields_set is None:
        return root  # a scalar root
    # A shallow copy, like BaseModel.__copy__ but without its generic path (the
    # fields set is shared: pydantic copies one before changing it).
    extra = root.__pydantic_extra__
    return new_partial(
        type(root),
        root.__dict__.copy(),
        fields_set,
        dict(extra) if extra is not None else None,
    )
