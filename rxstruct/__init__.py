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
from .events import FieldCompleted, ListItem
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
    to_partial,
    validate_final,
)

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
    "PathPattern",
    "RxStructError",
    "SourceError",
    "StreamStalledError",
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
    "to_partial",
    "validate_final",
]

# Classes and functions from private modules show their public home.
_publish(globals(), __all__)
