"""A scripted OpenAI-compatible LLM server on 127.0.0.1, for tests and demos.

:class:`ScriptedLLMServer` is a real HTTP server in a background thread. The
real ``openai`` SDK talks to it over a real socket, so everything between the
SDK and the network (SSE framing, chunked transfer, retries, timeouts,
connection pooling, closing a stream early) behaves as it does against a
provider, without an API key or a network.

Its answers are shaped like those of llama.cpp's ``llama-server`` (as recorded
from a real one for the test suite): Chat Completions streams start with a
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
import select
import socket
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import TCPServer, ThreadingMixIn
from types import TracebackType
from typing import Any, Self, cast

from ..exceptions import UsageError
from ..sources import Recording
from ._script import RecordedRequest, ScriptedReply, as_reply
from ._wire import ChatEncoder, Encoder, ResponsesEncoder, dumps, rough_tokens

__all__ = ["ScriptedLLMServer"]

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
        self._replies = [as_reply(entry) for entry in script]
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
            encoder: Encoder = ChatEncoder(
                model=model,
                tool_name=reply.tool_name,
                include_usage=bool(stream_options.get("include_usage")),
                prompt_tokens=rough_tokens(body.get("messages")),
            )
        else:
            encoder = ResponsesEncoder(
                model=model, prompt_tokens=rough_tokens(body.get("input"))
            )
        if body.get("stream") is True:
            self._stream(record, reply, encoder)
        else:
            self._whole(record, reply, encoder)

    # -- answers

    def _stream(
        self, record: RecordedRequest, reply: ScriptedReply, encoder: Encoder
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
        self, record: RecordedRequest, reply: ScriptedReply, encoder: Encoder
    ) -> None:
        steps = reply.steps()
        if reply.stall_after is not None:
            self._pause(reply.stall_seconds)
        if reply.drop_after is not None:
            self._drop()
        self._pause(sum(step.delay for step in steps) / self.owner.speed)
        for step in steps:
            encoder.delta(step)
        payload = dumps(encoder.whole(reply.resolved_finish_reason()))
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
        payload = dumps(
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
