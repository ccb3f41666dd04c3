"""OpenAI SDK streams as observables of text deltas, to feed ``accumulate_json``.

Each function returns a cold ``Observable[str]``: every subscription makes one
streaming request with the client it was given, emits the text deltas as they
arrive (``None`` and empty deltas are skipped) and completes when the server
ends the stream. Disposing the subscription closes the HTTP stream. Share one
request among several pipelines with ``reactivex.operators.share()``.

Failures arrive through ``on_error``, never as exceptions from ``subscribe``:

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

Sync and async clients:

- ``openai.OpenAI``: the blocking read runs on its own thread (a
  ``NewThreadScheduler`` thread per subscription, or the ``scheduler`` given),
  never on the subscriber's scheduler, since it holds its thread for the
  whole stream. Notifications arrive on that thread (a stall error on a
  timer thread).
- ``openai.AsyncOpenAI``: the stream is read by a task on the asyncio event
  loop the client belongs to: the loop of ``scheduler`` (an
  ``AsyncIOScheduler``), else of the subscription's scheduler, else the loop
  running where ``subscribe`` is called. There is no private loop, because an
  async client's connections belong to one loop. Notifications arrive on that
  loop; disposing cancels the task. Without a loop, ``on_error`` gets a
  :class:`~rxstruct.UsageError`.

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

import asyncio
import concurrent.futures
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable, SerialDisposable
from reactivex.scheduler import NewThreadScheduler, TimeoutScheduler

from ..exceptions import SourceError, StreamStalledError, UsageError

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


@dataclass(frozen=True, kw_only=True)
class StreamEnded:
    """How a model stream ended; given to ``on_finish`` just before completion.

    Example:
        >>> StreamEnded(finish_reason="length", chunks=12, deltas=10).truncated
        True
    """

    finish_reason: str | None
    """``"stop"``, ``"length"`` (cut by the token limit), ``"tool_calls"``,
    ``"content_filter"``, ...; ``None`` if the server never sent one. Responses
    API streams are mapped to the same words: ``"stop"`` for a completed
    response, ``"length"`` for one incomplete at ``max_output_tokens``."""

    chunks: int
    """How many stream events (SSE messages) arrived."""

    deltas: int
    """How many text deltas were emitted."""

    response_id: str | None = None
    """The ``id`` the server gave the completion or response."""

    model: str | None = None
    """The model the server says answered."""

    usage: Any = None
    """The token usage object, when the server sent one (Chat Completions:
    with ``stream_options={"include_usage": True}``)."""

    kind: Literal["stream_ended"] = "stream_ended"
    """Discriminator, for streams that mix event types."""

    @property
    def truncated(self) -> bool:
        """The model stopped at its token limit: the text is cut short."""
        return self.finish_reason == "length"


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
    kwargs = _streaming_kwargs(create_kwargs)
    return _source(
        client,
        open_sync=lambda c: c.chat.completions.create(**kwargs),
        open_async=lambda c: c.chat.completions.create(**kwargs),
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
    kwargs = _streaming_kwargs(create_kwargs)

    def extract(chunk: Any, progress: _Progress) -> str | None:
        return _tool_arguments(chunk, progress, index)

    return _source(
        client,
        open_sync=lambda c: c.chat.completions.create(**kwargs),
        open_async=lambda c: c.chat.completions.create(**kwargs),
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
    kwargs = _streaming_kwargs(create_kwargs)
    return _source(
        client,
        open_sync=lambda c: c.responses.create(**kwargs),
        open_async=lambda c: c.responses.create(**kwargs),
        extract=_responses_text,
        stall_timeout=stall_timeout,
        on_finish=on_finish,
        scheduler=scheduler,
    )


# --- reading the events ----------------------------------------------------------


class _Progress:
    """What one subscription has seen of its stream so far."""

    __slots__ = ("chunks", "deltas", "finish_reason", "model", "response_id", "usage")

    def __init__(self) -> None:
        self.chunks = 0
        self.deltas = 0
        self.finish_reason: str | None = None
        self.response_id: str | None = None
        self.model: str | None = None
        self.usage: Any = None

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


def _first_choice(chunk: Any, progress: _Progress) -> Any:
    """The choice with index 0 of a chunk, after noting its metadata."""
    progress.note(
        getattr(chunk, "id", None),
        getattr(chunk, "model", None),
        getattr(chunk, "usage", None),
    )
    for choice in getattr(chunk, "choices", None) or ():
        if getattr(choice, "index", 0) == 0:
            if choice.finish_reason:
                progress.finish_reason = str(choice.finish_reason)
            return choice
    return None  # a usage chunk, or a provider's empty first chunk


def _chat_content(chunk: Any, progress: _Progress) -> str | None:
    choice = _first_choice(chunk, progress)
    delta = getattr(choice, "delta", None)
    content = getattr(delta, "content", None)
    return content if isinstance(content, str) and content else None


def _tool_arguments(chunk: Any, progress: _Progress, index: int) -> str | None:
    choice = _first_choice(chunk, progress)
    delta = getattr(choice, "delta", None)
    pieces = [
        call.function.arguments
        for call in getattr(delta, "tool_calls", None) or ()
        if call.index == index and call.function and call.function.arguments
    ]
    return "".join(pieces) or None


_INCOMPLETE_REASONS = {"max_output_tokens": "length"}


def _responses_text(event: Any, progress: _Progress) -> str | None:
    kind = getattr(event, "type", None)
    if kind == "response.output_text.delta":
        delta = getattr(event, "delta", None)
        return delta if isinstance(delta, str) and delta else None
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


def _source_error(exc: openai.OpenAIError) -> SourceError:
    """The provider's exception, wrapped with a message that says what failed."""
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        detail = body.get("message") if isinstance(body, dict) else None
        return SourceError(
            f"the model server answered HTTP {exc.status_code}: "
            f"{detail or exc.message}",
            cause=exc,
            status_code=exc.status_code,
        )
    if isinstance(exc, openai.APITimeoutError):
        return SourceError("the request to the model server timed out", cause=exc)
    if isinstance(exc, openai.APIConnectionError):
        reason = exc.__cause__ or exc
        return SourceError(
            f"the connection to the model server failed: {reason}", cause=exc
        )
    return SourceError(f"the model server failed: {exc}", cause=exc)


def _stalled(timeout: float, progress: _Progress) -> StreamStalledError:
    return StreamStalledError(
        f"no chunk from the model server for {timeout:g} s "
        f"(after {progress.chunks} chunks); the request was closed",
        timeout=timeout,
        chunks=progress.chunks,
    )


# --- building the observable -------------------------------------------------------


def _streaming_kwargs(create_kwargs: dict[str, Any]) -> dict[str, Any]:
    if create_kwargs.get("stream", True) is not True:
        raise UsageError("these sources always stream: leave out stream=")
    return {**create_kwargs, "stream": True}


def _source(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    open_sync: Callable[[openai.OpenAI], Any],
    open_async: Callable[[openai.AsyncOpenAI], Awaitable[Any]],
    extract: Extract,
    stall_timeout: float | None,
    on_finish: Callable[[StreamEnded], None] | None,
    scheduler: abc.SchedulerBase | None,
) -> Observable[str]:
    if stall_timeout is not None and not stall_timeout > 0:
        raise UsageError(f"stall_timeout must be positive, got {stall_timeout!r}")
    if not isinstance(client, openai.OpenAI | openai.AsyncOpenAI):
        raise UsageError(
            f"client must be an openai.OpenAI or openai.AsyncOpenAI, got {client!r}"
        )

    def subscribe(
        observer: abc.ObserverBase[str],
        scheduler_: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        emitter = _Emitter(observer, on_finish)
        if isinstance(client, openai.AsyncOpenAI):
            loop = _event_loop(scheduler, scheduler_)
            if loop is None:
                emitter.error(
                    UsageError(
                        "an AsyncOpenAI source needs an asyncio event loop: "
                        "subscribe inside a coroutine, or pass "
                        "scheduler=AsyncIOScheduler(loop)"
                    )
                )
                return Disposable()
            return _read_async(
                lambda: open_async(client), extract, emitter, stall_timeout, loop
            )
        return _read_sync(
            lambda: open_sync(client),
            extract,
            emitter,
            stall_timeout,
            scheduler or NewThreadScheduler(),
        )

    return Observable(subscribe)


class _Emitter:
    """The notifications of one subscription, serialized, at most one end.

    The reading thread and the stall timer may both want to end the stream; the
    first one wins, and nothing is sent after it or after disposal.
    """

    def __init__(
        self,
        observer: abc.ObserverBase[str],
        on_finish: Callable[[StreamEnded], None] | None,
    ) -> None:
        self._observer = observer
        self._on_finish = on_finish
        self._lock = threading.RLock()
        self.stopped = False  # set without the lock by dispose()

    def next(self, text: str, progress: _Progress) -> None:
        with self._lock:
            if not self.stopped:
                progress.deltas += 1
                self._observer.on_next(text)

    def error(self, exc: Exception) -> None:
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
        self._observer.on_error(exc)

    def complete(self, progress: _Progress) -> None:
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
        if self._on_finish is not None:
            try:
                self._on_finish(progress.ended())
            except Exception as exc:
                self._observer.on_error(exc)
                return
        self._observer.on_completed()


# --- sync clients: a thread per stream --------------------------------------------


class _Watchdog:
    """Calls ``on_stall`` once nothing has been ``touch()``-ed for ``timeout`` s.

    One timer per timeout period, not one per chunk: on expiry it re-arms for
    whatever time is left since the last touch.
    """

    def __init__(self, timeout: float, on_stall: Callable[[], None]) -> None:
        self._timeout = timeout
        self._on_stall = on_stall
        self._deadline = time.monotonic() + timeout
        self._timer = SerialDisposable()
        self._arm(timeout)

    def touch(self) -> None:
        self._deadline = time.monotonic() + self._timeout

    def stop(self) -> None:
        self._timer.dispose()  # also disposes any timer armed after this

    def _arm(self, seconds: float) -> None:
        timers = TimeoutScheduler.singleton()
        self._timer.disposable = timers.schedule_relative(seconds, self._check)

    def _check(self, _: abc.SchedulerBase, __: Any = None) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining > 0:
            self._arm(remaining)
        else:
            self._on_stall()


class _SyncConnection:
    """The stream being read, so another thread can cut its socket.

    Closing an httpx response from another thread does not wake a thread
    blocked reading it; shutting the socket down does (the read sees end of
    file). Only done while the response is open, so a connection that went
    back to the pool is never touched.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stream: Any = None
        self._cut = False

    def attach(self, stream: Any) -> bool:
        """Remember the stream; ``False`` if it was cut meanwhile (then close it)."""
        with self._lock:
            self._stream = stream
            return not self._cut

    def detach(self) -> None:
        """The reader is done with the stream: nothing left to cut."""
        with self._lock:
            self._stream = None

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            stream, self._stream = self._stream, None
        response = getattr(stream, "response", None)
        if response is None or response.is_closed:
            return
        network = response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed


def _read_sync(
    open_stream: Callable[[], Any],
    extract: Extract,
    emitter: _Emitter,
    stall_timeout: float | None,
    scheduler: abc.SchedulerBase,
) -> abc.DisposableBase:
    progress = _Progress()
    connection = _SyncConnection()
    watchdog: _Watchdog | None = None

    def on_stall() -> None:
        assert stall_timeout is not None
        emitter.error(_stalled(stall_timeout, progress))
        connection.cut()

    def read(_: abc.SchedulerBase, __: Any = None) -> None:
        stream: Any = None
        try:
            stream = open_stream()
            if not connection.attach(stream):
                return
            for event in stream:
                progress.chunks += 1
                text = extract(event, progress)
                if text is not None:
                    emitter.next(text, progress)
                if emitter.stopped:
                    return
                if watchdog is not None:
                    # From here, not from the arrival: a slow subscriber is no stall.
                    watchdog.touch()
            emitter.complete(progress)
        except openai.OpenAIError as exc:
            emitter.error(_source_error(exc))
        except Exception as exc:  # SourceError from an event, or a subscriber's
            emitter.error(exc)
        finally:
            if watchdog is not None:
                watchdog.stop()
            connection.detach()
            if stream is not None:
                _close_quietly(stream)

    if stall_timeout is not None:
        watchdog = _Watchdog(stall_timeout, on_stall)
    work = scheduler.schedule(read)

    def dispose() -> None:
        emitter.stopped = True
        if watchdog is not None:
            watchdog.stop()
        connection.cut()

    return CompositeDisposable(work, Disposable(dispose))


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:  # the connection is already broken; nothing to release
        pass


# --- async clients: a task on the client's loop -------------------------------------

#: Running readers, so that they are not garbage-collected mid-stream.
_RUNNING: set[asyncio.Future[None] | concurrent.futures.Future[None]] = set()


def _event_loop(
    *schedulers: abc.SchedulerBase | None,
) -> asyncio.AbstractEventLoop | None:
    for scheduler in schedulers:
        # AsyncIOScheduler and AsyncIOThreadSafeScheduler keep their loop here.
        loop = getattr(scheduler, "_loop", None)
        if isinstance(loop, asyncio.AbstractEventLoop):
            return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _read_async(
    open_stream: Callable[[], Awaitable[Any]],
    extract: Extract,
    emitter: _Emitter,
    stall_timeout: float | None,
    loop: asyncio.AbstractEventLoop,
) -> abc.DisposableBase:
    progress = _Progress()

    def deadline() -> float:
        if stall_timeout is None:
            return float("inf")
        return anyio.current_time() + stall_timeout

    async def read() -> None:
        stream: Any = None
        try:
            with anyio.CancelScope(deadline=deadline()) as scope:
                stream = await open_stream()
                while True:
                    scope.deadline = deadline()  # a slow subscriber is no stall
                    try:
                        event = await stream.__anext__()
                    except StopAsyncIteration:
                        break
                    progress.chunks += 1
                    text = extract(event, progress)
                    if text is not None:
                        emitter.next(text, progress)
                    if emitter.stopped:
                        return
            if scope.cancelled_caught:
                assert stall_timeout is not None
                emitter.error(_stalled(stall_timeout, progress))
                return
            emitter.complete(progress)
        except openai.OpenAIError as exc:
            emitter.error(_source_error(exc))
        except Exception as exc:  # SourceError from an event, or a subscriber's
            emitter.error(exc)
        finally:
            if stream is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        await stream.close()
                    except Exception:
                        pass  # the connection is already broken

    cancel: Callable[[], object]
    try:
        on_loop = asyncio.get_running_loop() is loop
    except RuntimeError:
        on_loop = False
    if on_loop:
        task = loop.create_task(read())
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        cancel = task.cancel
    else:  # subscribed from another thread; both cancel() calls are thread-safe
        future = asyncio.run_coroutine_threadsafe(read(), loop)
        _RUNNING.add(future)
        future.add_done_callback(_RUNNING.discard)
        cancel = future.cancel

    def dispose() -> None:
        emitter.stopped = True
        cancel()

    return Disposable(dispose)
