"""``new_list_items``: each list element once, validated, when it closes.

The operator reads :attr:`JsonSnapshot.completed`, the values the decoder saw
close in the chunk, so an element is emitted on the chunk that holds its
closing quote, bracket or (for numbers) the delimiter after it. No partial
values are compared and nothing is re-scanned: the cost per snapshot is the
number of values that closed in it.

It is written by hand rather than composed from ``flat_map``: several items
may close in one chunk, and they must all be emitted synchronously, inside the
snapshot's ``on_next``, so that they carry that chunk's time. ``flat_map``
re-schedules the inner sequence on the subscription's scheduler, which under a
``TestScheduler`` moves every item one tick later.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError
from reactivex import Observable, abc

from .._partial import OnInvalid
from ..events import ListItem
from ..exceptions import ItemValidationError, UsageError
from ..json import WILDCARD, Completed, JsonSnapshot, Path, PathPattern, format_path
from ._gate import Gate, completions_view

__all__ = [
    "new_list_items_",
    "parse_list_path",
    "type_adapter",
    "validate_json_value",
]

_ON_INVALID: tuple[OnInvalid, ...] = ("ignore", "error")


def parse_list_path(path: str | PathPattern | None) -> PathPattern:
    """The pattern naming the list(s); ``None`` and ``""`` are the root."""
    if path is None:
        return PathPattern((), "")
    if isinstance(path, PathPattern):
        return path
    if not isinstance(path, str):
        raise UsageError(
            f"path must be a string such as 'recipes' or None, got {path!r}"
        )
    return PathPattern.parse(path)


@functools.lru_cache(maxsize=256)
def _cached_adapter(item_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(item_type)


def type_adapter(item_type: Any) -> TypeAdapter[Any]:
    """A ``TypeAdapter`` for ``item_type``, shared between operators.

    A ``TypeAdapter`` instance is used as it is. Building one compiles a
    validator, so adapters of hashable types are cached: pipelines built per
    request do not pay for it again.

    Raises:
        UsageError: pydantic cannot build a validator for ``item_type``.
    """
    if isinstance(item_type, TypeAdapter):
        return item_type
    try:
        hash(item_type)
    except TypeError:
        hashable = False
    else:
        hashable = True
    try:
        if hashable:
            return _cached_adapter(item_type)
        return TypeAdapter(item_type)
    except Exception as exc:  # pydantic raises several kinds for a bad type
        raise UsageError(f"cannot validate items as {item_type!r}: {exc}") from exc


def validate_json_value(adapter: TypeAdapter[Any], value: Any) -> Any:
    """Validate a decoded JSON value with JSON semantics.

    ``validate_python`` accepts what JSON mode accepts for decoded JSON, except
    under strict mode, where for example a datetime or an enum must not come
    as a string in Python but may in JSON. So the fast Python path is tried
    first and only a rejected value is validated again as JSON text; the JSON
    verdict (and its errors) is the one that counts.
    """
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return adapter.validate_json(json.dumps(value, ensure_ascii=False))


def _type_name(item_type: Any) -> str:
    """How error messages name the item type: ``Recipe``, ``list[int]``."""
    if isinstance(item_type, TypeAdapter):
        item_type = getattr(item_type, "_type", item_type)
    if isinstance(item_type, type) and not getattr(item_type, "__args__", None):
        return item_type.__name__
    return repr(item_type)


def new_list_items_(
    item_type: Any,
    path: str | PathPattern | None = None,
    *,
    on_invalid: OnInvalid = "error",
) -> Callable[[Observable[JsonSnapshot]], Observable[ListItem[Any]]]:
    # Everything that can be wrong with the arguments fails here, eagerly.
    if on_invalid not in _ON_INVALID:
        raise UsageError(f"on_invalid must be 'ignore' or 'error', got {on_invalid!r}")
    list_pattern = parse_list_path(path)
    item_pattern = PathPattern(
        (*list_pattern.parts, WILDCARD), f"{list_pattern.source}[*]"
    )
    adapter = type_adapter(item_type)
    type_name = _type_name(item_type)
    wildcard_levels = tuple(
        level for level, part in enumerate(list_pattern.parts) if part is WILDCARD
    )
    list_depth = len(list_pattern.parts)
    ignore_invalid = on_invalid == "ignore"

    def start(
        observer: abc.ObserverBase[ListItem[Any]], gate: Gate[ListItem[Any]]
    ) -> Callable[[tuple[Completed, ...]], None]:
        # Lists seen closing. Only a repeated key can bring one back (JSON
        # leaves that undefined); its elements are not emitted again.
        closed: set[Path] = set()

        def on_completed_values(completed: tuple[Completed, ...]) -> None:
            for element_path, raw in completed:
                if not gate.is_open:
                    return
                depth = len(element_path)
                if depth == list_depth and list_pattern.matches(element_path):
                    if isinstance(raw, list):
                        closed.add(element_path)
                    continue
                if depth != list_depth + 1 or not item_pattern.matches(element_path):
                    continue
                if element_path[:-1] in closed:
                    continue
                index = cast(int, element_path[-1])
                try:
                    value = validate_json_value(adapter, raw)
                except ValidationError as exc:
                    if ignore_invalid:
                        continue
                    gate.error(
                        ItemValidationError(
                            f"list item {format_path(element_path)} "
                            f"(index {index}) is not a valid {type_name}: "
                            f"{exc}",
                            exc,
                            index=index,
                            path=element_path,
                        )
                    )
                    return
                except Exception as exc:  # a validator that crashed
                    gate.error(exc)
                    return
                observer.on_next(
                    ListItem(
                        index=index,
                        value=value,
                        path=element_path,
                        indices=tuple(
                            cast(int, element_path[level]) for level in wildcard_levels
                        ),
                    )
                )

        return on_completed_values

    return completions_view("new_list_items", start)
