"""Completion state of partial values: which fields are final."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..exceptions import UsageError
from ..json import WILDCARD, Path, format_path, parse_pattern
from ._base import OPEN_SLOT
from ._context import ABSENT

__all__ = ["completed", "is_complete"]


def _open_subpath(value: Any) -> Path | None:
    """The open path recorded on a partial value; None (complete) when absent."""
    found = getattr(value, OPEN_SLOT, None)
    return found if isinstance(found, tuple) else None


def completed(partial: Any) -> frozenset[str]:
    """The paths of ``partial`` whose values are final.

    Paths are relative to ``partial``, in the pattern syntax with Python field
    names: ``"title"``, ``"ingredients[2]"``, ``"author.name"``. A path is
    complete when its value will not change any more: every field of a
    completed object (including fields still ``None`` because the object
    closed without them), every element of a list but the one being written,
    and so on down. Fields not yet seen are not listed.

    Works on what ``to_partial`` emits (and on anything inside it); any other
    model, list or dict counts as complete.

    Args:
        partial: A partial instance, or a list/dict emitted by ``to_partial``.

    Returns:
        The complete paths (the object itself is not listed: see
        :func:`is_complete`).

    Raises:
        UsageError: ``partial`` is not a model, list or dict.

    Example:
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> class Recipe(BaseModel):
        ...     name: str
        ...     tags: list[str]
        >>> dec = rs.PartialJsonDecoder()
        >>> snap = dec.feed('{"name": "Soup", "tags": ["hot", "che')
        >>> p = rs.PartialBuilder(Recipe).feed(snap)
        >>> sorted(rs.completed(p))
        ['name', 'tags[0]']
    """
    if not isinstance(partial, BaseModel | list | dict):
        raise UsageError(
            f"completed() takes a partial model, list or dict, got {partial!r}"
        )
    out: list[Path] = []
    _collect(partial, (), _open_subpath(partial), out)
    return frozenset(format_path(path) for path in out)


def _children(value: Any) -> list[tuple[str | int, Any]]:
    if isinstance(value, BaseModel):
        complete = _open_subpath(value) is None
        names = (
            list(type(value).model_fields)
            if complete
            else [n for n in type(value).model_fields if n in value.model_fields_set]
        )
        pairs: list[tuple[str | int, Any]] = [(n, getattr(value, n)) for n in names]
        extra = value.__pydantic_extra__
        if extra:
            pairs.extend(extra.items())
        return pairs
    if isinstance(value, list):
        return list(enumerate(value))
    if isinstance(value, dict):
        return [(_path_part(key), item) for key, item in value.items()]
    return []


def _path_part(key: Any) -> str | int:
    """A dict key as a path part: str and int keys as they are, others as text.

    ``dict[int, str]`` entries are ``"names[1]"``, as their path in the
    partial value (the builder records converted keys).
    """
    if type(key) is str or type(key) is int:
        return key
    return str(getattr(key, "value", key))


def _collect(
    value: Any, prefix: Path, open_subpath: Path | None, out: list[Path]
) -> None:
    for part, child in _children(value):
        path = (*prefix, part)
        if open_subpath is None:
            out.append(path)
            _collect(child, path, None, out)
        elif open_subpath and _path_part(open_subpath[0]) == part:
            _collect(child, path, open_subpath[1:], out)
        else:
            out.append(path)
            _collect(child, path, None, out)


def is_complete(partial: Any, path: str = "") -> bool:
    """Whether the value at ``path`` of ``partial`` is there and final.

    Args:
        partial: A partial instance, or a list/dict emitted by ``to_partial``.
        path: A concrete path in the pattern syntax with Python field names
            (``"steps[0].text"``); ``""`` (default) asks about ``partial``
            itself.

    Returns:
        True when the value exists and will not change any more.

    Raises:
        UsageError: ``path`` is not a concrete path (e.g. holds ``[*]``).

    Example:
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> class Recipe(BaseModel):
        ...     name: str
        ...     tags: list[str]
        >>> snap = rs.PartialJsonDecoder().feed('{"name": "Soup", "tags": ["h')
        >>> p = rs.PartialBuilder(Recipe).feed(snap)
        >>> rs.is_complete(p, "name"), rs.is_complete(p, "tags"), rs.is_complete(p)
        (True, False, False)
    """
    parts = parse_pattern(path)
    if any(part is WILDCARD for part in parts):
        raise UsageError(f"is_complete() needs a concrete path, got {path!r}")
    open_subpath = _open_subpath(partial)
    node = partial
    for part in parts:
        node = dict(_children(node)).get(part, ABSENT)  # type: ignore[arg-type]  # no WILDCARD
        if node is ABSENT:
            return False
        if open_subpath is None:
            continue
        if open_subpath and _path_part(open_subpath[0]) == part:
            open_subpath = open_subpath[1:]
        else:
            open_subpath = None
    return open_subpath is None
