"""OpenAI SDK streams as observables of text deltas, to feed ``accumulate_json``.

Each function returns a cold ``Observable[str]``: every subscription makes one
streaming request with the client it was given, emits the text deltas as they
arrive (``None`` and empty deltas are skipped) and completes when the server
ends the stream. Disposing the subscription closes the HTTP stream. Share one
request among several pipelines with ``reactivex.operators.share()``.

Failures of the stream arrive through ``on_error``, never as exceptions from
``subscribe`` (an exception raised by the subscriber's own handlers is another
matter: see :func:`~rxstruct.sources.from_blocking_iterable`):

- the provider's errors (an error status, a dropped connection, a timeout) as a
  :class:`~rxstruct.SourceError` whose ``.cause`` is the SDK's exception and
  whose ``.status_code`` is the HTTP status, if there was one;
- a stream that stops moving as a :class:`~rxstruct.StreamStalledError`, when
  ``stall_timeout`` is set.

A stream cut by the token limit (``finish_reason == "length"``) is not an
error here: all its deltas are emitted, then completion, and
``accumulate_json`` reports the unfinished JSON as an
:class:`~rxstruct.IncompleteJsonError`. The finish reason itself is handed to
``on_finish``, just before completion, in a :class:`StreamEnded`.

Sync and async clients: this module maps the OpenAI events to text; reading
the SDK's stream is the job of the bridges in :mod:`rxstruct.sources`, whose
rules (threads, loops, cancellation, stall timer, a subscriber's own errors)
apply here as they are:

- ``openai.OpenAI``: :func:`~rxstruct.sources.from_blocking_iterable`. The
  blocking read runs on its own thread (a ``NewThreadScheduler`` thread per
  subscription, or the ``scheduler`` given), never on the subscriber's
  scheduler, since it holds its thread for the whole stream. Notifications
  arrive on that thread (a stall error on the timer's). Disposing shuts the
  socket down, which wakes the reading thread at once.
- ``openai.AsyncOpenAI``: :func:`~rxstruct.sources.from_async_iterable`. The
  stream is read by a task on the asyncio event loop the client belongs to:
  the loop of ``scheduler`` (an ``AsyncIOScheduler``), else of the
  subscription's scheduler, else the loop running where ``subscribe`` is
  called. There is no private loop, because an async client's connections
  belong to one loop. Notifications arrive on that loop; disposing cancels
  the task. Without a loop, ``on_error`` gets a :class:`~rxstruct.UsageError`.

The stall timer runs on the scheduler given to ``subscribe``, if any (a
``TestScheduler`` puts it in virtual time), else on a ``TimeoutScheduler``
(sync client) or on the event loop (async client).

Example, against the scripted server of :mod:`rxstruct.testing`::

    >>> import openai
    >>> import rxstruct as rs
    >>> from rxstruct.sources import from_chat_completion
    >>> from rxstruct.testing import ScriptedLLMServer
    >>> with ScriptedLLMServer([['{"title": "Hel', 'lo"}']]) as server:
    ...     with openai.OpenAI(base_url=server.base_url, api_key="local") as client:
    ...         tokens = from_chat_completion(
    ...             client, model="local",
    ...             messages=[{"role": "user", "content": "A title, as JSON"}])
    ...         final = tokens.pipe(rs.accumulate_json()).run()
    >>> final.value
    {'title': 'Hello'}
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from reactivex import Observable, abc

from ..events import StreamEnded
from ..exceptions import SourceError, StreamStalledError, UsageError
from ._bridge import from_async_iterable, from_blocking_iterable

try:
    import openai
except ImportError as _import_error:  # pragma: no cover - openai is installed
    raise ImportError(
        "rxstruct.sources.openai needs the OpenAI SDK: "
        'pip install "rxstruct[openai]" (or pip install openai)'
    ) from _import_error

__all__ = [
    "StreamEnded",
    "from_chat_completion",
    "from_responses",
    "from_tool_call_arguments",
]


# --- public sources --------------------------------------------------------------


def from_chat_completion(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    stall_timeout: float | None = None,
    on_finish: Callable[[StreamEnded], None] | None = None,
    scheduler: abc.SchedulerBase | None = None,
    **create_kwargs: Any,
) -> Observable[str]:
    """The message content deltas of a streamed Chat Completion.

    Each subscription calls ``client.chat.completions.create(**create_kwargs,
    stream=True)`` and emits ``choices[0].delta.content`` of every chunk.

    .. code-block:: text

        server:  role --- '{"a"' --- ': 1}' --- finish_reason --- [DONE]
                 [        from_chat_completion(client, ...)          ]
        out:     -------- '{"a"' --- ': 1}' ---------------------------|

    Args:
        client: An ``openai.OpenAI`` or ``openai.AsyncOpenAI`` (or a subclass,
            such as ``AzureOpenAI``), pointed at any compatible server.
        stall_timeout: Seconds without a chunk (counted from subscription for
            the first) after which the request is closed and
            :class:`~rxstruct.StreamStalledError` sent to ``on_error``.
            ``None`` waits as long as the client's own timeout. Time spent by
            the subscriber in ``on_next`` does not count. A sync client still
            waiting for the response headers cannot be interrupted: the error
            is sent on time, but its thread waits for the client's timeout.
        on_finish: Called with a :class:`StreamEnded` (finish reason, usage)
            after the last delta, just before ``on_completed``.
        scheduler: Sync client: where the blocking read runs (default: a new
            thread per subscription). Async client: an ``AsyncIOScheduler``
            naming the loop (default: see the module documentation).
        **create_kwargs: Passed to ``chat.completions.create``: ``model``,
            ``messages``, ``response_format``, ``max_tokens``, ...

    Returns:
        A cold observable of text deltas, one request per subscription.

    Raises:
        UsageError: ``stream=False`` was passed, ``stall_timeout`` is not
            positive, or ``client`` is not an OpenAI client (raised at once).
    """
    return _source(
        client,
        _chat_completions,
        create_kwargs,
        extract=_chat_content,
        stall_timeout=stall_timeout,
        on_finish=on_finish,
        scheduler=scheduler,
    )


def from_tool_call_arguments(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    index: int = 0,
    stall_timeout: float | None = None,
    on_finish: Callable[[StreamEnded], None] | None = None,
    scheduler: abc.SchedulerBase | None = None,
    **create_kwargs: Any,
) -> Observable[str]:
    """The argument deltas of one streamed tool call of a Chat Completion.

    Emits ``choices[0].delta.tool_calls[i].function.arguments`` for the tool
    call whose ``index`` is ``index``: the JSON arguments, growing, ready for
    ``accumulate_json``. Message content and other tool calls are ignored.
    Everything else is as in :func:`from_chat_completion`.

    .. code-block:: text

        server:  tool_calls[0] --- tool_calls[0] ---- tool_calls[1] --- [DONE]
                 [     from_tool_call_arguments(client, index=0, ...)     ]
        out:     '{"name"' ------- ': "Jason"}' ----------------------------|

    Args:
        client: An ``openai.OpenAI`` or ``openai.AsyncOpenAI``.
        index: Which tool call to follow, when the model makes several.
        stall_timeout: As in :func:`from_chat_completion`.
        on_finish: As in :func:`from_chat_completion`.
        scheduler: As in :func:`from_chat_completion`.
        **create_kwargs: Passed to ``chat.completions.create`` (``tools``,
            ``tool_choice``, ...).

    Returns:
        A cold observable of argument deltas, one request per subscription.

    Raises:
        UsageError: As in :func:`from_chat_completion`, or ``index`` is
            negative.
    """
    if index < 0:
        raise UsageError(f"index must be 0 or more, got {index!r}")

    def extract(chunk: Any, progress: _Progress) -> str | None:
        return _chat_text(chunk, progress, index)

    return _source(
        client,
        _chat_completions,
        create_kwargs,
        extract=extract,
        stall_timeout=stall_timeout,
        on_finish=on_finish,
        scheduler=scheduler,
    )


def from_responses(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    stall_timeout: float | None = None,
    on_finish: Callable[[StreamEnded], None] | None = None,
    scheduler: abc.SchedulerBase | None = None,
    **create_kwargs: Any,
) -> Observable[str]:
    """The output text deltas of a streamed Responses API call.

    Each subscription calls ``client.responses.create(**create_kwargs,
    stream=True)`` and emits the ``delta`` of every
    ``response.output_text.delta`` event. A ``response.failed`` or ``error``
    event ends the stream with a :class:`~rxstruct.SourceError`. Everything
    else is as in :func:`from_chat_completion`.

    .. code-block:: text

        server:  created --- text.delta --- text.delta --- completed
                 [          from_responses(client, ...)         ]
        out:     ----------- '{"a"' ------- ': 1}' ----------------|

    Args:
        client: An ``openai.OpenAI`` or ``openai.AsyncOpenAI``.
        stall_timeout: As in :func:`from_chat_completion`.
        on_finish: As in :func:`from_chat_completion`; ``finish_reason`` is
            ``"stop"`` for a completed response and ``"length"`` for one cut at
            ``max_output_tokens``.
        scheduler: As in :func:`from_chat_completion`.
        **create_kwargs: Passed to ``responses.create``: ``model``, ``input``,
            ``text={"format": ...}``, ...

    Returns:
        A cold observable of text deltas, one request per subscription.

    Raises:
        UsageError: As in :func:`from_chat_completion`.
    """
    return _source(
        client,
        _responses,
        create_kwargs,
        extract=_responses_text,
        stall_timeout=stall_timeout,
        on_finish=on_finish,
        scheduler=scheduler,
    )


# --- reading the events ----------------------------------------------------------


class _Progress:
    """What one subscription has seen of its stream so far.

    The readers below (``_chat_text``, ``_responses_text``) fill it in; the
    structured call (``rxstruct._run``) reads its streams through them too.
    """

    __slots__ = (
        "chunks",
        "deltas",
        "finish_reason",
        "model",
        "other_tool_calls",
        "refusal",
        "response_id",
        "usage",
    )

    def __init__(self) -> None:
        self.chunks = 0
        self.deltas = 0
        self.finish_reason: str | None = None
        self.response_id: str | None = None
        self.model: str | None = None
        self.usage: Any = None
        self.refusal: list[str] = []  # what the model sent instead of an answer
        self.other_tool_calls: set[int] = set()  # indexes of calls not followed

    def note(self, response_id: Any, model: Any, usage: Any) -> None:
        if response_id and self.response_id is None:
            self.response_id = str(response_id)
        if model and self.model is None:
            self.model = str(model)
        if usage is not None:
            self.usage = usage

    def ended(self) -> StreamEnded:
        return StreamEnded(
            finish_reason=self.finish_reason,
            chunks=self.chunks,
            deltas=self.deltas,
            response_id=self.response_id,
            model=self.model,
            usage=self.usage,
        )


Extract = Callable[[Any, _Progress], str | None]


def _chat_text(chunk: Any, progress: _Progress, tool_call: int | None) -> str | None:
    """The text delta of a Chat Completions chunk, after noting its metadata.

    The message content of choice 0, or with ``tool_call`` the arguments of
    that tool call (other calls are noted). Notes the finish reason and any
    refusal text; ``None`` for a usage chunk or a provider's empty first chunk.
    One function for both, as it runs once per chunk.
    """
    progress.note(
        getattr(chunk, "id", None),
        getattr(chunk, "model", None),
        getattr(chunk, "usage", None),
    )
    for choice in getattr(chunk, "choices", None) or ():
        if getattr(choice, "index", 0) != 0:
            continue
        if choice.finish_reason:
            progress.finish_reason = str(choice.finish_reason)
        delta = getattr(choice, "delta", None)
        refusal = getattr(delta, "refusal", None)
        if isinstance(refusal, str) and refusal:
            progress.refusal.append(refusal)
        if tool_call is None:
            content = getattr(delta, "content", None)
            return content if isinstance(content, str) and content else None
        pieces: list[str] = []
        for call in getattr(delta, "tool_calls", None) or ():
            if call.index != tool_call:
                progress.other_tool_calls.add(call.index)
            elif call.function is not None and call.function.arguments:
                pieces.append(call.function.arguments)
        return "".join(pieces) or None
    return None


def _chat_content(chunk: Any, progress: _Progress) -> str | None:
    return _chat_text(chunk, progress, None)


_INCOMPLETE_REASONS = {"max_output_tokens": "length"}


def _responses_text(event: Any, progress: _Progress) -> str | None:
    """The output text delta of a Responses API event; endings are noted.

    Raises:
        SourceError: The event says the response failed.
    """
    kind = getattr(event, "type", None)
    if kind == "response.output_text.delta":
        delta = getattr(event, "delta", None)
        return delta if isinstance(delta, str) and delta else None
    if kind == "response.refusal.delta":
        delta = getattr(event, "delta", None)
        if isinstance(delta, str) and delta:
            progress.refusal.append(delta)
        return None
    response = getattr(event, "response", None)
    if response is not None:
        progress.note(
            getattr(response, "id", None),
            getattr(response, "model", None),
            getattr(response, "usage", None),
        )
    if kind == "response.completed":
        progress.finish_reason = "stop"
    elif kind == "response.incomplete":
        details = getattr(response, "incomplete_details", None)
        reason = str(getattr(details, "reason", None) or "incomplete")
        progress.finish_reason = _INCOMPLETE_REASONS.get(reason, reason)
    elif kind == "response.failed":
        error = getattr(response, "error", None)
        message = getattr(error, "message", None) or "the response failed"
        raise SourceError(f"the model server reported: {message}")
    elif kind == "error":
        message = getattr(event, "message", None) or "an error event"
        raise SourceError(f"the model server reported: {message}")
    return None


def _status_error(exc: openai.APIStatusError) -> SourceError:
    """An HTTP error answer, with the server's own message when it sent one."""
    body = exc.body
    detail = body.get("message") if isinstance(body, dict) else None
    return SourceError(
        f"the model server answered HTTP {exc.status_code}: {detail or exc.message}",
        cause=exc,
        status_code=exc.status_code,
    )


def _source_error(exc: Exception) -> Exception:
    """An error of the stream, said in the words of a model server.

    The SDK's exceptions become a :class:`~rxstruct.SourceError` whose message
    says what failed; a stall is reworded; anything else (a subscriber's own
    exception, a ``SourceError`` from an event) passes unchanged.
    """
    if isinstance(exc, StreamStalledError):
        return StreamStalledError(
            f"no chunk from the model server for {exc.timeout:g} s "
            f"(after {exc.chunks} chunks); the request was closed",
            timeout=exc.timeout,
            chunks=exc.chunks,
        )
    if not isinstance(exc, openai.OpenAIError):
        return exc
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc)
    if isinstance(exc, openai.APITimeoutError):
        return SourceError("the request to the model server timed out", cause=exc)
    if isinstance(exc, openai.APIConnectionError):
        reason = exc.__cause__ or exc
        return SourceError(
            f"the connection to the model server failed: {reason}", cause=exc
        )
    return SourceError(f"the model server failed: {exc}", cause=exc)


# --- building the observable -------------------------------------------------------


def _chat_completions(client: Any) -> Any:
    return client.chat.completions.create


def _responses(client: Any) -> Any:
    return client.responses.create


def _cut(stream: Any) -> None:
    """Shut the socket of a sync stream down, to wake a thread blocked reading it.

    Closing an httpx response from another thread does not wake a thread
    blocked reading it; shutting the socket down does (the read sees end of
    file). The bridge calls this only while the stream is being read, so a
    connection that went back to the pool is never touched.
    """
    response = getattr(stream, "response", None)
    if response is None or getattr(response, "is_closed", True):
        return
    network = response.extensions.get("network_stream")
    sock = network.get_extra_info("socket") if network is not None else None
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _source(
    client: openai.OpenAI | openai.AsyncOpenAI,
    endpoint: Callable[[Any], Callable[..., Any]],
    create_kwargs: dict[str, Any],
    *,
    extract: Extract,
    stall_timeout: float | None,
    on_finish: Callable[[StreamEnded], None] | None,
    scheduler: abc.SchedulerBase | None,
) -> Observable[str]:
    """Text deltas out of the events of one streamed SDK call, sync or async.

    ``endpoint(client)`` is the SDK method (``client.responses.create``), the
    same for both kinds of client: called with ``create_kwargs`` and
    ``stream=True`` it returns a ``Stream`` for ``openai.OpenAI`` and a
    coroutine of an ``AsyncStream`` for ``openai.AsyncOpenAI``; the bridge
    reads either.
    """
    if create_kwargs.get("stream", True) is not True:
        raise UsageError("these sources always stream: leave out stream=")
    kwargs = {**create_kwargs, "stream": True}
    if not isinstance(client, openai.OpenAI | openai.AsyncOpenAI):
        raise UsageError(
            f"client must be an openai.OpenAI or openai.AsyncOpenAI, got {client!r}"
        )

    def create() -> Any:
        return endpoint(client)(**kwargs)

    events: Observable[Any]
    if isinstance(client, openai.AsyncOpenAI):
        events = from_async_iterable(
            create, stall_timeout=stall_timeout, scheduler=scheduler
        )
    else:
        events = from_blocking_iterable(
            create, stall_timeout=stall_timeout, interrupt=_cut, scheduler=scheduler
        )

    def subscribe(
        observer: abc.ObserverBase[str],
        scheduler_: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        progress = _Progress()

        def on_next(event: Any) -> None:
            progress.chunks += 1
            text = extract(event, progress)  # a SourceError ends the stream
            if text is not None:
                progress.deltas += 1
                observer.on_next(text)

        def on_error(exc: Exception) -> None:
            observer.on_error(_source_error(exc))

        def on_completed() -> None:
            if on_finish is not None:
                try:
                    on_finish(progress.ended())
                except Exception as exc:
                    observer.on_error(exc)
                    return
            observer.on_completed()

        return events.subscribe(on_next, on_error, on_completed, scheduler=scheduler_)

    return Observable(subscribe)
