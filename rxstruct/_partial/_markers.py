"""Markers for ``Annotated`` fields that change how a field streams."""

from __future__ import annotations

from typing import Final

__all__ = ["Atomic", "HoldUntilPresent"]


class _Marker:
    """An ``Annotated`` marker; pydantic ignores it, rxstruct reads it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"rxstruct.{self._name}"

    def __reduce__(self) -> str:
        return self._name


Atomic: Final = _Marker("Atomic")
"""Show the value only once it is complete: ``Annotated[str, rs.Atomic]``.

Without it a ``str`` grows while it is written and a list shows its finished
elements one by one. With it the field stays ``None`` until its last character
arrived, like a number or a ``Literal``: use it for URLs, ids, file paths, code.
It works at any depth, e.g. ``list[Annotated[str, rs.Atomic]]`` or a nested
model (which then appears only when complete).
"""

HoldUntilPresent: Final = _Marker("HoldUntilPresent")
"""Do not show an object until this field of it is present.

``id: Annotated[int, rs.HoldUntilPresent]`` on a list element's model keeps the
element out of the partial list until its ``id`` is there; on a nested
object it keeps the parent's field ``None``, on the top-level model it holds
back the first emission. "Present" means visible: a string is present from its
first character (add :data:`Atomic` to wait for the whole string), a number,
bool or ``Literal`` once complete. An object that completes without the field
is shown anyway: it is final, and ``validate_final`` will report the gap.
"""
