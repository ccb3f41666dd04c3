"""A scripted OpenAI-compatible LLM server on 127.0.0.1, for tests and demos.

:class:`ScriptedLLMServer` is a real HTTP server in a background thread. The
real ``openai`` SDK talks to it over a real socket, so everything between the
SDK and the network (SSE framing, chunked transfer, retries, timeouts,
connection pooling, closing a stream early) behaves as it does against a
provider, without an API key or a network.

Its answers are shaped like those of llama.cpp's ``llama-server`` (recorded in
``tests/fixtures/raw``): Chat Completions streams start with a
``{"role": "assistant", "content": null}`` delta, carry one
``chat.completion.chunk`` per content or tool-call delta, end with a chunk
holding ``finish_reason`` and then ``data: [DONE]``; the Responses API streams
``event:``/``data:`` pairs around ``response.output_text.delta`` events.

A script is a list of replies, one per request, in order: a retry gets the
next one. A reply is a list of text deltas (optionally timed), or a
:class:`ScriptedReply` that can also fail: an HTTP error status, a connection
dropped mid-stream, a stall. Every request is recorded, parsed, so a test can
check what the client sent::

    >>> import openai
    >>> from rxstruct.testing import ScriptedLLMServer
    >>> with ScriptedLLMServer([['{"a"', ": 1}"]]) as server:
    ...     with openai.OpenAI(base_url=server.base_url, api_key="local") as client:
    ...         stream = client.chat.completions.create(
    ...             model="local", messages=[{"role": "user", "content": "Hi"}],
    ...             stream=True)
    ...         print([chunk.choices[0].delta.content for chunk in stream])
    ...     print(server.requests[0].body["messages"])
    [None, '{"a"', ': 1}', None]
    [{'role': 'user', 'content': 'Hi'}]
"""

from __future__ import annotations

import json
import secrets
import select
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import TCPServer, ThreadingMixIn
from types import TracebackType
from typing import Any, Self, cast

from ..exceptions import UsageError
from ..sources import Recording, load_recording

__all__ = [
    "RecordedRequest",
    "ScriptedDelta",
    "ScriptedLLMServer",
    "ScriptedReply",
]

_HOST = "127.0.0.1"
_CHAT_PATH = "/v1/chat/completions"
_RESPONSES_PATH = "/v1/responses"
#: How often a waiting handler checks whether the server is closing.
_POLL = 0.05
#: How long ``close()`` waits for handler threads to finish.
_JOIN_TIMEOUT = 5.0

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    503: "unavailable_error",
}


# --- the script ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ScriptedDelta:
    """One piece of text the server sends, after an optional pause.

    Example:
        >>> ScriptedDelta(text='{"na', delay=0.05)
        ScriptedDelta(text='{"na', delay=0.05, tool_call=None)
    """

    text: str
    """The text of the delta."""

    delay: float = 0.0
    """Seconds to wait before sending it, divided by the server's ``speed``."""

    tool_call: int | None = None
    """``None`` for message content; else the index of the tool call whose
    ``function.arguments`` this delta extends (Chat Completions only)."""


@dataclass(frozen=True, kw_only=True)
class ScriptedReply:
    """What the server answers to one request.

    By default a successful stream of ``deltas``; the other fields make it
    fail in the ways real servers do.

    Example:
        >>> ScriptedReply(deltas=['{"a"', ": 1}"], delay=0.01).steps()[0]
        ScriptedDelta(text='{"a"', delay=0.01, tool_call=None)
        >>> ScriptedReply.error(429).status
        429
    """

    deltas: Sequence[str | ScriptedDelta] = ()
    """The text deltas, in order; a plain string waits ``delay`` before it."""

    delay: float = 0.0
    """Seconds before each plain-string delta, divided by the server's ``speed``."""

    finish_reason: str | None = None
    """The final ``finish_reason``: ``"stop"``, ``"length"``, ... By default
    ``"tool_calls"`` if the reply has tool-call deltas, else ``"stop"``."""

    tool_name: str = "scripted_tool"
    """The function name sent with the first delta of each tool call."""

    status: int = 200
    """HTTP status. Anything but 200 answers at once with an OpenAI-style error
    body ``{"error": {"message", "type", "code"}}`` and no stream."""

    error_message: str = "scripted failure"
    """The ``error.message`` of an error status."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra response headers, e.g. ``{"retry-after-ms": "10"}`` for a 429."""

    drop_after: int | None = None
    """Close the connection after sending this many deltas, mid-stream: no
    final chunk, no ``[DONE]``, an unfinished chunked body."""

    stall_after: int | None = None
    """Stop sending after this many deltas, for ``stall_seconds``."""

    stall_seconds: float = 0.0
    """Length of the stall, in real seconds (not divided by ``speed``: a stall
    is measured against a real timeout). The server gives up early when the
    client hangs up or the server closes."""

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> ScriptedReply:
        """A reply that fails with HTTP ``status`` and an OpenAI-style error body."""
        return cls(
            status=status,
            error_message=message or f"scripted failure (HTTP {status})",
            headers=dict(headers or {}),
        )

    @classmethod
    def from_recording(cls, recording: Recording | str | Path) -> ScriptedReply:
        """The deltas of a recording, with its timing and its ``finish_reason``.

        Example:
            >>> from rxstruct.sources import demo_recording_path
            >>> reply = ScriptedReply.from_recording(demo_recording_path())
            >>> reply.finish_reason, reply.steps()[0].text
            ('stop', '{')
        """
        if not isinstance(recording, Recording):
            recording = load_recording(recording)
        steps: list[str | ScriptedDelta] = []
        previous = 0.0
        for at, text in recording.events():
            steps.append(ScriptedDelta(text=text, delay=max(0.0, at - previous)))
            previous = max(previous, at)
        finish = recording.header.get("finish_reason")
        return cls(deltas=steps, finish_reason=str(finish) if finish else None)

    def steps(self) -> list[ScriptedDelta]:
        """The deltas as :class:`ScriptedDelta` objects, with their delays."""
        return [
            ScriptedDelta(text=step, delay=self.delay)
            if isinstance(step, str)
            else step
            for step in self.deltas
        ]

    def resolved_finish_reason(self) -> str:
        """``finish_reason``, or the default for the kind of deltas sent."""
        if self.finish_reason is not None:
            return self.finish_reason
        if any(step.tool_call is not None for step in self.steps()):
            return "tool_calls"
        return "stop"


def _as_reply(entry: ScriptedReply | Sequence[str]) -> ScriptedReply:
    if isinstance(entry, ScriptedReply):
        return entry
    if isinstance(entry, str):
        raise UsageError(
            "a scripted reply is a list of deltas, not a string: "
            f"write [{entry!r}] or ScriptedReply(deltas=[...])"
        )
    deltas = list(entry)
    for delta in deltas:
        if not isinstance(delta, str | ScriptedDelta):
            raise UsageError(f"a delta must be a str or ScriptedDelta, got {delta!r}")
    return ScriptedReply(deltas=deltas)


# --- what was received -----------------------------------------------------------


@dataclass(eq=False, kw_only=True)
class RecordedRequest:
    """One request the server received, and what became of its answer.

    ``deltas_sent`` and ``client_disconnected`` change while the answer is
    being sent; read them after :meth:`wait_finished`.

    Example:
        >>> import openai
        >>> hi = [{"role": "user", "content": "Hi"}]
        >>> with ScriptedLLMServer([["{}"]]) as server:
        ...     with openai.OpenAI(base_url=server.base_url, api_key="k") as client:
        ...         _ = client.chat.completions.create(model="local", messages=hi)
        ...     request = server.requests[0]
        >>> request.path, request.body["model"], request.messages == hi
        ('/v1/chat/completions', 'local', True)
        >>> request.wait_finished(), request.client_disconnected
        (True, False)
    """

    method: str
    """The HTTP method, ``"POST"``."""

    path: str
    """The request path, e.g. ``"/v1/chat/completions"``."""

    headers: dict[str, str]
    """The request headers, with lower-case names."""

    body: Any
    """The parsed JSON body (``None`` if the body was not JSON)."""

    reply: ScriptedReply | None = None
    """The scripted reply that answered it; ``None`` if none was used (an
    unknown path, a body that is not JSON, an exhausted script)."""

    deltas_sent: int = 0
    """How many deltas were written to the socket."""

    client_disconnected: bool = False
    """The client closed the connection before the answer was complete."""

    _finished: threading.Event = field(
        default_factory=threading.Event, init=False, repr=False
    )

    @property
    def messages(self) -> list[Any]:
        """The ``messages`` of a Chat Completions request (empty otherwise)."""
        if isinstance(self.body, dict):
            return list(self.body.get("messages") or [])
        return []

    @property
    def finished(self) -> bool:
        """The server is done with this request (answered, failed or hung up on)."""
        return self._finished.is_set()

    def wait_finished(self, timeout: float = 5.0) -> bool:
        """Block until :attr:`finished`, at most ``timeout`` seconds; return it."""
        return self._finished.wait(timeout)


# --- the server --------------------------------------------------------------------


class ScriptedLLMServer:
    """An OpenAI-compatible server on ``127.0.0.1`` that answers from a script.

    Use it as a context manager: it binds an ephemeral port on entry, and on
    exit stops, closes every connection (interrupting delays and stalls) and
    waits for its threads. Point any OpenAI client at :attr:`base_url` with any
    API key.

    Endpoints: ``POST /v1/chat/completions`` and ``POST /v1/responses``, each
    with ``"stream": true`` (Server-Sent Events) or without (one JSON object,
    sent after the sum of the delays). With ``stream_options.include_usage``
    a Chat Completions stream ends with a usage chunk, as OpenAI's does. When
    the script is used up, further requests get HTTP 400 saying so.

    Args:
        script: One reply per request, in order: a list of text deltas or a
            :class:`ScriptedReply`.
        speed: Divides every delay: ``speed=10`` replays ten times as fast.
            Stalls are not scaled.

    Raises:
        UsageError: ``speed`` is not positive, or a reply is malformed.

    Example:
        >>> import openai
        >>> script = [ScriptedReply.error(429, "slow down"), ['{"a": 1}']]
        >>> with ScriptedLLMServer(script) as server:
        ...     with openai.OpenAI(
        ...         base_url=server.base_url, api_key="k", max_retries=0
        ...     ) as client:
        ...         for attempt in range(2):
        ...             try:
        ...                 answer = client.chat.completions.create(
        ...                     model="local", messages=[])
        ...                 print(answer.choices[0].message.content)
        ...             except openai.RateLimitError as exc:
        ...                 print(exc.status_code, exc.body["message"])
        429 slow down
        {"a": 1}
    """

    def __init__(
        self,
        script: Iterable[ScriptedReply | Sequence[str]],
        *,
        speed: float = 1.0,
    ) -> None:
        if not speed > 0:
            raise UsageError(f"speed must be positive, got {speed!r}")
        self.speed = speed
        self._replies = [_as_reply(entry) for entry in script]
        self._next_reply = 0
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_recording(
        cls, recording: Recording | str | Path, *, speed: float = 1.0
    ) -> ScriptedLLMServer:
        """A server whose one reply replays a recording with its real timing.

        Args:
            recording: A :class:`~rxstruct.sources.Recording` or the path of a
                recording file (see :func:`~rxstruct.sources.load_recording`).
            speed: Divides the recorded delays.
        """
        return cls([ScriptedReply.from_recording(recording)], speed=speed)

    # -- lifecycle

    def start(self) -> Self:
        """Bind ``127.0.0.1`` on a free port and serve in a background thread."""
        if self._httpd is not None:
            raise UsageError("the server is already started")
        if self._closing.is_set():
            raise UsageError("a closed server cannot be started again")
        httpd = _HTTPServer(self)
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": _POLL},
            name=f"ScriptedLLMServer:{httpd.server_address[1]}",
            daemon=True,
        )
        self._httpd, self._thread = httpd, thread
        thread.start()
        return self

    def close(self) -> None:
        """Stop serving, hang up on every client and wait for the threads."""
        self._closing.set()
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        thread.join(_JOIN_TIMEOUT)
        httpd.hang_up_all()
        httpd.server_close()
        httpd.join_handlers(_JOIN_TIMEOUT)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- what tests look at

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._httpd is None:
            raise UsageError("the server is not started: use it in a with block")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``"http://127.0.0.1:PORT/v1"``, for ``openai.OpenAI(base_url=...)``."""
        return f"http://{_HOST}:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in order of arrival."""
        with self._lock:
            return list(self._requests)

    @property
    def remaining(self) -> int:
        """How many scripted replies are still unused."""
        with self._lock:
            return len(self._replies) - self._next_reply

    # -- used by the handler threads

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_reply(self) -> ScriptedReply | None:
        with self._lock:
            if self._next_reply >= len(self._replies):
                return None
            reply = self._replies[self._next_reply]
            self._next_reply += 1
            return reply


class _HTTPServer(ThreadingMixIn, HTTPServer):
    """The stdlib threading server, plus what a clean shutdown needs.

    Handler threads are daemons and are joined with a timeout, and every open
    connection is tracked so that ``close()`` can hang up on idle keep-alive
    connections (a handler blocks reading the next request until then).
    """

    daemon_threads = True
    block_on_close = False
    # socketserver listens with a backlog of 5: a burst of clients connecting at
    # once (benchmarks/web_load.py: 200) would see dropped SYNs and time out.
    request_queue_size = 256

    def __init__(self, owner: ScriptedLLMServer) -> None:
        self.owner = owner
        self._connections: set[socket.socket] = set()
        self._handlers: list[threading.Thread] = []
        self._guard = threading.Lock()
        super().__init__((_HOST, 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn); not needed.
        TCPServer.server_bind(self)
        self.server_name = _HOST
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        # Runs on the serving thread: registering here cannot race close().
        with self._guard:
            if self.owner._closing.is_set():
                self.shutdown_request(request)
                return
            self._connections.add(request)
            self._handlers = [t for t in self._handlers if t.is_alive()]
            thread = threading.Thread(
                target=self.process_request_thread,
                args=(request, client_address),
                daemon=True,
            )
            self._handlers.append(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._guard:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up is routine here; tests read RecordedRequest.
        pass

    def hang_up_all(self) -> None:
        with self._guard:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def join_handlers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._guard:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Hangup(Exception):
    """The client went away, or the server is closing: stop answering."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rxstruct-scripted-llm"
    sys_version = ""
    disable_nagle_algorithm = True  # one TCP segment per delta, at once
    _record: RecordedRequest | None = None

    @property
    def owner(self) -> ScriptedLLMServer:
        return cast(_HTTPServer, self.server).owner

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test and demo output clean

    # -- routing

    def do_GET(self) -> None:
        self._send_error(404, f"no route for GET {self.path}")

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = RecordedRequest(
            method="POST",
            path=path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        self.owner._record(record)
        self._record = record
        try:
            self._answer(record)
        except _Hangup:
            self.close_connection = True
        finally:
            record._finished.set()

    def _answer(self, record: RecordedRequest) -> None:
        if record.path not in (_CHAT_PATH, _RESPONSES_PATH):
            self._send_error(404, f"no route for POST {record.path}")
            return
        if not isinstance(record.body, dict):
            self._send_error(400, "the request body is not a JSON object")
            return
        reply = self.owner._take_reply()
        if reply is None:
            count = len(self.owner.requests)
            self._send_error(
                400,
                f"ScriptedLLMServer: the script has no reply left for request "
                f"#{count} ({record.path})",
            )
            return
        record.reply = reply
        if reply.status != 200:
            self._send_error(reply.status, reply.error_message, reply.headers)
            return
        body = record.body
        model = str(body.get("model") or "scripted")
        if record.path == _CHAT_PATH:
            stream_options = body.get("stream_options") or {}
            encoder: _Encoder = _ChatEncoder(
                model=model,
                tool_name=reply.tool_name,
                include_usage=bool(stream_options.get("include_usage")),
                prompt_tokens=_rough_tokens(body.get("messages")),
            )
        else:
            encoder = _ResponsesEncoder(
                model=model, prompt_tokens=_rough_tokens(body.get("input"))
            )
        if body.get("stream") is True:
            self._stream(record, reply, encoder)
        else:
            self._whole(record, reply, encoder)

    # -- answers

    def _stream(
        self, record: RecordedRequest, reply: ScriptedReply, encoder: _Encoder
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        for event in encoder.opening():
            self._write_chunk(event)
        steps = reply.steps()
        for position in range(len(steps) + 1):
            if reply.stall_after == position:
                self._pause(reply.stall_seconds)
            if reply.drop_after is not None and reply.drop_after <= position:
                self._drop()
            if position == len(steps):
                break
            step = steps[position]
            self._pause(step.delay / self.owner.speed)
            event = encoder.delta(step)
            if event:
                self._write_chunk(event)
            record.deltas_sent += 1
        for event in encoder.closing(reply.resolved_finish_reason()):
            self._write_chunk(event)
        self._write(b"0\r\n\r\n")

    def _whole(
        self, record: RecordedRequest, reply: ScriptedReply, encoder: _Encoder
    ) -> None:
        steps = reply.steps()
        if reply.stall_after is not None:
            self._pause(reply.stall_seconds)
        if reply.drop_after is not None:
            self._drop()
        self._pause(sum(step.delay for step in steps) / self.owner.speed)
        for step in steps:
            encoder.delta(step)
        payload = _dumps(encoder.whole(reply.resolved_finish_reason()))
        record.deltas_sent = len(steps)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._write(payload)

    def _send_error(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        error_type = _ERROR_TYPES.get(status, "server_error")
        payload = _dumps(
            {"error": {"code": status, "message": message, "type": error_type}}
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(payload)

    # -- the socket

    def _write(self, data: bytes) -> None:
        if self.owner._closing.is_set():
            raise _Hangup
        try:
            self.wfile.write(data)
        except OSError as exc:  # BrokenPipe, ConnectionReset, our own hang-up
            self._record_hangup()
            raise _Hangup from exc

    def _write_chunk(self, payload: bytes) -> None:
        self._write(b"%x\r\n%s\r\n" % (len(payload), payload))

    def _drop(self) -> None:
        """End mid-stream: close the socket with the chunked body unfinished."""
        self.close_connection = True
        raise _Hangup

    def _pause(self, seconds: float) -> None:
        """Wait, but notice at once when the client hangs up or we close."""
        deadline = time.monotonic() + seconds
        while True:
            if self.owner._closing.is_set():
                raise _Hangup
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            wait = min(remaining, _POLL)
            readable, _, _ = select.select([self.connection], [], [], wait)
            if not readable:
                continue
            try:
                peeked = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                peeked = b""
            if not peeked:  # end of file: the client closed the connection
                self._record_hangup()
                raise _Hangup
            # The client sent more (a pipelined request): wait without select.
            self.owner._closing.wait(wait)

    def _record_hangup(self) -> None:
        if self._record is not None and not self.owner._closing.is_set():
            self._record.client_disconnected = True


# --- wire formats --------------------------------------------------------------------


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _rough_tokens(value: Any) -> int:
    """A token count for ``usage``: about four characters per token."""
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4) if value else 0


def _token(length: int = 32) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


class _Encoder(ABC):
    """Turns a reply into the bytes of one API's stream or JSON answer."""

    @abstractmethod
    def opening(self) -> Iterator[bytes]:
        """The events before the first delta."""

    @abstractmethod
    def delta(self, step: ScriptedDelta) -> bytes:
        """The event carrying one delta."""

    @abstractmethod
    def closing(self, finish_reason: str) -> Iterator[bytes]:
        """The events after the last delta."""

    @abstractmethod
    def whole(self, finish_reason: str) -> dict[str, Any]:
        """The whole answer as one JSON object, for ``stream: false``."""


class _ChatEncoder(_Encoder):
    """Chat Completions, as llama.cpp's llama-server sends them."""

    def __init__(
        self, *, model: str, tool_name: str, include_usage: bool, prompt_tokens: int
    ) -> None:
        self.model = model
        self.tool_name = tool_name
        self.include_usage = include_usage
        self.prompt_tokens = prompt_tokens
        self.id = f"chatcmpl-{_token()}"
        self.created = int(time.time())
        self.content: list[str] = []
        self.tool_calls: dict[int, tuple[str, list[str]]] = {}
        self.sent = 0

    def _envelope(self, obj: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            **body,
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "system_fingerprint": "b0-unknown",
            "object": obj,
        }

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"finish_reason": finish_reason, "index": 0, "delta": delta}
        chunk = self._envelope("chat.completion.chunk", {"choices": [choice]})
        return b"data: " + _dumps(chunk) + b"\n\n"

    def _usage(self) -> dict[str, int]:
        return {
            "completion_tokens": self.sent,
            "prompt_tokens": self.prompt_tokens,
            "total_tokens": self.sent + self.prompt_tokens,
        }

    def opening(self) -> Iterator[bytes]:
        yield self._chunk({"role": "assistant", "content": None})

    def delta(self, step: ScriptedDelta) -> bytes:
        self.sent += 1
        if step.tool_call is None:
            self.content.append(step.text)
            return self._chunk({"content": step.text})
        index = step.tool_call
        call: dict[str, Any] = {"index": index}
        if index not in self.tool_calls:
            self.tool_calls[index] = (_token(), [])
            call["id"] = self.tool_calls[index][0]
            call["type"] = "function"
            call["function"] = {"name": self.tool_name, "arguments": step.text}
        else:
            call["function"] = {"arguments": step.text}
        self.tool_calls[index][1].append(step.text)
        return self._chunk({"tool_calls": [call]})

    def closing(self, finish_reason: str) -> Iterator[bytes]:
        yield self._chunk({}, finish_reason)
        if self.include_usage:
            usage = self._envelope(
                "chat.completion.chunk", {"choices": [], "usage": self._usage()}
            )
            yield b"data: " + _dumps(usage) + b"\n\n"
        yield b"data: [DONE]\n\n"

    def whole(self, finish_reason: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(self.content) if self.content else None,
        }
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "type": "function",
                    "function": {"name": self.tool_name, "arguments": "".join(parts)},
                    "id": call_id,
                }
                for _, (call_id, parts) in sorted(self.tool_calls.items())
            ]
        choice = {"finish_reason": finish_reason, "index": 0, "message": message}
        return self._envelope(
            "chat.completion", {"choices": [choice], "usage": self._usage()}
        )


class _ResponsesEncoder(_Encoder):
    """The Responses API, as llama.cpp's llama-server sends it (text only)."""

    def __init__(self, *, model: str, prompt_tokens: int) -> None:
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.id = f"resp_{_token()}"
        self.item_id = f"msg_{_token()}"
        self.created = int(time.time())
        self.text: list[str] = []
        self.sent = 0

    @staticmethod
    def _event(kind: str, body: dict[str, Any]) -> bytes:
        data = _dumps({"type": kind, **body})
        return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"

    def _part(self) -> dict[str, Any]:
        text = "".join(self.text)
        return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}

    def _item(self, status: str) -> dict[str, Any]:
        return {
            "type": "message",
            "status": status,
            "id": self.item_id,
            "content": [self._part()],
            "role": "assistant",
        }

    def _response(self, finish_reason: str) -> dict[str, Any]:
        truncated = finish_reason == "length"
        status = "incomplete" if truncated else "completed"
        details = {"reason": "max_output_tokens"} if truncated else None
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "incomplete_details": details,
            "model": self.model,
            "output": [self._item(status)],
            "usage": {
                "input_tokens": self.prompt_tokens,
                "output_tokens": self.sent,
                "total_tokens": self.prompt_tokens + self.sent,
            },
        }

    def opening(self) -> Iterator[bytes]:
        stub = {"id": self.id, "object": "response", "status": "in_progress"}
        yield self._event("response.created", {"response": stub})
        yield self._event("response.in_progress", {"response": stub})
        item = {
            "content": [],
            "id": self.item_id,
            "role": "assistant",
            "status": "in_progress",
            "type": "message",
        }
        yield self._event("response.output_item.added", {"item": item})
        yield self._event(
            "response.content_part.added",
            {"item_id": self.item_id, "part": {"type": "output_text", "text": ""}},
        )

    def delta(self, step: ScriptedDelta) -> bytes:
        self.sent += 1
        if step.tool_call is not None:
            return b""  # tool-call deltas are scripted for Chat Completions only
        self.text.append(step.text)
        return self._event(
            "response.output_text.delta", {"item_id": self.item_id, "delta": step.text}
        )

    def closing(self, finish_reason: str) -> Iterator[bytes]:
        text = "".join(self.text)
        yield self._event(
            "response.output_text.done", {"item_id": self.item_id, "text": text}
        )
        yield self._event(
            "response.content_part.done",
            {"item_id": self.item_id, "part": self._part()},
        )
        response = self._response(finish_reason)
        yield self._event("response.output_item.done", {"item": response["output"][0]})
        kind = (
            "response.incomplete"
            if response["status"] == "incomplete"
            else "response.completed"
        )
        yield self._event(kind, {"response": response})

    def whole(self, finish_reason: str) -> dict[str, Any]:
        return self._response(finish_reason)
