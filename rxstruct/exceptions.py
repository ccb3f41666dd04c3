"""Every exception rxstruct raises, in one place.

The tree::

    RxStructError
    ├── UsageError                  bad arguments, raised when a pipeline is built
    ├── JsonError                   positioned: .offset, .line, .column, .excerpt
    │   ├── JsonStreamError         the text is not JSON (malformed), or not the
    │   │                           JSON wanted (strict=True: text around it;
    │   │                           expect=: JSON of another kind)
    │   │   └── JsonLimitError      the text exceeds a configured limit (depth, size,
    │   │                           string length)
    │   └── IncompleteJsonError     the stream ended inside the value
    ├── ValidationFailedError       pydantic rejected a value: .errors()
    │   ├── PartialValidationError  to_partial(on_invalid="error"): a completed field
    │   ├── ItemValidationError     new_list_items: one list element (.index, .path)
    │   └── FinalValidationError    validate_final: the whole document (.raw,
    │                               .retry_messages())
    ├── SourceError                 the token source failed: .cause, .status_code
    │   └── StreamStalledError      no chunk arrived within stall_timeout (.timeout)
    ├── RefusalError                the model refused to answer (.refusal)
    ├── ContentFilterError          the provider's content filter stopped the answer
    └── RetriesExhaustedError       every attempt failed: .attempts (each a
                                    FailedAttempt: .attempt, .error, .raw)

Stream errors travel through ``on_error``; only :class:`UsageError` is raised
directly, at the moment a pipeline is assembled::

    >>> import rxstruct as rs
    >>> try:
    ...     rs.PartialJsonDecoder().feed('{"a": tru}')
    ... except rs.JsonStreamError as exc:
    ...     print(exc.offset, exc.line, exc.column)
    6 1 7
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ContentFilterError",
    "FailedAttempt",
    "FinalValidationError",
    "IncompleteJsonError",
    "ItemValidationError",
    "JsonError",
    "JsonLimitError",
    "JsonStreamError",
    "PartialValidationError",
    "RefusalError",
    "RetriesExhaustedError",
    "RxStructError",
    "SourceError",
    "StreamStalledError",
    "UsageError",
    "ValidationFailedError",
]


class RxStructError(Exception):
    """Base class of every error rxstruct raises or sends to ``on_error``."""


class UsageError(RxStructError, ValueError):
    """An operator or decoder was given arguments it cannot work with."""


def _excerpt(text: str, offset: int, radius: int = 20) -> str:
    start = max(0, offset - radius)
    end = min(len(text), offset + radius)
    before = text[start:offset]
    after = text[offset:end]
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(text) else ""
    return f"{prefix}{before!r}>>>{after!r}{suffix}"


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class JsonError(RxStructError):
    """A problem at a known position of the streamed text.

    Attributes:
        reason: What is wrong, without the position.
        offset: 0-based character offset into the accumulated text.
        line: 1-based line of ``offset``.
        column: 1-based column of ``offset``.
        excerpt: A short piece of the text around ``offset``; ``>>>`` marks it.
    """

    def __init__(self, reason: str, text: str, offset: int) -> None:
        self.reason = reason
        self.offset = offset
        self.line, self.column = _line_column(text, offset)
        self.excerpt = _excerpt(text, offset)
        super().__init__(
            f"{reason} at line {self.line} column {self.column} "
            f"(char {offset}): {self.excerpt}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[Exception], args: tuple[Any, ...], state: dict[str, Any]
) -> Exception:
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class JsonStreamError(JsonError):
    """The streamed text is not valid JSON, or not the JSON asked for.

    A malformed value (``[1,]``, ``{'a': 1}``, ``[01]``); in strict mode also
    anything but whitespace before or after the value; with ``expect=`` a
    container of a kind not expected (``[{...}]`` when an object is).
    """


class JsonLimitError(JsonStreamError):
    """The streamed text exceeds a limit of the decoder.

    Attributes:
        limit: Which limit: ``"max_depth"``, ``"max_size"`` or ``"max_string_length"``.
        maximum: The configured maximum that was exceeded.
    """

    def __init__(
        self, reason: str, text: str, offset: int, *, limit: str, maximum: int
    ) -> None:
        self.limit = limit
        self.maximum = maximum
        super().__init__(reason, text, offset)


class IncompleteJsonError(JsonError):
    """The stream ended before the JSON value was complete.

    Typical cause: the model stopped on its token limit. ``offset`` is the end of
    the text; ``open_path`` tells where the value was cut (``()`` is the root).
    """

    def __init__(
        self,
        reason: str,
        text: str,
        offset: int,
        *,
        open_path: tuple[str | int, ...] | None = None,
    ) -> None:
        self.open_path = open_path
        super().__init__(reason, text, offset)


class ValidationFailedError(RxStructError):
    """Pydantic rejected a value; the pydantic errors are kept.

    Attributes:
        validation_error: The original :class:`pydantic.ValidationError`.
    """

    def __init__(self, message: str, validation_error: Exception) -> None:
        self.validation_error = validation_error
        super().__init__(message)

    def errors(self) -> Sequence[Any]:
        """The pydantic error list (``ValidationError.errors()``)."""
        errors = getattr(self.validation_error, "errors", None)
        return list(errors()) if callable(errors) else []


class PartialValidationError(ValidationFailedError):
    """A completed field of a partial object is invalid (``on_invalid="error"``).

    Attributes:
        path: Where the invalid value sits, e.g. ``("recipes", 0, "prep_time")``.
    """

    def __init__(
        self, message: str, validation_error: Exception, *, path: tuple[str | int, ...]
    ) -> None:
        self.path = path
        super().__init__(message, validation_error)


class ItemValidationError(ValidationFailedError):
    """A completed list element failed validation in ``new_list_items``.

    Attributes:
        index: The element's index in its list.
        path: The element's full path, e.g. ``("recipes", 3)``.
    """

    def __init__(
        self,
        message: str,
        validation_error: Exception,
        *,
        index: int,
        path: tuple[str | int, ...],
    ) -> None:
        self.index = index
        self.path = path
        super().__init__(message, validation_error)


class FinalValidationError(ValidationFailedError):
    """The complete document failed strict validation in ``validate_final``.

    Attributes:
        raw: The complete text the model produced.
        model_name: The name of the model validated against.
    """

    def __init__(
        self,
        message: str,
        validation_error: Exception,
        *,
        raw: str,
        model_name: str,
    ) -> None:
        self.raw = raw
        self.model_name = model_name
        super().__init__(message, validation_error)

    def feedback(self) -> str:
        """A message for the model that says what to fix, for a retry."""
        lines = [
            f"Your previous answer was not a valid {self.model_name}. Errors:",
        ]
        for error in self.errors():
            location = ".".join(str(part) for part in error.get("loc", ())) or "(root)"
            lines.append(f"- {location}: {error.get('msg', 'invalid')}")
        lines.append("Answer again with corrected JSON only.")
        return "\n".join(lines)

    def retry_messages(self) -> list[dict[str, str]]:
        """Chat messages to append to a conversation to re-ask the model.

        Returns the model's own answer as an ``assistant`` message followed by a
        ``user`` message carrying :meth:`feedback`.
        """
        return [
            {"role": "assistant", "content": self.raw},
            {"role": "user", "content": self.feedback()},
        ]


class SourceError(RxStructError):
    """The token source failed: an error status, a broken connection, a stall.

    Sent to ``on_error`` by the sources in :mod:`rxstruct.sources.openai`; the
    provider's own exception is kept, so nothing is lost by catching this one::

        >>> from rxstruct.exceptions import SourceError
        >>> err = SourceError("the model server answered 500", status_code=500)
        >>> err.status_code, str(err)
        (500, 'the model server answered 500')

    Attributes:
        cause: The exception that ended the stream (for OpenAI,
            ``openai.APIStatusError`` or ``openai.APIConnectionError``), also
            set as ``__cause__``; ``None`` when rxstruct itself detected the
            failure.
        status_code: The HTTP status of an error response, ``None`` when there
            was none (a dropped connection, a stall).
    """

    def __init__(
        self,
        message: str,
        *,
        cause: BaseException | None = None,
        status_code: int | None = None,
    ) -> None:
        self.cause = cause
        self.status_code = status_code
        super().__init__(message)
        self.__cause__ = cause

    def __reduce__(self) -> tuple[Any, ...]:
        # The provider's exception holds a live HTTP response: not picklable.
        state = {**self.__dict__, "cause": None}
        return (_rebuild, (type(self), self.args, state))


class StreamStalledError(SourceError):
    """No chunk arrived within ``stall_timeout`` seconds; the request was closed.

    Attributes:
        timeout: The ``stall_timeout`` that ran out, in seconds.
        chunks: How many chunks had arrived before the stall.
    """

    def __init__(self, message: str, *, timeout: float, chunks: int) -> None:
        self.timeout = timeout
        self.chunks = chunks
        super().__init__(message)


class RefusalError(RxStructError):
    """The model refused to answer (an OpenAI ``refusal`` instead of JSON).

    Attributes:
        refusal: The model's refusal text.
    """

    def __init__(self, message: str, *, refusal: str) -> None:
        self.refusal = refusal
        super().__init__(message)


class ContentFilterError(RxStructError):
    """The provider's content filter stopped the answer.

    Sent when the stream ends with ``finish_reason="content_filter"``; the
    text written until then is kept.

    Attributes:
        raw: The text the model had written when it was stopped.
    """

    def __init__(self, message: str, *, raw: str) -> None:
        self.raw = raw
        super().__init__(message)


@dataclass(frozen=True, kw_only=True)
class FailedAttempt:
    """One attempt of a retried call, and why it failed.

    Example:
        >>> FailedAttempt(attempt=1, error=SourceError("HTTP 500"), raw="")
        FailedAttempt(attempt=1, error=SourceError('HTTP 500'), raw='')
    """

    attempt: int
    """The attempt's number, 1 for the first request."""

    error: Exception
    """What made it fail (a ``FinalValidationError``, a ``SourceError``, ...)."""

    raw: str = ""
    """The text the model wrote in that attempt (empty if none arrived)."""


class RetriesExhaustedError(RxStructError):
    """Every attempt allowed failed (re-asks, transport retries, or the deadline).

    The last attempt's error is also ``__cause__``; what the model wrote in
    each attempt is kept::

        >>> err = RetriesExhaustedError([
        ...     FailedAttempt(attempt=1, error=SourceError("HTTP 500"), raw=""),
        ...     FailedAttempt(attempt=2, error=SourceError("HTTP 503"), raw=""),
        ... ])
        >>> print(err)
        2 attempts failed; the last: HTTP 503
          attempt 1: SourceError: HTTP 500
          attempt 2: SourceError: HTTP 503
        >>> err.last_error
        SourceError('HTTP 503')

    Attributes:
        attempts: Every attempt, in order.
    """

    def __init__(self, attempts: Sequence[FailedAttempt], reason: str = "") -> None:
        if not attempts:
            raise UsageError("RetriesExhaustedError needs at least one attempt")
        self.attempts = tuple(attempts)
        last = self.attempts[-1].error
        lines = [
            f"{len(self.attempts)} attempts failed{reason}; the last: {last}",
            *(
                f"  attempt {a.attempt}: {type(a.error).__name__}: {a.error}"
                for a in self.attempts
            ),
        ]
        super().__init__("\n".join(lines))
        self.__cause__ = last

    @property
    def last_error(self) -> Exception:
        """The error of the last attempt."""
        return self.attempts[-1].error

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))
