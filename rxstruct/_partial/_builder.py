"""``PartialBuilder``: decoder snapshots in, partial values out; no Rx."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar, overload

from pydantic import BaseModel

from ..exceptions import UsageError
from ..json import JsonSnapshot, Path
from ._base import OPEN_SLOT, SOURCE_SLOT, Emission, Partial, PartialDict, PartialList
from ._compile import type_shape
from ._shapes import HIDDEN, INVALID, Ctx, DictNode, ListNode, Node, kind_of

__all__ = ["OnInvalid", "PartialBuilder"]

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)

OnInvalid = Literal["ignore", "error"]

_NOTHING: Any = object()


class PartialBuilder(Generic[_T]):
    """Turn the snapshots of one JSON stream into partial values, incrementally.

    Give it every snapshot of one stream, in order (skipping some is fine, e.g.
    after a ``debounce``). Each call converts only what changed: values that
    closed since the previous call are converted once and reused by reference
    in every later result; the open path is rebuilt. ``to_partial`` is this
    class as an operator.

    Results are instances of ``partial_model(model)`` (or, for a type such as
    ``list[Item]``, a list of partial items), always of that one type:

    - a missing field is ``None`` or its default; strings grow while written;
      numbers, bools, ``Literal``, enums, dates and ``rs.Atomic`` fields appear
      only once complete; nothing visible ever disappears or changes type;
    - nested models, lists, dicts, optionals and unions convert recursively
      (a union picks its arm once per value and keeps it);
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
        self._ctx = Ctx.create(on_invalid == "error")
        self._node: Node | None = None
        self._visible = False
        self._root_src: Any = _NOTHING
        self._root: Any = INVALID
        self._seq = 0
        self._index = -1  # index of the last snapshot seen
        self._last: Any = _NOTHING  # the last result (or HIDDEN)
        self._open_path: Path | None = None
        self._open_rel: Path | None = None

    def feed(self, snapshot: JsonSnapshot) -> _T | None:
        """The partial value after ``snapshot``, or None when nothing is shown.

        Nothing is shown before the value starts, while a top-level value is
        hidden (a ``Literal``, an undecided union, a ``HoldUntilPresent``
        field not there yet), or when the complete value does not fit.

        Raises:
            PartialValidationError: ``on_invalid="error"`` and a complete value
                does not fit its type.
        """
        out = self.convert(snapshot)
        return None if out is HIDDEN else out

    def convert(self, snapshot: JsonSnapshot) -> Any:
        """Like :meth:`feed`, but returns ``HIDDEN`` when nothing is shown."""
        if not isinstance(snapshot, JsonSnapshot):
            raise UsageError(
                f"expected a JsonSnapshot, got {type(snapshot).__name__}: put "
                "rs.accumulate_json() before rs.to_partial()"
            )
        # The decoder's change information is only complete for a snapshot
        # that directly follows the previous one.
        contiguous = snapshot.index == self._index + 1
        self._index = snapshot.index
        if not snapshot.has_value:
            return HIDDEN
        open_path = snapshot.open_path
        if (
            contiguous
            and not snapshot.changed
            and open_path == self._open_path
            and self._last is not _NOTHING
        ):
            # Nothing visible changed (whitespace, a key, part of a number).
            if self._last is HIDDEN:
                return HIDDEN
            return self._tag(_fresh(self._last), self._open_rel, (), snapshot)
        ctx = self._ctx
        ctx.reset(snapshot.changed, contiguous=contiguous)
        out, open_rel = self._convert(snapshot.value, open_path, ctx)
        self._last = out
        self._open_path = open_path
        self._open_rel = open_rel
        if out is HIDDEN:
            return HIDDEN
        changes = tuple(dict.fromkeys(ctx.changes))  # without duplicates, in order
        return self._tag(out, open_rel, changes, snapshot)

    def _convert(self, value: Any, open_path: Path | None, ctx: Ctx) -> tuple[Any, Any]:
        if open_path is None:
            if value is not self._root_src:
                node, self._node = self._node, None
                if node is not None:
                    self._root = node.finish(value, ctx, (), ())
                else:
                    self._root = self._shape.closed(value, ctx, ())
                self._root_src = value
                ctx.changes.append(())
            root = self._root
            if root is INVALID:
                return HIDDEN, None
            return _fresh(root), None
        node = self._node
        if node is None:
            node = self._node = self._shape.open(kind_of(value))
            if isinstance(node, ListNode):
                node.make = PartialList
            elif isinstance(node, DictNode):
                node.make = PartialDict
        out = node.update(value, open_path, ctx, (), ())
        if out is HIDDEN:
            return HIDDEN, None
        if not self._visible:
            self._visible = True
            ctx.changes.append(())
        return out, node.open_rel

    def _tag(
        self,
        out: Any,
        open_rel: Path | None,
        changes: tuple[Path, ...],
        snapshot: JsonSnapshot,
    ) -> Any:
        if isinstance(out, BaseModel | PartialList | PartialDict):
            object.__setattr__(out, OPEN_SLOT, open_rel)
            object.__setattr__(
                out,
                SOURCE_SLOT,
                Emission(
                    seq=self._seq,
                    snapshot=snapshot,
                    changes=changes,
                    done=snapshot.done,
                ),
            )
        self._seq += 1
        return out


def _fresh(root: Any) -> Any:
    """A new object for a complete root, so that each emission has its own tag."""
    if isinstance(root, BaseModel):
        return root.__copy__()
    if isinstance(root, list):
        return PartialList(root)
    if isinstance(root, dict):
        return PartialDict(root)
    return root
