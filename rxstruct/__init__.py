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
    ContentFilterError,
    FailedAttempt,
    FinalValidationError,
    IncompleteJsonError,
    ItemValidationError,
    JsonError,
    JsonLimitError,
    JsonStreamError,
    PartialValidationError,
    RefusalError,
    RetriesExhaustedError,
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
    to_partial,
    validate_final,
)

if TYPE_CHECKING:
    from .structured import (
        AsyncStructuredStream,
        FinalResult,
        Finished,
        ItemsDropped,
        PartialUpdate,
        Retrying,
        StreamEvent,
        StructuredStream,
        TransportRetry,
        retry_with_feedback,
        stream,
    )

__version__ = "0.1.0"

__all__ = [
    "AsyncStructuredStream",
    "Atomic",
    "ContentFilterError",
    "FailedAttempt",
    "FieldCompleted",
    "FinalResult",
    "FinalValidationError",
    "Finished",
    "HoldUntilPresent",
    "IncompleteJsonError",
    "ItemValidationError",
    "ItemsDropped",
    "JsonError",
    "JsonLimitError",
    "JsonSnapshot",
    "JsonStreamError",
    "ListItem",
    "Partial",
    "PartialBuilder",
    "PartialJsonDecoder",
    "PartialUpdate",
    "PartialValidationError",
    "PathPattern",
    "RefusalError",
    "RetriesExhaustedError",
    "Retrying",
    "RxStructError",
    "SourceError",
    "StreamEvent",
    "StreamStalledError",
    "StructuredStream",
    "TransportRetry",
    "UsageError",
    "ValidationFailedError",
    "accumulate_json",
    "completed",
    "completed_fields",
    "debounce",
    "distinct_fields",
    "format_path",
    "is_complete",
    "new_list_items",
    "partial_model",
    "retry_with_feedback",
    "stream",
    "to_partial",
    "validate_final",
]

_STRUCTURED = (
    "AsyncStructuredStream",
    "FinalResult",
    "Finished",
    "ItemsDropped",
    "PartialUpdate",
    "Retrying",
    "StreamEvent",
    "StructuredStream",
    "TransportRetry",
    "retry_with_feedback",
    "stream",
)


def __getattr__(name: str) -> Any:
    # The structured call imports the OpenAI SDK (about a second): on first use.
    if name in _STRUCTURED:
        from . import structured

        value = getattr(structured, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
