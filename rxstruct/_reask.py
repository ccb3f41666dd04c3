"""Re-asking with feedback over any "request from messages" factory.

Private; :func:`retry_with_feedback` is public as ``rxstruct.retry_with_feedback``
and ``rxstruct.structured.retry_with_feedback``. The policy (what is retried,
backoff, the feedback messages) is :mod:`rxstruct._retry`'s, shared with the
structured call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import CompositeDisposable, SerialDisposable
from reactivex.scheduler import TimeoutScheduler

from . import operators as rxs
from ._retry import (
    Message,
    Reask,
    TransportRetry,
    attempt_context,
    is_reaskable,
    is_transient,
    reask_messages,
    retry_after,
)
from .events import FinalResult, PartialUpdate, Retrying
from .exceptions import FailedAttempt, RetriesExhaustedError, UsageError
from .json import JsonSnapshot

__all__ = ["retry_with_feedback"]

_T = TypeVar("_T")

RetryEvent = PartialUpdate[Any] | Retrying | FinalResult[Any]


def retry_with_feedback(
    request: Callable[[list[Message]], Observable[str]],
    messages: Sequence[Message],
    response_model: type[_T],
    *,
    max_retries: int = 2,
    reask: Reask | None = None,
    context: Mapping[str, Any] | None = None,
    transport_retry: TransportRetry | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[PartialUpdate[Any] | Retrying | FinalResult[_T]]:
    """Call ``request(messages)`` until its text validates, re-asking with feedback.

    For pipelines composed by hand: ``request`` turns a message list into an
    Observable of text deltas (e.g. ``rxstruct.sources.from_chat_completion``
    with your own arguments). Per subscription it is called with
    ``messages``; when the text is not valid JSON, ends before the JSON is
    complete, or fails validation as ``response_model``, the answer and the
    feedback (an ``assistant`` and a ``user`` message, or what ``reask``
    returns) are appended and ``request`` is called again, up to
    ``max_retries`` times. With ``transport_retry``, a
    :class:`~rxstruct.SourceError` worth retrying (429, 5xx, a connection
    error) before the first token is retried after a backoff waited on
    ``scheduler``. Disposing during a wait cancels it: no further request.

    .. code-block:: text

        request(msgs):     '{"n": "x"}'|                 (fails validation)
        request(msgs+fb):                 '{"n": 1}'|
                 [   retry_with_feedback(request, msgs, Model)   ]
        out:     -P(n='x')---Retrying(2)-P(n=None)--P(n=1)-Final(n=1)|

    Args:
        request: ``messages -> Observable[str]`` of text deltas, cold: one
            request per subscription.
        messages: The conversation of the first attempt.
        response_model: What the text must validate as (pydantic model or
            any type a ``TypeAdapter`` takes).
        max_retries: How many re-asks after an unusable answer.
        reask: ``reask(failed, default)`` returns the messages appended after
            a failed attempt instead of ``default``.
        context: Validation context of the final; validators also see
            ``context["rxstruct_attempt"]`` (1, 2, ...).
        transport_retry: Backoff policy for transport errors; ``None``: they
            end the stream (the client may retry them itself).
        scheduler: Where backoff waits and attempts run (default: the
            subscription's scheduler, else a timeout scheduler).

    Returns:
        An Observable of ``PartialUpdate`` (partial values; after each
        ``Retrying`` an empty one resets the view), ``Retrying`` events, and
        one ``FinalResult`` last. When every allowed attempt failed, it ends
        with :class:`~rxstruct.RetriesExhaustedError`; an error that is not
        retried (a refusal, HTTP 401) ends it as it is.

    Example:
        >>> import reactivex as rx
        >>> from pydantic import BaseModel
        >>> from reactivex import operators as ops
        >>> from reactivex.scheduler import CurrentThreadScheduler
        >>> class Num(BaseModel):
        ...     n: int
        >>> answers = iter(['{"n": "x"}', '{"n": 7}'])
        >>> events = retry_with_feedback(
        ...     lambda messages: rx.of(next(answers)), [], Num,
        ...     scheduler=CurrentThreadScheduler())
        >>> for event in events.pipe(ops.to_list()).run():
        ...     if event.kind == "retrying":
        ...         print("retrying, attempt", event.attempt)
        ...     else:
        ...         print(event.kind, event.value)
        partial n=None
        retrying, attempt 2
        partial n=None
        partial n=7
        final n=7
    """
    if max_retries < 0:
        raise UsageError(f"max_retries must be >= 0, got {max_retries!r}")
    conversation0 = [dict(message) for message in messages]
    reset = _empty_partial(response_model)

    def subscribe(
        observer: abc.ObserverBase[Any], scheduler_: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        clock = scheduler or scheduler_ or TimeoutScheduler.singleton()
        conversation: list[Message] = list(conversation0)
        failures: list[FailedAttempt] = []
        serial = SerialDisposable()
        start = clock.now
        attempt = 1
        reasks = 0
        transport = 0

        def retryable(error: Exception, text: list[str]) -> bool:
            if is_reaskable(error):
                return max_retries > 0
            return (
                transport_retry is not None
                and is_transient(error)
                and (not text or transport_retry.restart_after_tokens)
            )

        def run(*_: Any) -> None:
            text: list[str] = []
            last: JsonSnapshot | None = None
            this_attempt = attempt
            published = (
                request(list(conversation))
                .pipe(ops.do_action(text.append), rxs.accumulate_json())
                .pipe(ops.publish())
            )

            def on_snapshot(snapshot: JsonSnapshot) -> None:
                nonlocal last
                last = snapshot

            def on_completed() -> None:
                try:
                    value = (
                        reactivex.just(last)
                        .pipe(
                            rxs.validate_final(
                                response_model,
                                context=attempt_context(context, this_attempt),
                            )
                        )
                        .run()
                    )
                except Exception as error:
                    end(error, text)
                    return
                observer.on_next(FinalResult(value=value))
                observer.on_completed()

            partials = published.pipe(
                ops.filter(_news),
                rxs.to_partial(response_model),
                rxs.distinct_fields(),
            ).subscribe(
                lambda value: observer.on_next(PartialUpdate(value=value)),
                lambda _: None,
            )
            main = published.subscribe(
                on_snapshot, lambda error: end(error, text), on_completed
            )
            current = CompositeDisposable(partials, main)
            serial.disposable = current
            # Last: a synchronous source may end the attempt (and schedule the
            # next one) inside connect().
            connection = published.connect()
            if connection is not None:
                current.add(connection)

        def end(error: Exception, text: list[str]) -> None:
            nonlocal attempt, reasks, transport
            delay = 0.0
            reason: Any = None
            if is_reaskable(error) and reasks < max_retries:
                reasks += 1
                reason = "reask"
            elif transport_retry is not None and retryable(error, text):
                retry = transport + 1
                delay = transport_retry.delay(retry, retry_after=retry_after(error))
                elapsed = _seconds(clock.now - start)
                if transport_retry.allows(retry, elapsed, delay):
                    transport = retry
                    reason = "restart" if text else "transport"
            failed = FailedAttempt(attempt=attempt, error=error, raw="".join(text))
            if reason is None:
                if failures and retryable(error, text):
                    error = RetriesExhaustedError([*failures, failed])
                observer.on_error(error)
                return
            failures.append(failed)
            if reason == "reask":
                default = reask_messages("json_schema", failed)
                conversation.extend(reask(failed, default) if reask else default)
            attempt += 1
            observer.on_next(
                Retrying(
                    attempt=attempt,
                    reason=reason,
                    error=error,
                    raw=failed.raw,
                    delay=delay,
                )
            )
            for value in reset:
                observer.on_next(PartialUpdate(value=value))
            # A scheduler may run the next attempt at once, inside
            # schedule_relative: it must not be disposed by this assignment.
            serial.disposable = waiting = SerialDisposable()
            waiting.disposable = clock.schedule_relative(delay, run)

        run()
        return serial

    return Observable(subscribe)


def _news(snapshot: JsonSnapshot) -> bool:
    return bool(snapshot.changed) or not snapshot.done


def _seconds(span: Any) -> float:
    return float(span.total_seconds()) if hasattr(span, "total_seconds") else span


def _empty_partial(response_model: Any) -> list[Any]:
    """The partial value of an empty object (or list): the view after a reset."""
    for text in ("{}", "[]"):
        try:
            values = (
                reactivex.of(text)
                .pipe(
                    rxs.accumulate_json(),
                    rxs.to_partial(response_model),
                    ops.take(1),
                    ops.to_list(),
                )
                .run()
            )
        except Exception:  # not an object (or not a list): try the other
            continue
        if values:
            return list(values[:1])
    return []
