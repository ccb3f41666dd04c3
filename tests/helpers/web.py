"""Serving an ASGI app on 127.0.0.1 for real-HTTP tests, and reading SSE frames."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free port of 127.0.0.1; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@dataclass
class Frame:
    """One Server-Sent Event: its name ("message" by default) and parsed data."""

    event: str
    data: Any
    raw: str


def sse_frames(lines: Iterable[str]) -> Iterator[Frame]:
    """Parse SSE lines (``httpx.Response.iter_lines()``) into frames; pings skipped."""
    event, data, raw = "message", [], []
    for line in lines:
        if line == "":
            if data:
                yield Frame(event, json.loads("\n".join(data)), "\n".join(raw))
            event, data, raw = "message", [], []
            continue
        raw.append(line)
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
