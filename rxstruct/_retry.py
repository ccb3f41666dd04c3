"""The retry engine: when to try again, how long to wait, what to tell the model.

Private; used by the structured call (:mod:`rxstruct._run`) and by
:func:`rxstruct.retry_with_feedback`. Three kinds of retry, told apart by
:attr:`Retrying.reason`:

- ``"reask"``: the answer arrived but is unusable (invalid JSON, cut by the
  token limit, a final that fails validation). The model's answer and what is
  wrong with it are appended to the messages and the call is made again.
- ``"transport"``: HTTP 429, 408, 409, 5xx, a refused or dropped connection,
  a stall, before the first token. The same request is sent again after an
  exponential backoff with jitter (or the server's ``Retry-After``).
- ``"restart"``: a transport error after tokens arrived, with
  ``TransportRetry(restart_after_tokens=True)``: the same request again, the
  views are reset as for a re-ask.

Views that outlive an attempt are rebuilt per attempt by :func:`across_attempts`,
which also applies the rule for values already shown (see
:class:`ItemsDropped`).
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, SerialDisposable
from reactivex.subject import Subject

from .exceptions import (
    FailedAttempt,
    FinalValidationError,
    IncompleteJsonError,
    JsonLimitError,
    JsonStreamError,
    SourceError,
    UsageError,
)

__all__ = [
    "ATTEMPT_KEY",
    "Reask",
    "TransportRetry",
    "across_attempts",
    "attempt_context",
    "feedback",
    "first_call_id",
    "is_reaskable",
    "is_transient",
    "reask_messages",
    "retry_after",
]

_S = TypeVar("_S")
_R = TypeVar("_R")

ATTEMPT_KEY = "rxstruct_attempt"
"""The validation-context key holding the attempt number (1 for the first)."""

Message = Mapping[str, Any]

Reask = Callable[[FailedAttempt, list[dict[str, Any]]], Sequence[Message]]
"""A hook that writes the messages appended after a failed attempt.

It gets the failed attempt and the messages rxstruct would append (the
model's answer, then what is wrong with it) and returns the messages to
append instead."""


# --- transport retries ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TransportRetry:
    """How rxstruct retries a request that failed before the model answered.

    Give one to ``rs.stream(..., transport_retry=...)`` (or to
    :func:`rxstruct.retry_with_feedback`) to let rxstruct retry HTTP 429, 408,
    409, 5xx, refused or dropped connections and stalls: the structured call
    then turns the SDK's own retries off for its requests
    (``max_retries=0``), so nothing is retried twice, and announces each
    retry with a :class:`Retrying` event. Without one, the openai client's
    own retries apply and rxstruct does not retry transport errors.

    The wait before retry ``n`` (1, 2, ...) is ``initial * multiplier**(n-1)``,
    at most ``maximum``, less a random ``jitter`` fraction; a ``Retry-After``
    or ``retry-after-ms`` header of the error response replaces it. No retry
    starts after ``deadline`` seconds from the first request.

    Example:
        >>> policy = TransportRetry(initial=1.0, jitter=0.0)
        >>> [policy.delay(n) for n in (1, 2, 3, 4, 5)]
        [1.0, 2.0, 4.0, 8.0, 8.0]
        >>> policy.delay(1, retry_after=3.0)
        3.0
    """

    max_retries: int = 4
    """How many times a failed request is sent again."""

    initial: float = 0.5
    """Seconds before the first retry (before jitter)."""

    multiplier: float = 2.0
    """Growth of the wait from one retry to the next."""

    maximum: float = 8.0
    """The longest computed wait, in seconds."""

    jitter: float = 0.25
    """The fraction of the wait that is random: a wait ``w`` becomes a uniform
    value in ``[w * (1 - jitter), w]``, so that clients do not retry in step."""

    deadline: float | None = 60.0
    """Seconds from the first request after which no retry starts (``None``:
    no limit)."""

    restart_after_tokens: bool = False
    """Also restart the request when the connection fails after tokens
    arrived (announced by ``Retrying(reason="restart")``, the views reset).
    Off by default: a half-answered request is never retried silently."""

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise UsageError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if not (self.initial >= 0 and self.maximum >= 0 and self.multiplier >= 1):
            raise UsageError(
                "initial and maximum must be >= 0 and multiplier >= 1, got "
                f"{self.initial!r}, {self.maximum!r}, {self.multiplier!r}"
            )
        if not 0 <= self.jitter <= 1:
            raise UsageError(f"jitter must be within [0, 1], got {self.jitter!r}")
        if self.deadline is not None and not self.deadline > 0:
            raise UsageError(f"deadline must be positive, got {self.deadline!r}")

    def delay(
        self,
        retry: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first).

        Args:
            retry: Which retry this is, from 1.
            retry_after: The server's ``Retry-After``, in seconds, if it sent
                one; it is used as it is.
            rng: The random source of the jitter (default: ``random``).
        """
        if retry_after is not None and retry_after >= 0:
            return retry_after
        wait = min(self.maximum, self.initial * self.multiplier ** max(0, retry - 1))
        if self.jitter:
            wait *= 1.0 - self.jitter * (rng or random).random()
        return wait

    def allows(self, retry: int, elapsed: float, delay: float) -> bool:
        """Whether retry number ``retry``, after waiting ``delay``, is allowed."""
        if retry > self.max_retries:
            return False
        return self.deadline is None or elapsed + delay <= self.deadline


_TRANSIENT = frozenset({408, 409, 429})


def is_transient(error: BaseException) -> bool:
    """A transport failure worth sending the same request again for.

    Example:
        >>> is_transient(SourceError("x", status_code=503))
        True
        >>> is_transient(SourceError("x", status_code=401))
        False
    """
    if not isinstance(error, SourceError):
        return False
    status = error.status_code
    if status is None:
        return True  # a refused or dropped connection, a stall
    return status in _TRANSIENT or status >= 500


def retry_after(error: BaseException) -> float | None:
    """The wait the server asked for (``retry-after-ms`` / ``Retry-After``).

    Read from the headers of the HTTP response kept by the SDK's exception
    (``SourceError.cause.response``); ``None`` when there is none.
    """
    cause = getattr(error, "cause", None) or error
    response = getattr(cause, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return parse_retry_after(headers)


def parse_retry_after(
    headers: Mapping[str, str], now: float | None = None
) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date).

    Example:
        >>> parse_retry_after({"retry-after-ms": "250"})
        0.25
        >>> parse_retry_after({"retry-after": "2"})
        2.0
        >>> parse_retry_after({"retry-after": "Wed, 02 Dec 2026 03:00:05 GMT"},
        ...                   now=1796180400.0)
        5.0
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    seconds = lowered.get("retry-after")
    if seconds is None:
        return None
    try:
        return max(0.0, float(seconds))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(seconds)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# --- re-asking ------------------------------------------------------------------------


def is_reaskable(error: BaseException) -> bool:
    """An unusable answer that telling the model what is wrong may fix.

    Invalid JSON, JSON cut short (the token limit) and a final that fails
    validation; not a refusal, the content filter or a decoder limit.
    """
    if isinstance(error, JsonLimitError):
        return False
    return isinstance(
        error, FinalValidationError | JsonStreamError | IncompleteJsonError
    )


def feedback(error: BaseException) -> str:
    """What the model is told about its unusable answer.

    Example:
        >>> from rxstruct import IncompleteJsonError
        >>> print(feedback(IncompleteJsonError("the token limit cut the answer",
        ...                                    '{"a": [1,', 9)))
        Your previous answer ended before its JSON was complete (the token limit cut the answer). Answer again with complete JSON only; be more concise.
    """  # noqa: E501
    if isinstance(error, FinalValidationError):
        return error.feedback()
    if isinstance(error, IncompleteJsonError):
        return (
            "Your previous answer ended before its JSON was complete "
            f"({error.reason}). Answer again with complete JSON only; be more "
            "concise."
        )
    if isinstance(error, JsonStreamError):
        return (
            f"Your previous answer was not valid JSON: {error.reason} at line "
            f"{error.line} column {error.column} near {error.excerpt}. Answer "
            "again with valid JSON only."
        )
    return f"Your previous answer could not be used: {error}. Answer again."


def reask_messages(
    mode: str,
    failed: FailedAttempt,
    *,
    tool_name: str = "",
    call_id: str | None = None,
) -> list[dict[str, Any]]:
    """The messages appended after an unusable answer, in the shape ``mode`` needs.

    ``"json_schema"`` and ``"responses"``: the answer as an ``assistant``
    message and the feedback as a ``user`` message. ``"tools"``: the answer
    as the assistant's tool call and the feedback as that call's ``tool``
    result.

    Example:
        >>> from rxstruct import JsonStreamError
        >>> bad = JsonStreamError("bad literal", '{"a": tru}', 6)
        >>> failed = FailedAttempt(attempt=1, raw='{"a": tru}', error=bad)
        >>> [m["role"] for m in reask_messages("tools", failed, tool_name="A")]
        ['assistant', 'tool']
    """
    text = feedback(failed.error)
    if mode == "tools":
        ident = call_id or f"call_rxstruct_{failed.attempt}"
        return [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": ident,
                        "type": "function",
                        "function": {"name": tool_name, "arguments": failed.raw},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": ident, "content": text},
        ]
    return [
        {"role": "assistant", "content": failed.raw},
        {"role": "user", "content": text},
    ]


def attempt_context(context: Mapping[str, Any] | None, attempt: int) -> dict[str, Any]:
    """The validation context of attempt ``attempt``: ``context`` + its number."""
    return {**(context or {}), ATTEMPT_KEY: attempt}


# --- views across attempts ------------------------------------------------------------


def across_attempts(
    source: Observable[_S],
    restarts: Observable[Any],
    make: Callable[[], Callable[[Observable[_S]], Observable[_R]]],
    *,
    reset: Callable[[], Sequence[_R]] | None = None,
    key: Callable[[_R], Hashable] | None = None,
    dropped: Callable[[tuple[Any, ...]], _R] | None = None,
) -> Observable[_R]:
    """``source.pipe(make())``, rebuilt with fresh state at every restart.

    ``source`` carries every attempt's values one after the other; each value
    of ``restarts`` ends the current attempt's pipeline (without completing
    it) and starts a new one. With ``reset``, its values are emitted at each
    restart. With ``key``, a value equal to the one already emitted under the
    same key is not emitted again, and ``dropped`` is given, on completion,
    the keys shown by earlier attempts that the last attempt did not emit.
    """

    def subscribe(
        observer: abc.ObserverBase[_R], scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        inner: Subject[_S] = Subject()
        chain = SerialDisposable()
        shown: dict[Hashable, _R] = {}
        seen: set[Hashable] = set()

        def emit(value: _R) -> None:
            if key is not None:
                name = key(value)
                seen.add(name)
                if shown.get(name, _MISSING) == value:
                    return
                shown[name] = value
            observer.on_next(value)

        def complete() -> None:
            if dropped is not None:
                gone = tuple(name for name in shown if name not in seen)
                if gone:
                    observer.on_next(dropped(gone))
            observer.on_completed()

        def start() -> None:
            nonlocal inner
            inner = Subject()
            chain.disposable = inner.pipe(make()).subscribe(
                emit, observer.on_error, complete, scheduler=scheduler
            )

        def restart(_: Any) -> None:
            chain.disposable = CompositeDisposable()  # the old pipeline, silenced
            seen.clear()
            for value in reset() if reset is not None else ():
                observer.on_next(value)
            start()

        start()
        return CompositeDisposable(
            restarts.subscribe(restart, lambda _: None),
            source.subscribe(
                lambda value: inner.on_next(value),
                lambda error: inner.on_error(error),
                lambda: inner.on_completed(),
                scheduler=scheduler,
            ),
            chain,
        )

    return Observable(subscribe)


_MISSING: Any = object()


def first_call_id(chunk: Any) -> str | None:
    """The id of tool call 0 in a Chat Completions chunk, if it carries one."""
    for choice in getattr(chunk, "choices", None) or ():
        delta = getattr(choice, "delta", None)
        for call in getattr(delta, "tool_calls", None) or ():
            ident = getattr(call, "id", None)
            if getattr(call, "index", 0) == 0 and isinstance(ident, str) and ident:
                return ident
    return None
