"""The structured call: one line from a response model to live partials and a final.

:func:`stream` builds, without sending anything, a request whose JSON schema is
derived from a pydantic response model. The object it returns makes that ONE
request when it is first used, and every way of looking at the answer shares
it: iterate it for partial objects, ask for the validated final, or subscribe
Observables of partials, completed list items, completed fields, the finish
information and one stream of all events::

    stream = rs.stream(client, response_model=Recipes, messages=..., model=...)
    for partial in stream:                 # partial Recipes, growing
        ...
    recipes = stream.get_final_response()  # Recipes, fully validated

Where the reading runs: the request is read by whoever drives the object: the
``for`` loop's thread, the ``async for`` loop's task (asyncio or trio), the
thread blocked in ``result()``, or for ``connect()`` a background thread (sync
client) or task (asyncio). Views subscribed before that receive their values
there, synchronously, as each chunk is decoded; nothing is sent until the
object is driven, so ``stream.partials.subscribe(print)`` alone prints nothing
in a script: subscribe, then call ``result()`` (or ``connect()``).

Order: in every view the validated final is the last value, after every
partial; views of what was received (``partials``, ``items``, ``fields``)
complete before the final is delivered, so a ``debounce`` on them flushes its
last value first.

Outcomes (each is an exception from :mod:`rxstruct.exceptions`):

- transport: HTTP 401/429/500 before the first token, a refused connection, a
  connection dropped mid-stream: :class:`~rxstruct.SourceError` (with
  ``.status_code`` and the SDK's exception as ``.cause``) in every view and
  from the loop. Who retries: by default the openai SDK retries 429, 5xx and
  connection errors before the first token itself (``max_retries=2`` by
  default, with backoff and ``Retry-After``). With ``transport_retry=`` rxstruct
  does it instead (the SDK's retries are turned off for the request): backoff
  on the reader's clock, ``Retry-After``, a total deadline, a ``Retrying``
  event per retry. A connection lost after tokens arrived is never retried
  silently (``restart_after_tokens=True`` restarts it, announced).
- a stall: :class:`~rxstruct.StreamStalledError` after ``stall_timeout``
  seconds without a chunk (a sync client counts seconds without a byte).
- the answer: a refusal (:class:`~rxstruct.RefusalError`), the content filter
  (:class:`~rxstruct.ContentFilterError`), the token limit
  (:class:`~rxstruct.IncompleteJsonError` saying that the limit cut it),
  malformed JSON (:class:`~rxstruct.JsonStreamError`), a final that fails
  validation (:class:`~rxstruct.FinalValidationError`). Raised at the end of
  the loop and by ``result()``; ``.final`` and ``.events`` end with it, while
  the views of what was received complete.
- re-asking: with ``max_retries=N`` invalid JSON, a cut answer and a failed
  validation are re-asked up to N times; the views are reset on a
  ``Retrying`` event (partials: an empty value; items and fields: see
  :class:`~rxstruct.events.ItemsDropped`). When every allowed attempt failed:
  :class:`~rxstruct.RetriesExhaustedError` with each attempt's error and text.
- closing: ``break``, ``close()``, Ctrl-C, cancelling the task or disposing
  a ``connect()`` closes the HTTP response at once; a loop closed this way just
  ends, while views still subscribed and ``result()`` get a
  :class:`~rxstruct.SourceError` saying the consumer closed it.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any, Generic, Required, TypedDict, TypeVar, Unpack, overload

import openai
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable

from ._partial import Partial
from ._public import publish as _publish
from ._reask import retry_with_feedback
from ._retry import Reask, TransportRetry
from ._run import Mode, Request, Run
from ._schema import wire_format
from .events import FieldCompleted, Finished, ListItem, StreamEvent
from .exceptions import UsageError
from .sinks import to_iterator

__all__ = [
    "AsyncStructuredStream",
    "Mode",
    "StructuredStream",
    "TransportRetry",
    "retry_with_feedback",
    "stream",
]

_T = TypeVar("_T")
_P = TypeVar("_P")
_M = TypeVar("_M", bound=BaseModel)

_MODES = typing.get_args(Mode)


class _Views(Generic[_T, _P]):
    """The Observables both kinds of stream share."""

    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def partials(self) -> Observable[_P]:
        """Partial values as they grow: ``Partial[Model]`` (or a list of them).

        Completes when the answer ends, before the final is delivered; errors
        only on a transport or JSON error.
        """
        return self._run.partials()

    @property
    def items(self) -> Observable[ListItem[Any]]:
        """Each element of the ``items=`` list, validated, once, when it closes.

        The list is the one named by ``items=`` (default: the top-level list
        of a ``list[...]`` response model).
        """
        request = self._run.request
        if request.item_type is None:
            raise UsageError(
                "this stream has no list to take items from: pass items='path' "
                "to rs.stream() (e.g. items='recipes'), or use items_at()"
            )
        return self._run.items(request.items_path, request.item_type)

    def items_at(self, path: str, item_type: Any) -> Observable[ListItem[Any]]:
        """Each element of the list(s) at ``path``, validated as ``item_type``.

        ``path`` is a path of the JSON on the wire (see ``new_list_items``).
        """
        return self._run.items(path, item_type)

    def fields(self, *patterns: str) -> Observable[FieldCompleted]:
        """Each field matching ``patterns`` once, when its value is complete.

        Default: every object member. Paths are those of the JSON on the wire.
        """
        return self._run.fields(*patterns)

    @property
    def finish(self) -> Observable[Finished]:
        """One :class:`Finished` when the answer ends, before the final.

        It carries the finish reason, the token usage and the timing.
        """
        return self._run.finish()

    @property
    def final(self) -> Observable[_T]:
        """The validated final value, last, or the error that prevented it."""
        return self._run.final_view()

    @property
    def events(self) -> Observable[StreamEvent]:
        """Everything, in order, told apart by ``kind``.

        ``PartialUpdate``, ``ListItem`` (with ``items=``), ``FieldCompleted``,
        then ``Finished`` and ``FinalResult`` last. With retries, a
        ``Retrying`` between attempts and, if items shown earlier are gone
        from the final answer, one ``ItemsDropped`` before ``Finished``.
        """
        return self._run.events()

    @property
    def finished(self) -> Finished | None:
        """How the request ended, once it has (else ``None``)."""
        return self._run.finished


class StructuredStream(_Views[_T, _P]):
    """One structured request with a sync ``openai.OpenAI`` client; see :func:`stream`.

    Iterate it for partial values (the reading runs in the loop's thread,
    between iterations), then call :meth:`get_final_response`. Or subscribe
    its views and call :meth:`result` (or :meth:`connect`).

    Example:
        >>> import openai
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> from rxstruct.testing import ScriptedLLMServer
        >>> class City(BaseModel):
        ...     name: str
        >>> with ScriptedLLMServer([['{"name": "Ly', 'on"}']]) as server:
        ...     client = openai.OpenAI(base_url=server.base_url, api_key="-")
        ...     stream = rs.stream(client, response_model=City, model="local",
        ...                        messages=[{"role": "user", "content": "?"}])
        ...     _ = stream.final.subscribe(lambda city: print("final:", city))
        ...     _ = stream.finish.subscribe(lambda end: print(end.finish_reason))
        ...     city = stream.result()  # the request is read here
        stop
        final: name='Lyon'
    """

    def __init__(self, client: openai.OpenAI, run: Run, *, latest: bool) -> None:
        super().__init__(run)
        self._client = client
        self._latest = latest

    def __iter__(self) -> Iterator[_P]:
        """Partial values as the answer is read, then the end of the loop.

        Slow consumer: by default the request is read in this thread between
        iterations, so nothing is buffered but the partials of the chunk just
        read and nothing is dropped; a slow loop body slows the reading (the
        server's output waits in TCP buffers). With ``latest=True`` a
        background thread reads and the loop gets the newest partial only.

        Raises:
            RxStructError: How the request failed (see the module docstring),
                at the end of the loop, after every partial.
        """
        if self._latest:
            return self._iterate_latest()
        return self._iterate()

    def _iterate(self) -> Generator[_P, None, None]:
        pending: list[Any] = []
        subscription = self._run.partials().subscribe(pending.append, lambda _: None)
        reader = self._run.read_sync(self._client)
        try:
            for _ in reader:
                while pending:
                    yield pending.pop(0)
            while pending:
                yield pending.pop(0)
            if not self._run.closed_by_consumer:  # close() in the loop: just end
                self._raise_error()
        finally:
            subscription.dispose()
            reader.close()

    def _iterate_latest(self) -> Generator[_P, None, None]:
        def subscribe(
            observer: abc.ObserverBase[Any],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            # Subscribed first, then the reading starts: nothing is missed.
            subscription = self._run.partials().subscribe(observer)
            return CompositeDisposable(subscription, self.connect())

        partials = to_iterator(Observable(subscribe), latest=True)
        try:
            yield from partials
            self._run.done.wait()
            if not self._run.closed_by_consumer:
                self._raise_error()
        finally:
            self.close()
            partials.close()

    def _raise_error(self) -> None:
        error = self._run.error
        if error is not None:
            raise error

    def result(self) -> _T:
        """Read the whole answer (if not yet read) and return the validated final.

        Blocks this thread, which does the reading (or waits for the
        ``connect()`` thread). Ctrl-C closes the HTTP response and raises
        ``KeyboardInterrupt``.

        Raises:
            RxStructError: How the request failed (see the module docstring).
        """
        run = self._run
        if run.state == "idle":
            for _ in run.read_sync(self._client):
                pass
        elif run.state == "running" and run.reader == threading.get_ident():
            raise UsageError(
                "result() inside the loop over the same stream would wait for "
                "itself: call it after the loop"
            )
        else:
            try:
                while not run.done.wait(0.05):
                    pass
            except BaseException:
                run.stop()
                raise
        self._raise_error()
        return typing.cast(_T, run.final)

    def get_final_response(self) -> _T:
        """The validated final; same as :meth:`result` (Instructor's name)."""
        return self.result()

    def connect(self) -> abc.DisposableBase:
        """Start reading on a background thread; dispose to close the request.

        For Observable use: subscribe the views, then ``connect()``. Values
        arrive on that thread.
        """
        run = self._run
        if run.state != "idle":
            raise UsageError("this stream is already being read (or was read)")

        def read() -> None:
            for _ in run.read_sync(self._client):
                pass

        threading.Thread(target=read, name="rxstruct-stream", daemon=True).start()
        return Disposable(self.close)

    def close(self) -> None:
        """Close the request now (from any thread); safe to call twice."""
        if self._run.state != "done":
            self._run.stop()

    def __enter__(self) -> StructuredStream[_T, _P]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncStructuredStream(_Views[_T, _P]):
    """One structured request with an ``openai.AsyncOpenAI`` client; see :func:`stream`.

    ``async for`` it for partial values (the reading runs in the loop's task,
    on asyncio or trio), then ``await`` :meth:`get_final_response`; or
    ``await stream`` for the final only.

    Example:
        >>> import anyio, openai
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> from rxstruct.testing import ScriptedLLMServer
        >>> class City(BaseModel):
        ...     name: str
        >>> async def main(base_url: str) -> City:
        ...     async with openai.AsyncOpenAI(base_url=base_url, api_key="-") as c:
        ...         stream = rs.stream(c, response_model=City, model="local",
        ...                            messages=[{"role": "user", "content": "?"}])
        ...         async for partial in stream:
        ...             print(partial)
        ...         return await stream.get_final_response()
        >>> with ScriptedLLMServer([['{"name": "Ly', 'on"}']]) as server:
        ...     print(repr(anyio.run(main, server.base_url)))
        name='Ly'
        name='Lyon'
        City(name='Lyon')
    """

    def __init__(self, client: openai.AsyncOpenAI, run: Run) -> None:
        super().__init__(run)
        self._client = client
        self._loop: AsyncGenerator[_P, None] | None = None

    def __aiter__(self) -> AsyncIterator[_P]:
        """Partial values as the answer is read (in this task, between iterations).

        Slow consumer: the reading pauses while the loop body runs; nothing is
        buffered but the partials of the chunk just read, nothing is dropped.
        Cancelling the task closes the request at once; after ``break`` use
        ``await stream.aclose()`` (or ``async with stream:``) to close it
        without waiting for the garbage collector.

        Raises:
            RxStructError: How the request failed, at the end of the loop.
        """
        self._loop = self._aiterate()
        return self._loop

    async def _aiterate(self) -> AsyncGenerator[_P, None]:
        pending: list[Any] = []
        subscription = self._run.partials().subscribe(pending.append, lambda _: None)
        reader = self._run.read_async(self._client)
        try:
            async for _ in reader:
                while pending:
                    yield pending.pop(0)
            while pending:
                yield pending.pop(0)
            error = self._run.error
            if error is not None and not self._run.closed_by_consumer:
                raise error
        finally:
            subscription.dispose()
            await reader.aclose()

    async def result(self) -> _T:
        """Read the whole answer (if not yet read) and return the validated final.

        Raises:
            RxStructError: How the request failed (see the module docstring).
        """
        run = self._run
        if run.state == "idle":
            reader = run.read_async(self._client)
            try:
                async for _ in reader:
                    pass
            finally:
                await reader.aclose()
        elif run.state == "running":
            raise UsageError(
                "the stream is being read by another task: await its loop first"
            )
        error = run.error
        if error is not None:
            raise error
        return typing.cast(_T, run.final)

    async def get_final_response(self) -> _T:
        """The validated final; same as :meth:`result` (Instructor's name)."""
        return await self.result()

    def __await__(self) -> Generator[Any, None, _T]:
        return self.result().__await__()

    def close(self) -> None:
        """Close the request now (call it on the event loop's thread)."""
        if self._run.state != "done":
            self._run.stop()

    async def aclose(self) -> None:
        """Close the request and the loop's iterator now."""
        self.close()
        loop, self._loop = self._loop, None
        if loop is not None:
            await loop.aclose()

    async def __aenter__(self) -> AsyncStructuredStream[_T, _P]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# --- the call --------------------------------------------------------------------


def _item_type(response_model: Any, wire_key: str | None, path: str | None) -> Any:
    """The element type of the list at ``path`` (a path of the response model)."""
    if path is None:
        if wire_key == "items":
            return typing.get_args(response_model)[0]
        return None
    node: Any = response_model
    for part in path.replace("[*]", ".[*]").split("."):
        if not part:
            continue
        if part == "[*]":
            node = _element(node, path)
            continue
        fields = getattr(node, "model_fields", None)
        if not isinstance(fields, dict) or part not in fields:
            raise UsageError(
                f"items={path!r}: {getattr(node, '__name__', node)!r} has no field "
                f"{part!r}"
            )
        node = fields[part].annotation
    return _element(node, path)


def _element(node: Any, path: str) -> Any:
    args = typing.get_args(node)
    if typing.get_origin(node) is list and args:
        return args[0]
    optional = [arg for arg in args if arg is not type(None)]
    if len(optional) == 1 and typing.get_origin(optional[0]) is list:
        return typing.get_args(optional[0])[0]
    raise UsageError(f"items={path!r} does not name a list (found {node!r})")


class _Options(TypedDict, total=False):
    """The keyword arguments of :func:`stream` after ``response_model``.

    For its overloads; the implementation spells them out and documents them.
    """

    messages: Required[Sequence[ChatCompletionMessageParam]]
    model: Required[str]
    mode: Mode
    max_tokens: int | None
    temperature: float | None
    context: Mapping[str, Any] | None
    strict: bool
    stall_timeout: float | None
    extra_body: Mapping[str, object] | None
    items: str | None
    latest: bool
    max_retries: int
    reask: Reask | None
    transport_retry: TransportRetry | None


@overload
def stream(
    client: openai.OpenAI,
    *,
    response_model: type[list[_M]],
    **options: Unpack[_Options],
) -> StructuredStream[list[_M], list[Partial[_M]]]: ...


@overload
def stream(
    client: openai.OpenAI, *, response_model: type[_M], **options: Unpack[_Options]
) -> StructuredStream[_M, Partial[_M]]: ...


@overload
def stream(
    client: openai.OpenAI, *, response_model: type[_T], **options: Unpack[_Options]
) -> StructuredStream[_T, Any]: ...


@overload
def stream(
    client: openai.AsyncOpenAI,
    *,
    response_model: type[list[_M]],
    **options: Unpack[_Options],
) -> AsyncStructuredStream[list[_M], list[Partial[_M]]]: ...


@overload
def stream(
    client: openai.AsyncOpenAI, *, response_model: type[_M], **options: Unpack[_Options]
) -> AsyncStructuredStream[_M, Partial[_M]]: ...


@overload
def stream(
    client: openai.AsyncOpenAI, *, response_model: type[_T], **options: Unpack[_Options]
) -> AsyncStructuredStream[_T, Any]: ...


def stream(
    client: openai.OpenAI | openai.AsyncOpenAI,
    *,
    response_model: Any,
    messages: Sequence[ChatCompletionMessageParam],
    model: str,
    mode: Mode = "json_schema",
    max_tokens: int | None = None,
    temperature: float | None = None,
    context: Mapping[str, Any] | None = None,
    strict: bool = True,
    stall_timeout: float | None = None,
    extra_body: Mapping[str, object] | None = None,
    items: str | None = None,
    latest: bool = False,
    max_retries: int = 0,
    reask: Reask | None = None,
    transport_retry: TransportRetry | None = None,
) -> StructuredStream[Any, Any] | AsyncStructuredStream[Any, Any]:
    """A structured streaming request for ``response_model``; nothing is sent yet.

    The schema is derived from ``response_model`` and sent as ``mode`` says;
    the returned object makes ONE request at its first use and shares it
    among all its views (see the module docstring for where the reading runs,
    the order of deliveries and every failure's outcome).

    .. code-block:: text

        server:  '{"na' -- 'me": "Ada"' -- ', "age": 3' -- '8}' -- [DONE]
                 [      rs.stream(client, response_model=User, ...)      ]
        partials: name='' -- name='Ada' ------------------- age=38 --|
        final:   ------------------------------------------------------- User(...)|

    Args:
        client: ``openai.OpenAI`` (iterate with ``for``, ``result()``) or
            ``openai.AsyncOpenAI`` (``async for``, ``await``), pointed at any
            OpenAI-compatible server: base URL, key and retries are the
            client's.
        response_model: A pydantic model, ``list[Model]`` (sent wrapped as
            ``{"items": [...]}`` and unwrapped for you), or any type pydantic
            can validate (wrapped as ``{"value": ...}``).
        messages: The chat messages (for ``mode="responses"``, sent as
            ``input``).
        model: The model name the server knows.
        mode: ``"json_schema"``: Chat Completions ``response_format``;
            ``"tools"``: one forced tool call whose arguments are streamed;
            ``"responses"``: the Responses API with ``text.format``.
        max_tokens: The token limit (``max_output_tokens`` for Responses).
        temperature: Sampling temperature.
        context: Validation context for the final validation (validators see
            it, with ``rxstruct_partial=False``).
        strict: OpenAI strict structured outputs: every field required on the
            wire (a field defaulting to ``None`` is nullable; any other
            default must be written by the model), no free-form objects.
            ``False`` sends pydantic's schema as it is.
        stall_timeout: Seconds without a chunk after which the request is
            closed with :class:`~rxstruct.StreamStalledError`.
        extra_body: Extra JSON fields for the request body (provider options).
        items: Path of the list whose elements ``.items`` emits, e.g.
            ``"recipes"``; default: the top-level list of ``list[Model]``.
        latest: Sync iteration only: read on a background thread and give the
            loop only the newest partial (for UIs slower than the tokens).
        max_retries: How many times an unusable answer (invalid JSON, cut by
            the token limit, a final that fails validation) is re-asked: the
            model's answer and what is wrong with it are appended to the
            messages (tool mode: as its tool call and the tool's result) and
            the request is sent again. Each restart is a ``Retrying`` event.
            With retries on (this or ``transport_retry``), validators find the
            attempt number (1, 2, ...) in ``context["rxstruct_attempt"]``.
        reask: ``reask(failed, messages)`` returns the messages to append
            after the failed attempt instead of ``messages`` (rxstruct's).
        transport_retry: A :class:`TransportRetry` to let rxstruct (instead of
            the SDK) retry 429/5xx/connection errors before the first token,
            with backoff, ``Retry-After`` and a deadline, each announced by a
            ``Retrying`` event; ``restart_after_tokens=True`` also restarts a
            request dropped mid-answer. ``None``: the client's own retries.

    Returns:
        A :class:`StructuredStream` (sync client) or
        :class:`AsyncStructuredStream` (async client).

    Raises:
        UsageError: At once, for arguments that cannot work: an unknown
            ``mode``, a type with no JSON schema, a construct that strict mode
            cannot express (the message says which and where), a bad
            ``items`` path, ``latest`` with an async client.

    Example:
        >>> import openai
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> from rxstruct.testing import ScriptedLLMServer
        >>> class User(BaseModel):
        ...     name: str
        ...     age: int
        >>> with ScriptedLLMServer([['{"name": "Ada"', ', "age": 38}']]) as server:
        ...     client = openai.OpenAI(base_url=server.base_url, api_key="local")
        ...     answer = rs.stream(client, response_model=User, model="local",
        ...                        messages=[{"role": "user", "content": "Ada, 38"}])
        ...     for partial in answer:
        ...         print(partial)
        ...     print(repr(answer.get_final_response()))
        name='Ada' age=None
        name='Ada' age=38
        User(name='Ada', age=38)
    """
    if mode not in _MODES:
        raise UsageError(f"mode must be one of {', '.join(_MODES)}; got {mode!r}")
    if stall_timeout is not None and not stall_timeout > 0:
        raise UsageError(f"stall_timeout must be positive, got {stall_timeout!r}")
    if max_retries < 0:
        raise UsageError(f"max_retries must be >= 0, got {max_retries!r}")
    if not isinstance(client, openai.OpenAI | openai.AsyncOpenAI):
        raise UsageError(
            f"client must be an openai.OpenAI or openai.AsyncOpenAI, got {client!r}"
        )
    wire = wire_format(response_model, strict=strict)
    item_type = _item_type(response_model, wire.key, items)
    items_path = items
    if items is None and wire.key == "items":
        items_path = "items"
    elif items is not None and wire.key is not None:
        items_path = f"{wire.key}.{items}"
    request = Request(
        wire=wire,
        messages=[typing.cast(Mapping[str, Any], m) for m in messages],
        model=model,
        mode=mode,
        max_tokens=max_tokens,
        temperature=temperature,
        context=context,
        stall_timeout=stall_timeout,
        extra_body=extra_body,
        items_path=items_path,
        item_type=item_type,
        max_retries=max_retries,
        reask=reask,
        transport_retry=transport_retry,
    )
    run = Run(request)
    if isinstance(client, openai.AsyncOpenAI):
        if latest:
            raise UsageError(
                "latest=True is for sync iteration; with an async client the loop "
                "reads between iterations: debounce the .partials view instead"
            )
        return AsyncStructuredStream(client, run)
    return StructuredStream(client, run, latest=latest)


# The names defined in private modules (the retry policy and operator, the
# request modes) show this module as their home; the event types live in
# rxstruct.events.
_publish(globals(), __all__)
