"""The conversion context of one snapshot, and the "no value" markers.

Three markers, three meanings (never shown to users):

- :data:`HIDDEN`: an open value that must not be shown yet (a number, a
  ``Literal``, an ``Atomic`` field, a union whose arm is not decided); it
  travels up from a node and the parent leaves that child out;
- :data:`INVALID`: a complete value that does not fit its type; the field
  stays unset, a list stops before it, a dict omits the key;
- :data:`ABSENT`: "nothing here" in a lookup or a cache (a missing key, a
  result not computed yet), where ``None`` is a legitimate value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from ..exceptions import PartialValidationError
from ..json import JsonSnapshot, OpenContainer, Path, format_path

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ABSENT", "HIDDEN", "INVALID", "ConversionContext"]


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


HIDDEN: Final[Any] = _Marker("HIDDEN")
"""An open value not shown yet."""
INVALID: Final[Any] = _Marker("INVALID")
"""A complete value that does not fit its type."""
ABSENT: Final[Any] = _Marker("ABSENT")
"""Nothing here (a lookup that found nothing, a cache not filled yet)."""


class ConversionContext:
    """What the nodes of one builder share while converting one snapshot.

    The context references the snapshot; the builder reads the open containers
    once per chunk (it compares them by identity anyway) and hands them in, and
    the open string's text is read once here. Nodes follow the open path by
    level: the node at level ``i`` follows ``frames[i]``, the one at level
    ``depth`` the open string.

    Attributes:
        raise_invalid: ``on_invalid="error"``: raise instead of ``INVALID``.
        changes: Python paths (field names) whose visible value or completion
            changed in this snapshot.
        snapshot: The snapshot being converted.
        contiguous: The snapshot directly follows the previous one (else the
            changes are unknown: assume some).
        frames: ``snapshot.open_containers``.
        depth: ``len(frames)``.
        leaf: ``snapshot.open_string``: the visible text of the open string.
        quiet: A twin whose change log is thrown away, for conversions of
            values that closed unseen (their parent records one change).
    """

    __slots__ = (
        "changes",
        "contiguous",
        "depth",
        "frames",
        "leaf",
        "quiet",
        "raise_invalid",
        "snapshot",
    )

    def __init__(
        self, raise_invalid: bool, *, _quiet: ConversionContext | None = None
    ) -> None:
        self.raise_invalid = raise_invalid
        self.changes: list[Path] = []
        self.snapshot: JsonSnapshot | None = None
        self.contiguous = False
        self.frames: tuple[OpenContainer, ...] = ()
        self.depth = 0
        self.leaf: str | None = None
        self.quiet: ConversionContext = _quiet if _quiet is not None else self

    @classmethod
    def create(cls, raise_invalid: bool) -> ConversionContext:
        """A context plus its quiet twin."""
        quiet = cls(raise_invalid)
        return cls(raise_invalid, _quiet=quiet)

    def start(
        self,
        snapshot: JsonSnapshot,
        frames: tuple[OpenContainer, ...],
        contiguous: bool,
    ) -> None:
        """Start converting ``snapshot`` (``frames``: its open containers)."""
        self.changes = []
        self.snapshot = snapshot
        self.contiguous = contiguous
        self.frames = frames
        self.depth = len(frames)
        self.leaf = snapshot.open_string
        quiet = self.quiet
        if quiet.changes:
            quiet.changes = []

    def open_kind(self, level: int) -> type | None:
        """The JSON kind of the visible open child of ``frames[level]``, if any."""
        below = level + 1
        if below < self.depth:
            return self.frames[below].kind
        return str if self.leaf is not None else None

    def json_path(self, level: int) -> Path:
        """The JSON path of the open value at ``level``."""
        if level < self.depth:
            return self.frames[level].path
        return self.open_path

    @property
    def open_path(self) -> Path:
        """The snapshot's open path (``()`` when none)."""
        snapshot = self.snapshot
        found = snapshot.open_path if snapshot is not None else None
        return () if found is None else found

    def invalid(
        self,
        explain: Callable[[Any], ValidationError],
        value: Any,
        json_path: Path,
        error: ValidationError | None = None,
    ) -> Any:
        """``INVALID``, or raise :class:`PartialValidationError` when asked to.

        Args:
            explain: Makes the pydantic error saying why ``value`` does not
                fit, when ``error`` is not given (called only to raise).
            value: The complete JSON value.
            json_path: Where it is.
            error: The pydantic error already at hand, if any.
        """
        if not self.raise_invalid:
            return INVALID
        if error is None:
            error = explain(value)
        first = error.errors()[0]["msg"] if error.error_count() else "invalid value"
        raise PartialValidationError(
            f"invalid value at {format_path(json_path)}: {first}",
            error,
            path=json_path,
        )
