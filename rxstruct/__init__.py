"""rxstruct: LLM token streams as ReactiveX pipelines of typed, partial objects.

Example:
    >>> import reactivex as rx
    >>> import rxstruct as rs
    >>> chunks = rx.of('{"title": "Hel', 'lo"}')
    >>> _ = chunks.pipe(rs.accumulate_json()).subscribe(lambda s: print(s.value))
    {'title': 'Hel'}
    {'title': 'Hello'}
    {'title': 'Hello'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._operators.fields import FieldCompleted
from ._operators.json_patch import PatchOperation, apply_patch
from ._operators.lists import ListItem
from ._partial import (
    Atomic,
    HoldUntilPresent,
    Partial,
    PartialBuilder,
    completed,
    is_complete,
    partial_model,
)
from .exceptions import (
    FinalValidationError,
    IncompleteJsonError,
    ItemValidationError,
    JsonError,
    JsonLimitError,
    JsonStreamError,
    PartialValidationError,
    RxStructError,
    SourceError,
    StreamStalledError,
    UsageError,
    ValidationFailedError,
)
from .json import JsonSnapshot, PartialJsonDecoder, PathPattern, format_path
from .operators import (
    accumulate_json,
    completed_fields,
    debounce,
    distinct_fields,
    new_list_items,
    to_json_patch,
    to_partial,
    validate_final,
)

if TYPE_CHECKING:
    from .web import to_sse

__version__ = "0.1.0"

__all__ = [
    "Atomic",
    "FieldCompleted",
    "FinalValidationError",
    "HoldUntilPresent",
    "IncompleteJsonError",
    "ItemValidationError",
    "JsonError",
    "JsonLimitError",
    "JsonSnapshot",
    "JsonStreamError",
    "ListItem",
    "Partial",
    "PartialBuilder",
    "PartialJsonDecoder",
    "PartialValidationError",
    "PatchOperation",
    "PathPattern",
    "RxStructError",
    "SourceError",
    "StreamStalledError",
    "UsageError",
    "ValidationFailedError",
    "accumulate_json",
    "apply_patch",
    "completed",
    "completed_fields",
    "debounce",
    "distinct_fields",
    "format_path",
    "is_complete",
    "new_list_items",
    "partial_model",
    "to_json_patch",
    "to_partial",
    "to_sse",
    "validate_final",
]

PatchOperation.__module__ = apply_patch.__module__ = __name__


def __getattr__(name: str) -> Any:
    # The web room sits above the face: imported on first use only.
    if name == "to_sse":
        from .web import to_sse

        globals()[name] = to_sse
        return to_sse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
