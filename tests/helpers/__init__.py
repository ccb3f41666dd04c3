"""Shared test helpers: import them from here (no test module imports another).

- :mod:`.json`: exact equality and partial consistency checks for decoder output;
- :mod:`.recordings`: the real token streams in ``tests/fixtures``;
- :mod:`.models`: pydantic models of the recordings' schemas;
- :mod:`.observers`: what a subscription received (on another thread too), thread
  errors;
- :mod:`.streams`: where values close in JSON text, chunked virtual-time runs;
- :mod:`.work`: counting work (calls, memory) without clocks, for cost guards.
- :mod:`.web`: an ASGI app under uvicorn on 127.0.0.1, and SSE frame parsing.
- :mod:`.structured`: a scripted server and a sync or async client, the structured
  call (``ask``), asyncio-and-trio runs;
- :mod:`.llm`: the requests and checks of the tests against the real model;
- :mod:`.demo`: ``python -m rxstruct.demo`` run as a child process.
"""

from __future__ import annotations

from .demo import DEMO, run_demo
from .json import check_stream, consistent, feed_all, same
from .llm import (
    CITIES_EXAMPLE,
    CITIES_MESSAGES,
    STORY_MESSAGES,
    Cities,
    City,
    Story,
    check_cancelled,
    schema_request,
    stream_story,
)
from .models import MODELS
from .observers import (
    WAIT,
    Outcome,
    advance_until,
    check_late_view_error,
    check_raw_text_error,
    collect,
    loop_errors,
    published_views,
    subscribe,
    thread_errors,
)
from .recordings import FIXTURES, NAMES, load, truncated
from .streams import (
    Replayed,
    chunk_of,
    closing_chunks,
    closing_offset,
    docstring_marble,
    emitted_at,
    list_documents,
    marbles_run,
    replay_docstring_marble,
    run_chunks,
    value_spans,
)
from .structured import ON_ASYNCIO_AND_TRIO, ask, serving, serving_async
from .web import Frame, serve, sse_frames
from .work import CHUNK, list_of_models, mean_profile_events, p90_transient_bytes

__all__ = [
    "ON_ASYNCIO_AND_TRIO",
    "CITIES_EXAMPLE",
    "CITIES_MESSAGES",
    "STORY_MESSAGES",
    "Cities",
    "City",
    "Story",
    "check_cancelled",
    "schema_request",
    "stream_story",
    "CHUNK",
    "DEMO",
    "FIXTURES",
    "Frame",
    "MODELS",
    "NAMES",
    "Outcome",
    "Replayed",
    "WAIT",
    "advance_until",
    "ask",
    "check_late_view_error",
    "check_raw_text_error",
    "check_stream",
    "chunk_of",
    "closing_chunks",
    "closing_offset",
    "collect",
    "consistent",
    "docstring_marble",
    "emitted_at",
    "feed_all",
    "list_documents",
    "list_of_models",
    "load",
    "loop_errors",
    "marbles_run",
    "mean_profile_events",
    "p90_transient_bytes",
    "published_views",
    "replay_docstring_marble",
    "run_chunks",
    "run_demo",
    "same",
    "serve",
    "serving",
    "serving_async",
    "sse_frames",
    "subscribe",
    "thread_errors",
    "truncated",
    "value_spans",
]
