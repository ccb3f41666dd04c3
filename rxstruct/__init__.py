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

from ._operators.fields import FieldCompleted
from ._operators.lists import ListItem
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
from .operators import accumulate_json, completed_fields, debounce, new_list_items

__version__ = "0.1.0"

__all__ = [
    "FieldCompleted",
    "FinalValidationError",
    "IncompleteJsonError",
    "ItemValidationError",
    "JsonError",
    "JsonLimitError",
    "JsonSnapshot",
    "JsonStreamError",
    "ListItem",
    "PartialJsonDecoder",
    "PartialValidationError",
    "PathPattern",
    "RxStructError",
    "SourceError",
    "StreamStalledError",
    "UsageError",
    "ValidationFailedError",
    "accumulate_json",
    "completed_fields",
    "debounce",
    "format_path",
    "new_list_items",
]
