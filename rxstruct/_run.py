"""One run of a structured call: the request, the pipeline and its views.

Private to :mod:`rxstruct.structured`. A :class:`Run` owns one streamed
request and the pipeline it feeds::

    SDK chunks ─► text deltas ─► accumulate_json ─► snapshots ─┬─► partials
                                                              ├─► items, fields
    end of stream: snapshots complete (their views flush) ─► Finished ─► final

The reading is pull-driven: :meth:`Run.read_sync` and :meth:`Run.read_async`
are generators that read one chunk of the SDK stream per step, in the
caller's thread or task, and push it through the pipeline synchronously.
Whoever iterates them (a ``for`` loop, ``result()``, a background thread of
``connect()``) is where the reading runs. Closing a reader closes the HTTP
response.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

import anyio
import openai
import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import Disposable
from reactivex.subject import Subject

from . import operators as rxs
from ._retry import (
    Reask,
    TransportRetry,
    across_attempts,
    attempt_context,
    first_call_id,
    is_reaskable,
    is_transient,
    reask_messages,
    retry_after,
)
from ._schema import WireFormat
from .events import (
    FieldCompleted,
    FinalResult,
    Finished,
    ItemsDropped,
    ListItem,
    PartialUpdate,
    Retrying,
    StreamEvent,
)
from .exceptions import (
    ContentFilterError,
    FailedAttempt,
    IncompleteJsonError,
    RefusalError,
    RetriesExhaustedError,
    RxStructError,
    SourceError,
    StreamStalledError,
    UsageError,
)
from .json import JsonSnapshot, format_path
from .sources.openai import _chat_text, _cut, _responses_text, _status_error
from .sources.openai import _Progress as _SourceProgress

__all__ = ["Mode", "Request", "Run"]

_T = TypeVar("_T")
_Client = TypeVar("_Client", openai.OpenAI, openai.AsyncOpenAI)

Mode = Literal["json_schema", "tools", "responses"]
"""How the schema is sent: Chat Completions ``response_format``, a forced tool
call, or the Responses API ``text.format``."""


# --- the request -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Request:
    """Everything one structured call sends, and how to read its answer."""

    wire: WireFormat
    messages: Sequence[Mapping[str, Any]]
    model: str
    mode: Mode
    max_tokens: int | None
    temperature: float | None
    context: Mapping[str, Any] | None
    stall_timeout: float | None
    extra_body: Mapping[str, object] | None
    items_path: str | None
    item_type: Any
    max_retries: int = 0
    reask: Reask | None = None
    transport_retry: TransportRetry | None = None

    def chat_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": list(self.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.mode == "tools":
            kwargs["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": self.wire.name,
                        "parameters": self.wire.schema,
                        "strict": self.wire.strict,
                    },
                }
            ]
            kwargs["tool_choice"] = {
                "type": "function",
                "function": {"name": self.wire.name},
            }
        else:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": self._json_schema(),
            }
        return self._common(kwargs, "max_tokens")

    def responses_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "input": list(self.messages),
            "stream": True,
            "text": {"format": {"type": "json_schema", **self._json_schema()}},
        }
        return self._common(kwargs, "max_output_tokens")

    def _json_schema(self) -> dict[str, Any]:
        return {
            "name": self.wire.name,
            "schema": self.wire.schema,
            "strict": self.wire.strict,
        }

    def _common(self, kwargs: dict[str, Any], max_tokens_key: str) -> dict[str, Any]:
        """Adds the token limit (under the API's own key) and sampling options."""
        if self.max_tokens is not None:
            kwargs[max_tokens_key] = self.max_tokens
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if self.extra_body:
            kwargs["extra_body"] = dict(self.extra_body)
        return kwargs


# --- reading SDK chunks --------------------------------------------------------------


class _Progress(_SourceProgress):
    """What has been read of one stream, and when."""

    __slots__ = ("first_token", "started")

    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()
        self.first_token: float | None = None

    def finished(self) -> Finished:
        ttft = None if self.first_token is None else self.first_token - self.started
        return Finished(
            finish_reason=self.finish_reason,
            chunks=self.chunks,
            deltas=self.deltas,
            duration=time.monotonic() - self.started,
            time_to_first_token=ttft,
            usage=self.usage,
            model=self.model,
            response_id=self.response_id,
            other_tool_calls=len(self.other_tool_calls),
        )


def _is_timeout(exc: BaseException) -> bool:
    """An SDK or HTTP-layer timeout (the HTTP library's class is not imported)."""
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return True
    return any(cls.__name__ == "TimeoutException" for cls in type(exc).__mro__)


def source_error(exc: Exception) -> SourceError:
    """The provider's or HTTP library's exception as a :class:`SourceError`."""
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc)
    if isinstance(exc, openai.APIConnectionError) and not _is_timeout(exc):
        reason = exc.__cause__ or exc
        return SourceError(
            f"the connection to the model server failed: {reason}", cause=exc
        )
    return SourceError(f"the model server failed: {exc!r}", cause=exc)


# --- the run -----------------------------------------------------------------------

_IDLE, _RUNNING, _DONE = "idle", "running", "done"


def _path_of(event: Any) -> Any:
    return event.path


class Run:
    """One request and the views on it; see the module docstring."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.state = _IDLE
        self.error: BaseException | None = None
        self.final: Any = None
        self.finished: Finished | None = None
        self.done = threading.Event()
        self.reader: int | None = None  # the thread reading the request
        self.closed_by_consumer = False
        self._lock = threading.RLock()
        self._progress = _Progress()
        self._last: JsonSnapshot | None = None
        self._sdk_stream: Any = None
        self._stop = False
        self._ending = False
        self._scope: anyio.CancelScope | None = None
        self._tokens: Subject[str] = Subject()
        self._snapshots: Subject[JsonSnapshot] = Subject()
        self._partials: Subject[Any] = Subject()
        self._tail: Subject[Finished | FinalResult[Any]] = Subject()
        wire = request.wire
        # Retries (rxstruct._retry): the decoder and the views' pipelines are
        # rebuilt per attempt; Retrying events go out on _restarts, then
        # _new_attempt swaps the views' pipelines.
        self._attempt = 1
        self._failures: list[FailedAttempt] = []
        self._retry: Retrying | None = None
        self._reasks = 0
        self._transport_retries = 0
        self._first_start = time.monotonic()
        self._text: list[str] = []
        self._call_id: str | None = None
        self._wake = threading.Event()
        self._restarts: Subject[Retrying] = Subject()
        self._new_attempt: Subject[Retrying] = Subject()
        self._decoder: abc.DisposableBase = Disposable()
        self._start_decoder()
        self._across(
            lambda: reactivex.compose(
                # The end of the text repeats the last snapshot: not a new partial.
                ops.filter(_news),
                rxs.to_partial(wire.wire_model),
                rxs.distinct_fields(),  # a chunk that changed nothing shown
                ops.map(wire.unwrap),
            ),
            reset=self._reset_partial,
            key=None,
        ).subscribe(self._partials.on_next, lambda _: None, self._partials.on_completed)

    def _start_decoder(self) -> None:
        # The one place the pipeline decodes the text. The wire is always a
        # JSON object, so prose before it ("2 recipes:", "Sure!") is never taken
        # for the value.
        self._tokens = Subject()
        decoded = self._tokens.pipe(rxs.accumulate_json(expect="object"))
        self._decoder = decoded.subscribe(
            self._on_snapshot, self._on_error, self._on_end
        )

    def _reset_partial(self) -> list[Any]:
        """What the partial view shows when an attempt restarts: an empty value."""
        wire = self.request.wire
        return list(
            reactivex.of("{}")
            .pipe(
                rxs.accumulate_json(),
                rxs.to_partial(wire.wire_model),
                ops.take(1),
                ops.map(wire.unwrap),
                ops.to_list(),
            )
            .run()
        )

    # -- views

    def _view(
        self,
        attach: Callable[[abc.ObserverBase[Any]], abc.DisposableBase],
        late: Callable[[abc.ObserverBase[Any]], None],
    ) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            with self._lock:
                if self.state != _DONE:
                    return attach(observer)
            late(observer)
            return Disposable()

        return Observable(subscribe)

    def _end_received(self, observer: abc.ObserverBase[Any]) -> None:
        """A late subscriber to a view of what was received: how it ended."""
        if self.error is not None and not self._outcome_error():
            observer.on_error(_as_exception(self.error))
        else:
            observer.on_completed()

    def _outcome_error(self) -> bool:
        """The run ended with an error about the answer, not the transport."""
        return self.finished is not None

    def partials(self) -> Observable[Any]:
        return self._view(
            lambda observer: self._partials.subscribe(observer), self._end_received
        )

    def items(self, path: str | None, item_type: Any) -> Observable[ListItem[Any]]:
        view = self._across(lambda: rxs.new_list_items(item_type, path=path))
        return self._view(lambda observer: view.subscribe(observer), self._end_received)

    def fields(self, *patterns: str) -> Observable[FieldCompleted]:
        view = self._across(lambda: rxs.completed_fields(*patterns))
        return self._view(lambda observer: view.subscribe(observer), self._end_received)

    def _across(
        self,
        make: Callable[[], Callable[[Observable[JsonSnapshot]], Observable[Any]]],
        *,
        dropped: bool = False,
        reset: Callable[[], Sequence[Any]] | None = None,
        key: Callable[[Any], Any] | None = _path_of,
    ) -> Observable[Any]:
        """A view of the snapshots, rebuilt per attempt (rule: ItemsDropped)."""
        request = self.request
        if not (request.max_retries or request.transport_retry):
            return self._snapshots.pipe(make())  # one attempt: nothing to rebuild
        return across_attempts(
            self._snapshots,
            self._new_attempt,
            make,
            reset=reset,
            key=key,
            dropped=(lambda paths: ItemsDropped(paths=paths)) if dropped else None,
        )

    def finish(self) -> Observable[Finished]:
        def late(observer: abc.ObserverBase[Any]) -> None:
            if self.finished is not None:
                observer.on_next(self.finished)
                observer.on_completed()
            else:
                observer.on_error(_as_exception(self.error))

        return self._view(
            lambda observer: self._tail.pipe(
                ops.filter(lambda event: isinstance(event, Finished))
            ).subscribe(observer),
            late,
        )

    def final_view(self) -> Observable[Any]:
        def late(observer: abc.ObserverBase[Any]) -> None:
            if self.error is not None:
                observer.on_error(_as_exception(self.error))
            else:
                observer.on_next(self.final)
                observer.on_completed()

        return self._view(
            lambda observer: self._tail.pipe(
                ops.filter(lambda event: isinstance(event, FinalResult)),
                ops.map(_final_value),
            ).subscribe(observer),
            late,
        )

    def events(self) -> Observable[StreamEvent]:
        request = self.request
        item_views: list[Observable[Any]] = []
        if request.item_type is not None:
            item_views.append(
                self._across(
                    lambda: rxs.new_list_items(
                        request.item_type, path=request.items_path
                    ),
                    dropped=True,
                )
            )
        live = reactivex.merge(
            self._restarts,
            self._partials.pipe(ops.map(lambda value: PartialUpdate(value=value))),
            *item_views,
            self._across(rxs.completed_fields),
            self._tail,
        )

        def late(observer: abc.ObserverBase[Any]) -> None:
            if self.finished is not None:
                observer.on_next(self.finished)
            if self.error is not None:
                observer.on_error(_as_exception(self.error))
            else:
                observer.on_next(FinalResult(value=self.final))
                observer.on_completed()

        return self._view(lambda observer: live.subscribe(observer), late)

    # -- the pipeline's ends

    def _on_snapshot(self, snapshot: JsonSnapshot) -> None:
        self._last = snapshot
        self._snapshots.on_next(snapshot)

    def _on_error(self, error: Exception) -> None:
        if self._ending and isinstance(error, IncompleteJsonError):
            self._on_end()  # the answer ended unfinished: say why, in the final
            return
        self._fail_or_retry(error)

    def fail(self, error: BaseException) -> None:
        """End the run with a transport or JSON error: every view gets it."""
        with self._lock:
            if self.state == _DONE:
                return
            self.state = _DONE
            self.error = error
        exc = _as_exception(error)
        self._restarts.on_completed()
        self._snapshots.on_error(exc)
        self._partials.on_error(exc)
        self._tail.on_error(exc)
        self.done.set()

    def _complete_tokens(self) -> None:
        self._ending = True
        self._tokens.on_completed()

    def _on_end(self) -> None:
        finished = self._progress.finished()
        outcome: Exception | None = None
        final: Any = None
        try:
            final = self._final()
        except Exception as error:
            outcome = error
        # The attempt's verdict is known and no view has been told it ended:
        # a re-ask (max_retries) starts another attempt here instead.
        if outcome is not None:
            if self._plan(outcome):
                return  # another attempt follows
            outcome = _as_exception(self._exhausted(outcome))
        # Every view of what was received ends first (a debounce on a partial
        # view flushes here), so that the final is the last thing delivered.
        self._restarts.on_completed()
        self._snapshots.on_completed()
        if outcome is not None:
            with self._lock:
                self.state = _DONE
                self.error = outcome
                self.finished = finished
            self._tail.on_next(finished)
            self._tail.on_error(outcome)
            self.done.set()
            return
        with self._lock:
            self.state = _DONE
            self.final = final
            self.finished = finished
        self._tail.on_next(finished)
        self._tail.on_next(FinalResult(value=final))
        self._tail.on_completed()
        self.done.set()

    def _final(self) -> Any:
        progress = self._progress
        last = self._last
        text = last.text if last is not None else ""
        if progress.refusal:
            refusal = "".join(progress.refusal)
            raise RefusalError(f"the model refused: {refusal}", refusal=refusal)
        if progress.finish_reason == "content_filter":
            raise ContentFilterError(
                "the provider's content filter stopped the answer "
                f"(finish_reason='content_filter') after {len(text)} characters",
                raw=text,
            )
        if last is None or not last.complete:
            raise self._incomplete(last)
        request = self.request
        context = request.context
        if request.max_retries or request.transport_retry:
            context = attempt_context(context, self._attempt)
        value = (
            reactivex.just(last)
            .pipe(rxs.validate_final(request.wire.wire_model, context=context))
            .run()
        )
        return request.wire.unwrap(value)

    def _incomplete(self, last: JsonSnapshot | None) -> IncompleteJsonError:
        text = last.text if last is not None else ""
        open_path = last.open_path if last is not None else None
        where = (
            "before any JSON value"
            if last is None or not last.has_value
            else "inside the value at "
            + (format_path(open_path) if open_path else "(root)")
        )
        if self._progress.finish_reason == "length":
            limit = self.request.max_tokens
            said = f", max_tokens={limit}" if limit is not None else ""
            reason = (
                f"the token limit cut the answer (finish_reason='length'{said}): "
                f"the stream ended {where}"
            )
        else:
            ended = self._progress.finish_reason
            reason = f"the stream ended {where} (finish_reason={ended!r})"
        return IncompleteJsonError(reason, text, len(text), open_path=open_path)

    # -- reading

    def begin(self) -> None:
        with self._lock:
            if self.state != _IDLE:
                raise UsageError(
                    "this structured stream has already been read; its outcome is "
                    "in result() / get_final_response(). Call rs.stream() again "
                    "for a new request."
                )
            self.state = _RUNNING
            self.reader = threading.get_ident()
            self._progress = _Progress()

    def _chunk(self, chunk: Any) -> None:
        progress = self._progress
        progress.chunks += 1
        mode = self.request.mode
        if mode == "responses":
            text = _responses_text(chunk, progress)
        elif mode == "tools":
            text = _chat_text(chunk, progress, 0)
        else:
            text = _chat_text(chunk, progress, None)
        if text is not None:
            if progress.first_token is None:
                progress.first_token = time.monotonic()
            progress.deltas += 1
            self._text.append(text)
            self._tokens.on_next(text)
        if mode == "tools" and self._call_id is None:
            self._call_id = first_call_id(chunk)

    def _cancelled(self) -> None:
        self.closed_by_consumer = True
        progress = self._progress
        error = SourceError(
            "the request was closed by the consumer before the answer ended "
            f"(after {progress.chunks} chunks)"
        )
        try:
            self.fail(error)
        except Exception:  # a view without on_error re-raised it
            pass  # whatever interrupted the reading is already on its way up

    def _stalled(self) -> None:
        timeout = self.request.stall_timeout or 0.0
        chunks = self._progress.chunks
        self._fail_or_retry(
            StreamStalledError(
                f"no chunk from the model server for {timeout:g} s "
                f"(after {chunks} chunks); the request was closed",
                timeout=timeout,
                chunks=chunks,
            )
        )

    def _start(self, client: _Client) -> _Client:
        """Begin reading; the client, with its own retries off if rxstruct retries."""
        self.begin()
        self._first_start = time.monotonic()
        if self.request.transport_retry is not None:
            return client.with_options(max_retries=0)  # rxstruct retries instead
        return client

    def read_sync(self, client: openai.OpenAI) -> Generator[None, None, None]:
        """Read the request in this thread, one chunk per step, each attempt."""
        client = self._start(client)
        try:
            while True:
                yield from self._read_attempt_sync(client)
                retry = self._retry
                if retry is None:
                    return
                if not self._stop and retry.delay > 0:
                    self._wake.wait(retry.delay)  # stop() wakes it
                if self._stop:
                    return
                self._restart()
        finally:
            self._interrupted()

    def _read_attempt_sync(self, client: openai.OpenAI) -> Generator[None, None, None]:
        request = self.request
        if request.stall_timeout is not None:
            # A read timeout is exactly "no bytes for stall_timeout seconds".
            client = client.with_options(timeout=request.stall_timeout)
        sdk_stream: Any = None
        try:
            try:
                if request.mode == "responses":
                    sdk_stream = client.responses.create(**request.responses_kwargs())
                else:
                    sdk_stream = client.chat.completions.create(**request.chat_kwargs())
                self._sdk_stream = sdk_stream
                for chunk in sdk_stream:
                    self._chunk(chunk)
                    if self.state == _DONE or self._stop or self._retry is not None:
                        break
                    yield
            except Exception as exc:
                self._read_failed(exc)
            else:
                if self._stop:
                    self._cancelled()
                elif self.state == _RUNNING and self._retry is None:
                    self._complete_tokens()
        finally:
            self._sdk_stream = None
            if sdk_stream is not None:
                try:
                    sdk_stream.close()
                except Exception:  # the connection is already broken
                    pass
            if self.state == _RUNNING and self._retry is None:
                self._cancelled()  # interrupted: closed, Ctrl-C, a raising view

    async def read_async(
        self, client: openai.AsyncOpenAI
    ) -> AsyncGenerator[None, None]:
        """Read the request in this task (asyncio or trio), attempt after attempt."""
        client = self._start(client)
        try:
            while True:
                reader = self._read_attempt_async(client)
                try:
                    async for _ in reader:
                        yield
                finally:
                    await reader.aclose()
                retry = self._retry
                if retry is None:
                    return
                if not self._stop and retry.delay > 0:
                    with anyio.CancelScope() as scope:
                        self._scope = scope  # stop() cancels the wait
                        await anyio.sleep(retry.delay)
                    self._scope = None
                if self._stop:
                    return
                self._restart()
        finally:
            self._interrupted()

    async def _read_attempt_async(
        self, client: openai.AsyncOpenAI
    ) -> AsyncGenerator[None, None]:
        request = self.request
        stall = request.stall_timeout
        sdk_stream: Any = None

        def deadline() -> float:
            return anyio.current_time() + stall if stall is not None else float("inf")

        try:
            try:
                with anyio.CancelScope(deadline=deadline()) as scope:
                    self._scope = scope
                    if request.mode == "responses":
                        sdk_stream = await client.responses.create(
                            **request.responses_kwargs()
                        )
                    else:
                        sdk_stream = await client.chat.completions.create(
                            **request.chat_kwargs()
                        )
                while not scope.cancelled_caught and not self._stop:
                    # One scope per read, never open across a yield: the
                    # consumer's own time is not counted and never cancelled.
                    with anyio.CancelScope(deadline=deadline()) as scope:
                        self._scope = scope
                        try:
                            chunk = await sdk_stream.__anext__()
                        except StopAsyncIteration:
                            break
                    self._scope = None
                    if scope.cancelled_caught:
                        break
                    self._chunk(chunk)
                    if self.state == _DONE or self._retry is not None:
                        break
                    yield
                if self.state == _RUNNING and (scope.cancelled_caught or self._stop):
                    if self._stop:
                        self._cancelled()
                    else:
                        self._stalled()
            except Exception as exc:
                self._read_failed(exc)
            else:
                if self.state == _RUNNING and self._retry is None:
                    self._complete_tokens()
        finally:
            self._scope = None
            if sdk_stream is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        await sdk_stream.close()
                    except Exception:  # the connection is already broken
                        pass
            if self.state == _RUNNING and self._retry is None:
                self._cancelled()  # interrupted: cancelled, closed, raising view

    def _read_failed(self, exc: Exception) -> None:
        if self.state == _DONE:
            return
        if self._stop:
            self._cancelled()
        elif _is_timeout(exc):
            self._stalled()
        elif isinstance(exc, RxStructError):
            self._fail_or_retry(exc)
        elif isinstance(exc, openai.OpenAIError) or type(exc).__module__.startswith(
            ("httpx", "httpcore")
        ):
            self._fail_or_retry(source_error(exc))
        else:
            raise exc  # a view's own bug: the caller sees it

    def stop(self) -> None:
        """Close the request from anywhere: the reader stops and hangs up."""
        with self._lock:
            if self.state == _IDLE:
                self.state = _RUNNING
                self._stop = True
                self._cancelled()
                return
            self._stop = True
        self._wake.set()
        scope = self._scope
        if scope is not None:
            scope.cancel()
        sdk_stream = self._sdk_stream
        if sdk_stream is not None:
            _cut(sdk_stream)

    # -- retries (the policy is rxstruct._retry's)

    def _fail_or_retry(self, error: BaseException) -> None:
        if self.state == _DONE:
            return
        if not self._plan(error):
            self.fail(self._exhausted(error))

    def _retryable(self, error: BaseException) -> bool:
        request = self.request
        if is_reaskable(error):
            return request.max_retries > 0
        policy = request.transport_retry
        return (
            policy is not None
            and is_transient(error)
            and (self._progress.deltas == 0 or policy.restart_after_tokens)
        )

    def _plan(self, error: BaseException) -> bool:
        """Decide whether ``error`` is retried; if so, prepare the next attempt."""
        request = self.request
        if self._stop or not self._retryable(error):
            return False
        delay = 0.0
        if is_reaskable(error):
            if self._reasks >= request.max_retries:
                return False
            self._reasks += 1
            reason: Any = "reask"
        else:
            policy = request.transport_retry
            assert policy is not None  # _retryable checked it
            retry = self._transport_retries + 1
            delay = policy.delay(retry, retry_after=retry_after(error))
            if not policy.allows(retry, time.monotonic() - self._first_start, delay):
                return False
            self._transport_retries = retry
            reason = "restart" if self._progress.deltas else "transport"
        exc = _as_exception(error)
        failed = FailedAttempt(
            attempt=self._attempt, error=exc, raw="".join(self._text)
        )
        self._failures.append(failed)
        if reason == "reask":
            default = reask_messages(
                request.mode,
                failed,
                tool_name=request.wire.name,
                call_id=self._call_id,
            )
            added = request.reask(failed, default) if request.reask else default
            self.request = replace(request, messages=[*request.messages, *added])
        self._retry = Retrying(
            attempt=self._attempt + 1,
            reason=reason,
            error=exc,
            raw=failed.raw,
            delay=delay,
            finished=self._progress.finished() if self._ending else None,
        )
        self._decoder.dispose()  # the rest of this attempt's text goes nowhere
        self._restarts.on_next(self._retry)  # announced before the wait
        return True

    def _exhausted(self, error: BaseException) -> BaseException:
        if not self._failures or not self._retryable(error):
            return error
        last = FailedAttempt(
            attempt=self._attempt, error=_as_exception(error), raw="".join(self._text)
        )
        return RetriesExhaustedError([*self._failures, last])

    def _restart(self) -> None:
        retry, self._retry = self._retry, None
        assert retry is not None
        self._attempt = retry.attempt
        self._progress = _Progress()
        self._last = None
        self._ending = False
        self._text = []
        self._call_id = None
        self._start_decoder()
        self._new_attempt.on_next(retry)  # the views reset

    def _interrupted(self) -> None:
        """After the last attempt: if nothing ended the run, the consumer did."""
        if self.state == _RUNNING:
            self._retry = None
            self._cancelled()


def _news(snapshot: JsonSnapshot) -> bool:
    return bool(snapshot.changed) or not snapshot.done


def _final_value(event: Finished | FinalResult[Any]) -> Any:
    return event.value if isinstance(event, FinalResult) else None


def _as_exception(error: BaseException | None) -> Exception:
    if isinstance(error, Exception):
        return error
    return SourceError(f"the request was interrupted ({type(error).__name__})")
