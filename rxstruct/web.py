"""Server-Sent Events from rxstruct pipelines, for web apps.

:func:`to_sse` turns the views of one pipeline (partials or JSON-Patch
deltas, completed list items, the validated final) into an async iterator of
SSE frames that any ASGI framework can stream, and :meth:`SseStream.response`
wraps it in a ready Starlette/FastAPI response (``sse-starlette``'s
``EventSourceResponse``: headers, keep-alive pings, client disconnects).

The frames, in order::

    data: {"ideas": [{"title": "Tac"}]}          a partial (the default event)

    event: patch                                 or, with patches=..., the
    data: [{"op":"append","path":"/ideas/0/title","value":"o"}]   changes

    event: item                                  a completed list element
    data: {"index": 0, "path": ["ideas", 0], "value": {...}}

    event: reset                                 a validation retry starts: the
    data: {"attempt": 2, "reason": "..."}        client drops what it has

    event: done                                  the validated final, always
    data: {"ideas": [...]}                       last (null without final=...)

    event: error                                 instead of done: the failure
    data: {"type": "FinalValidationError", "message": "...", ...}

    : ping                                       keep-alive comment when idle

Example:
    A FastAPI endpoint, with ``rs`` for ``rxstruct``::

        @app.post("/ideas")
        async def ideas(request: IdeasRequest) -> EventSourceResponse:
            return rs.to_sse(**idea_views(request)).response()

    Reading the frames directly:

    >>> import anyio, reactivex as rx
    >>> import rxstruct as rs
    >>> from reactivex import operators as ops
    >>> async def main() -> None:
    ...     chunks = rx.of('{"t": "Hel', 'lo"}')
    ...     snaps = chunks.pipe(rs.accumulate_json(), ops.publish())
    ...     stream = rs.to_sse(patches=snaps.pipe(rs.to_json_patch()), connect=snaps)
    ...     async for frame in stream:
    ...         print(frame.decode(), end="")
    >>> anyio.run(main)
    event: patch
    data: [{"op":"add","path":"","value":{"t":"Hel"}}]
    <BLANKLINE>
    event: patch
    data: [{"op":"append","path":"/t","value":"lo"}]
    <BLANKLINE>
    event: done
    data: null
    <BLANKLINE>
"""

from __future__ import annotations

import math
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

import anyio
import anyio.from_thread
import anyio.lowlevel
from pydantic_core import to_json
from reactivex import Observable
from reactivex.abc import DisposableBase
from reactivex.disposable import CompositeDisposable
from reactivex.observable.connectableobservable import ConnectableObservable

from .events import ListItem
from .exceptions import (
    IncompleteJsonError,
    JsonError,
    SourceError,
    UsageError,
    ValidationFailedError,
)
from .json import JsonSnapshot

if TYPE_CHECKING:  # the [web] extra; imported by .response() only (sse-starlette
    # patches uvicorn's exit handler when imported)
    from sse_starlette import EventSourceResponse

__all__ = ["SSE_HEADERS", "SseStream", "error_body", "to_sse"]

SSE_HEADERS: Final[Mapping[str, str]] = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
}
"""Headers an SSE response needs besides ``Content-Type: text/event-stream``:
no caching, and no buffering by nginx-style proxies."""

_PING: Final = b": ping\n\n"
_View = Literal["data", "patch", "item", "done", "reset"]


def _json(value: Any) -> bytes:
    return to_json(value, fallback=repr)


def _frame(event: str | None, data: bytes) -> bytes:
    """One SSE frame; ``data`` is one line of JSON (JSON escapes newlines)."""
    if event is None:
        return b"data: " + data + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


def _payload(view: _View, value: Any) -> Any:
    if isinstance(value, JsonSnapshot):
        return value.value
    if view == "item" and isinstance(value, ListItem):
        return {"index": value.index, "path": list(value.path), "value": value.value}
    return value


def error_body(error: BaseException) -> dict[str, Any]:
    """The JSON body of an ``event: error`` frame: the error type and its context.

    Always ``type`` (the exception class name) and ``message``; plus, where
    the error has them, ``offset``/``line``/``column`` (JSON errors),
    ``open_path`` (incomplete JSON), ``errors`` (pydantic's, for validation
    failures), ``index``/``path`` (a list item) and ``status_code`` (the model
    server's HTTP status).

    Example:
        >>> import rxstruct as rs
        >>> try:
        ...     rs.PartialJsonDecoder().feed('{"a": tru}')
        ... except rs.JsonStreamError as exc:
        ...     body = error_body(exc)
        >>> body["type"], body["line"], body["column"]
        ('JsonStreamError', 1, 7)
    """
    body: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, JsonError):
        body.update(offset=error.offset, line=error.line, column=error.column)
        if isinstance(error, IncompleteJsonError) and error.open_path is not None:
            body["open_path"] = list(error.open_path)
    if isinstance(error, ValidationFailedError):
        body["errors"] = error.errors()
        for name in ("index", "path"):
            found = getattr(error, name, None)
            if found is not None:
                body[name] = list(found) if isinstance(found, tuple) else found
    if isinstance(error, SourceError) and error.status_code is not None:
        body["status_code"] = error.status_code
    return body


class SseStream(AsyncIterator[bytes]):
    """The SSE frames of a pipeline: an async iterator of ``bytes``, and a response.

    Made by :func:`to_sse`. Iterating it subscribes to the views (and connects
    ``connect``) on the running event loop; the frames follow as the
    pipeline emits. Closing it (``aclose()``, cancelling the task reading it,
    a client disconnect in :meth:`response`) disposes every subscription,
    which closes the upstream model request. One iteration per stream.

    Attributes:
        media_type: ``"text/event-stream"``.
        headers: :data:`SSE_HEADERS`, for a plain ``StreamingResponse``.
    """

    media_type: Final = "text/event-stream"
    headers: Final = SSE_HEADERS

    def __init__(
        self,
        views: list[tuple[_View, Observable[Any]]],
        connect: ConnectableObservable[Any] | None,
        ping: float,
    ) -> None:
        self._views = views
        self._connect = connect
        self._ping = ping
        self._frames: AsyncGenerator[bytes, None] | None = None

    def _generator(self, ping: float) -> AsyncGenerator[bytes, None]:
        if self._frames is not None:
            raise UsageError("an SseStream can be iterated once")
        self._frames = _frames(self._views, self._connect, ping)
        return self._frames

    def __aiter__(self) -> SseStream:
        return self

    async def __anext__(self) -> bytes:
        frames = self._frames or self._generator(self._ping)
        return await frames.__anext__()

    async def aclose(self) -> None:
        """Stop: dispose the subscriptions (closing the upstream request)."""
        if self._frames is not None:
            await self._frames.aclose()

    def response(self, **kwargs: Any) -> EventSourceResponse:
        """A Starlette/FastAPI response streaming these frames.

        An ``sse_starlette.EventSourceResponse``: ``text/event-stream`` with
        :data:`SSE_HEADERS`, keep-alive pings every ``ping`` seconds, and on
        client disconnect (or server shutdown) the frames are cancelled, so
        the subscriptions are disposed and the model request closed.

        Args:
            **kwargs: Passed on to ``EventSourceResponse`` (``status_code``,
                ``headers``, ``send_timeout``, ...).

        Raises:
            ImportError: ``sse-starlette`` is missing (``pip install
                "rxstruct[web]"``).

        Example:
            >>> import reactivex as rx, rxstruct as rs
            >>> response = rs.to_sse(rx.of({"a": 1})).response()
            >>> response.media_type, response.headers["x-accel-buffering"]
            ('text/event-stream', 'no')
        """
        try:
            from sse_starlette import EventSourceResponse
        except ImportError as exc:  # pragma: no cover - installed with [web]
            raise ImportError(
                'SseStream.response() needs sse-starlette: pip install "rxstruct[web]"'
            ) from exc
        headers = {**SSE_HEADERS, **kwargs.pop("headers", {})}
        kwargs.setdefault("ping", self._ping if self._ping > 0 else 0)
        return EventSourceResponse(
            self._generator(0), headers=headers, media_type=self.media_type, **kwargs
        )


async def _frames(
    views: list[tuple[_View, Observable[Any]]],
    connect: ConnectableObservable[Any] | None,
    ping: float,
) -> AsyncGenerator[bytes, None]:
    """Subscribe, relay the notifications to this task, frame them; dispose."""
    send, receive = anyio.create_memory_object_stream[tuple[str, Any, Any]](math.inf)
    token = anyio.lowlevel.current_token()
    loop_thread = threading.get_ident()

    def post(message: tuple[str, Any, Any]) -> None:
        if threading.get_ident() == loop_thread:
            send.send_nowait(message)
            return
        try:  # a notification from another thread (a sync client's reader)
            anyio.from_thread.run_sync(send.send_nowait, message, token=token)
        except (RuntimeError, anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # the stream was closed meanwhile: nobody is listening

    subscriptions = CompositeDisposable()
    pending = len(views)
    final: Any = None
    try:
        for view, observable in views:

            def on_next(value: Any, view: _View = view) -> None:
                post(("next", view, value))

            def on_error(error: Exception) -> None:
                post(("error", None, error))

            def on_completed(view: _View = view) -> None:
                post(("completed", view, None))

            subscriptions.add(observable.subscribe(on_next, on_error, on_completed))
        if connect is not None:
            connection: DisposableBase | None = connect.connect()
            if connection is not None:
                subscriptions.add(connection)
        while pending:
            message: tuple[str, Any, Any] | None = None
            if ping > 0:
                with anyio.move_on_after(ping):
                    message = await receive.receive()
                if message is None:
                    yield _PING
                    continue
            else:
                message = await receive.receive()
            kind, view, value = message
            if kind == "next":
                if view == "done":
                    final = value
                elif view == "data":
                    yield _frame(None, _json(_payload(view, value)))
                elif view == "patch":
                    if value:
                        yield _frame("patch", _json(value))
                else:
                    yield _frame(view, _json(_payload(view, value)))
            elif kind == "completed":
                pending -= 1
            else:
                subscriptions.dispose()
                yield _frame("error", _json(error_body(value)))
                return
        subscriptions.dispose()
        yield _frame("done", _json(_payload("done", final)))
    finally:
        subscriptions.dispose()
        send.close()
        receive.close()


def to_sse(
    partials: Observable[Any] | None = None,
    *,
    patches: Observable[list[Any]] | None = None,
    items: Observable[Any] | None = None,
    final: Observable[Any] | None = None,
    resets: Observable[Any] | None = None,
    connect: ConnectableObservable[Any] | None = None,
    ping: float = 15.0,
) -> SseStream:
    r"""Stream the views of one pipeline as Server-Sent Events.

    Each view becomes one kind of frame: ``partials`` a default ``data:``
    frame per value (partial models, snapshots or any JSON-able value),
    ``patches`` an ``event: patch`` frame per non-empty list of
    :func:`~rxstruct.to_json_patch` operations, ``items`` an ``event: item``
    frame per :class:`~rxstruct.ListItem` (``{"index", "path", "value"}``),
    ``resets`` an ``event: reset`` frame (reserved for validation retries: the
    client drops its partial state and cards; a new stream of partials or
    patches follows). When every view has completed, one ``event: done``
    frame carries the last value of ``final`` (``null`` without it), so the
    validated result is always the last frame, after every partial. The first
    error of any view ends the stream with an ``event: error`` frame whose
    body names the error type (see :func:`error_body`) instead of ``done``.
    When nothing arrives for ``ping`` seconds, a ``: ping`` comment keeps
    proxies from closing the connection.

    The views usually come from one request: build them on a published
    snapshot stream and pass it as ``connect``, so that it starts once all
    views listen (with ``ops.share()`` on an asynchronous source, omit it).

    .. code-block:: text

        snapshots:  -a------b--------c--|
        partials:   -A------B--------C--|
        items:      --------0-----------|
        final:      --------------------F|
                    [ to_sse(partials, items=..., final=...) ]
        frames:     -A------(B,0)----C--(done F)|

    Args:
        partials: Values sent whole, as ``data:`` frames.
        patches: Lists of JSON-Patch operations, as ``event: patch`` frames.
        items: Completed list elements, as ``event: item`` frames.
        final: The validated result (its last value is sent in ``done``).
        resets: Validation retries starting, as ``event: reset`` frames.
        connect: A ``ConnectableObservable`` the views are built on, connected
            after they are all subscribed and disconnected at the end.
        ping: Seconds of silence before a keep-alive comment; 0 for none.

    Returns:
        An :class:`SseStream`: iterate it for ``bytes`` frames, or return
        ``stream.response()`` from a Starlette/FastAPI endpoint.

    Raises:
        UsageError: No view was given, or ``ping`` is negative.

    Example:
        >>> import anyio, reactivex as rx, rxstruct as rs
        >>> async def frames() -> list[bytes]:
        ...     return [f async for f in rs.to_sse(rx.of({"t": "Hi"}), ping=0)]
        >>> anyio.run(frames)
        [b'data: {"t":"Hi"}\n\n', b'event: done\ndata: null\n\n']
    """
    if not isinstance(ping, (int, float)) or ping < 0:
        raise UsageError(
            f"ping must be 0 or a positive number of seconds, got {ping!r}"
        )
    given: list[tuple[_View, Observable[Any] | None]] = [
        ("data", partials),
        ("patch", patches),
        ("item", items),
        ("reset", resets),
        ("done", final),
    ]
    views = [(view, obs) for view, obs in given if obs is not None]
    if not views:
        raise UsageError(
            "to_sse() needs at least one view: partials, patches, items or final"
        )
    return SseStream(views, connect, float(ping))
