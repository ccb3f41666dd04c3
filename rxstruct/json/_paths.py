"""Paths into JSON values, and the pattern syntax operators use to name them.

A *path* is a tuple of object keys (``str``) and list indices (``int``) from the
root: ``("recipes", 2, "name")``. A *pattern* is written as a string:

- ``"title"``: the field ``title`` of the root object;
- ``"recipes[2].name"``: field ``name`` of element 2 of ``recipes``;
- ``"recipes[*].name"``: the field ``name`` of every element of ``recipes``;
- ``"[*]"``: every element of a top-level list; ``""`` is the root itself;
- ``'["odd.key"].x'``: keys holding ``.``, ``[`` or ``]`` go in brackets, quoted.
"""

from __future__ import annotations

import json
import re
from typing import Final, TypeAlias

from ..exceptions import UsageError

__all__ = [
    "Path",
    "PathPattern",
    "WILDCARD",
    "format_path",
    "parse_pattern",
]

Path: TypeAlias = tuple[str | int, ...]
"""A concrete position in a JSON value: keys and indices from the root."""


class _Wildcard:
    """The ``[*]`` component of a pattern: any list index."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "WILDCARD"


WILDCARD: Final = _Wildcard()
"""Matches any list index in a :class:`PathPattern`."""

_TOKEN = re.compile(
    r"""
    (?P<dot>\.)?
    (?:
        (?P<name>[^.\[\]]+)
      | \[ \s* (?:
            (?P<star>\*)
          | (?P<index>-?\d+)
          | (?P<quoted>"(?:[^"\\]|\\.)*")
        ) \s* \]
    )
    """,
    re.VERBOSE,
)


class PathPattern:
    """A parsed path pattern; matches concrete :data:`Path` tuples.

    This one syntax names places in every rxstruct operator that takes a path
    (``new_list_items``, ``distinct_fields``, ``completed_fields``):

    - ``"title"``: the field ``title`` of the root object;
    - ``"recipes[2].name"``: field ``name`` of element 2 of ``recipes``;
    - ``"recipes[*].name"``: the field ``name`` of every element of ``recipes``;
    - ``"[*]"``: every element of a top-level list; ``""`` is the root itself;
    - ``'["odd.key"].x'``: keys holding ``.``, ``[`` or ``]`` go in brackets,
      quoted as JSON strings.

    Example:
        >>> p = PathPattern.parse("recipes[*].name")
        >>> p.matches(("recipes", 3, "name"))
        True
        >>> p.is_prefix_of(("recipes", 3))
        True
        >>> p.matches(("recipes", 3))
        False
        >>> p.matches_prefix_of(("recipes", 3, "name", 0))
        True
    """

    __slots__ = ("parts", "source")

    def __init__(self, parts: tuple[str | int | _Wildcard, ...], source: str) -> None:
        self.parts = parts
        self.source = source

    @classmethod
    def parse(cls, pattern: str) -> PathPattern:
        """Parse ``pattern``; raises :class:`UsageError` on bad syntax."""
        return cls(parse_pattern(pattern), pattern)

    def matches(self, path: Path) -> bool:
        """True when ``path`` is exactly a position this pattern names."""
        return len(path) == len(self.parts) and self._match_from(path)

    def matches_prefix_of(self, path: Path) -> bool:
        """True when ``path`` is at or below a position this pattern names."""
        return len(path) >= len(self.parts) and self._match_from(path)

    def is_prefix_of(self, path: Path) -> bool:
        """True when ``path`` is a strict ancestor of a position this names."""
        parts = self.parts
        if len(path) >= len(parts):
            return False
        for want, got in zip(parts, path, strict=False):
            if want is WILDCARD:
                if not isinstance(got, int):
                    return False
            elif want != got:
                return False
        return True

    def overlaps(self, path: Path) -> bool:
        """True when ``path`` is an ancestor of, equal to, or below the pattern."""
        return self.matches_prefix_of(path) or self.is_prefix_of(path)

    def _match_from(self, path: Path) -> bool:
        for want, got in zip(self.parts, path, strict=False):
            if want is WILDCARD:
                if not isinstance(got, int):
                    return False
            elif want != got or type(want) is not type(got):
                return False
        return True

    def __repr__(self) -> str:
        return f"PathPattern({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathPattern) and other.parts == self.parts

    def __hash__(self) -> int:
        return hash(self.parts)


def parse_pattern(pattern: str) -> tuple[str | int | _Wildcard, ...]:
    """Parse a pattern string into its components.

    Example:
        >>> parse_pattern('sections[*].paragraphs')
        ('sections', WILDCARD, 'paragraphs')
    """
    if not isinstance(pattern, str):
        raise UsageError(f"a path pattern is a string, got {pattern!r}")
    parts: list[str | int | _Wildcard] = []
    pos = 0
    text = pattern.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or (m.group("dot") and not parts and m.start() == 0):
            raise UsageError(f"bad path pattern {pattern!r} at character {pos}")
        if m.group("dot") and m.group("name") is None:
            raise UsageError(f"bad path pattern {pattern!r}: '.' before '['")
        if parts and m.group("name") is not None and not m.group("dot"):
            raise UsageError(f"bad path pattern {pattern!r} at character {pos}")
        if m.group("name") is not None:
            parts.append(m.group("name").strip())
        elif m.group("star"):
            parts.append(WILDCARD)
        elif m.group("index") is not None:
            parts.append(int(m.group("index")))
        else:
            key = json.loads(m.group("quoted"))
            parts.append(key)
        pos = m.end()
    return tuple(parts)


_SIMPLE_KEY = re.compile(r"[^.\[\]\"\s]+")


def format_path(path: Path) -> str:
    """Write a concrete path in the pattern syntax.

    Example:
        >>> format_path(("recipes", 2, "name"))
        'recipes[2].name'
        >>> format_path(())
        '(root)'
    """
    if not path:
        return "(root)"
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _SIMPLE_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)
