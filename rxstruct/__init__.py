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

import typing as _typing

from ._operators.json_patch import PatchOperation, apply_patch
from ._partial import (
    Atomic,
    HoldUntilPresent,
    Partial,
    PartialBuilder,
    completed,
    is_complete,
    partial_model,
)
from ._public import publish as _publish
from .events import (
    FieldCompleted,
    FinalResult,
    Finished,
    ItemsDropped,
    ListItem,
    PartialUpdate,
    Retrying,
    StreamEnded,
    StreamEvent,
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
    to_json_patch,
    to_partial,
    validate_final,
)

if _typing.TYPE_CHECKING:
    from .structured import (
        AsyncStructuredStream,
        StructuredStream,
        TransportRetry,
        retry_with_feedback,
        stream,
    )
    from .web import to_sse

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
    "PatchOperation",
    "PathPattern",
    "RefusalError",
    "RetriesExhaustedError",
    "Retrying",
    "RxStructError",
    "SourceError",
    "StreamEnded",
    "StreamEvent",
    "StreamStalledError",
    "StructuredStream",
    "TransportRetry",
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
    "retry_with_feedback",
    "stream",
    "to_json_patch",
    "to_partial",
    "to_sse",
    "validate_final",
]

# The names above that are not imported yet (only for type checkers) load on
# first use: the structured call imports the OpenAI SDK (about a second), and the
# web room sits above the face.
_LAZY = frozenset(name for name in __all__ if name not in globals())


def __getattr__(name: str) -> _typing.Any:
    if name == "to_sse":
        from .web import to_sse

        globals()[name] = to_sse
        return to_sse
    if name in _LAZY:
        from . import structured

        value = getattr(structured, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Classes and functions from private modules show their public home (the
# structured names and to_sse live in public modules, loaded on first use).
_publish(globals(), [name for name in __all__ if name not in _LAZY])
