"""One real llama-server (Gemma 3 270M) for the whole session; `make test-llm`.

Every test here is marked ``llm`` and deselected from `make test` (see
``addopts`` in pyproject.toml). A test that needs the model asks for
``llama_server`` (the started :class:`~rxstruct.testing.LlamaServer`: its
``base_url``, ``model``, ``slots()``, ``metrics()``, ``log_tail()``) or just for
``local_model`` (``(base_url, model)``), or for a ready ``openai.OpenAI`` client.
``recording_proxy`` puts a :class:`RecordingProxy` in front of the server: what
llama-server received (each request body) and what it answered (the bytes).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openai
import pytest

from rxstruct.testing import LlamaServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this directory ``llm``, whatever its module says."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.llm)


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """The real model server, started once per session and stopped at its end."""
    with LlamaServer() as server:
        yield server


@pytest.fixture(scope="session")
def local_model(llama_server: LlamaServer) -> tuple[str, str]:
    """``(base_url, model)`` of the session's real model server."""
    return llama_server.base_url, llama_server.model


@pytest.fixture
def client(llama_server: LlamaServer) -> Iterator[openai.OpenAI]:
    """A sync OpenAI client pointed at the real model server."""
    with openai.OpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0, timeout=60
    ) as client:
        yield client


@dataclass
class Exchange:
    """One request as llama-server received it, and the bytes it answered."""

    path: str
    body: dict[str, Any]
    response: bytearray = field(default_factory=bytearray)
    client_closed: bool = False

    def chunks(self) -> list[dict[str, Any]]:
        """The SSE chunks the server streamed, decoded."""
        return [
            json.loads(line[6:])
            for line in self.response.decode().splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"
        ]

    def usage(self) -> dict[str, Any]:
        """The server's own token counts for this request (its last chunk's)."""
        [usage] = [chunk["usage"] for chunk in self.chunks() if chunk.get("usage")]
        return dict(usage)

    def content(self) -> str:
        """The text the model streamed: the SSE chunks' ``delta.content`` joined."""
        return "".join(
            choice.get("delta", {}).get("content") or ""
            for chunk in self.chunks()
            for choice in chunk.get("choices", [])
        )


class RecordingProxy:
    """A reverse proxy on 127.0.0.1 that records what passes to llama-server.

    llama-server does not show a request's messages (``/slots`` has no prompt
    in this build, and its verbose log is version-dependent and slows every
    token), so the proxy keeps each request body byte for byte as the server
    got it, and streams the answer back chunk by chunk as it arrives (SSE
    unbuffered, a client hang-up closes the upstream connection).
    """

    def __init__(self, upstream_url: str) -> None:
        upstream = urlsplit(upstream_url)
        self.exchanges: list[Exchange] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                exchange = Exchange(self.path, json.loads(body))
                proxy.exchanges.append(exchange)
                upstream_conn = http.client.HTTPConnection(
                    upstream.hostname or "127.0.0.1", upstream.port, timeout=120
                )
                try:
                    upstream_conn.request(
                        "POST",
                        self.path,
                        body,
                        {"Content-Type": "application/json"},
                    )
                    reply = upstream_conn.getresponse()
                    self.send_response(reply.status)
                    for name, value in reply.getheaders():
                        if name.lower() not in ("transfer-encoding", "connection"):
                            self.send_header(name, value)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    while chunk := reply.read1(65536):
                        exchange.response += chunk
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    exchange.client_closed = True
                finally:
                    upstream_conn.close()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the test reads the exchanges, not a log

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def recording_proxy(llama_server: LlamaServer) -> Iterator[RecordingProxy]:
    """A :class:`RecordingProxy` in front of the session's llama-server."""
    with RecordingProxy(llama_server.url) as proxy:
        yield proxy
