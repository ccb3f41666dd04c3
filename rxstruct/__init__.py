"""rxstruct: LLM token streams as ReactiveX pipelines of typed, partial objects."""

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

__version__ = "0.1.0"
