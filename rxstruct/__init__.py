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

from .exceptions import (
    FinalValidationError,
    IncompleteJsonError,
    ItemValidationError,
    JsonError,
    JsonLimitError,
    JsonStreamError,
    PartialValidationError,
    RxStructError,
    UsageError,
    ValidationFailedError,
)
from .json import JsonSnapshot, PartialJsonDecoder, PathPattern, format_path
from .operators import accumulate_json

__version__ = "0.1.0"

__all__ = [
    "FinalValidationError",
    "IncompleteJsonError",
    "ItemValidationError",
    "JsonError",
    "JsonLimitError",
    "JsonSnapshot",
    "JsonStreamError",
    "PartialJsonDecoder",
    "PartialValidationError",
    "PathPattern",
    "RxStructError",
    "UsageError",
    "ValidationFailedError",
    "accumulate_json",
    "format_path",
]
