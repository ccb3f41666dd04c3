"""rs.stream with an AsyncOpenAI client, on asyncio and on trio (through anyio)."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

import rxstruct as rs
from rxstruct.testing import ScriptedReply
from tests.helpers import ON_ASYNCIO_AND_TRIO, ask
from tests.helpers import serving_async as serve

pytestmark = [
    pytest.mark.anyio,
    ON_ASYNCIO_AND_TRIO,
    # Under trio the openai SDK leaves some of its own and its HTTP library's
    # async generators to the garbage collector (plain SDK use warns too).
    pytest.mark.filterwarnings(
        r"ignore:Async generator '(openai|httpx2?)\.:ResourceWarning"
    ),
]

MESSAGES: Any = [{"role": "user", "content": "Recommend three sci-fi movies."}]


class Movie(BaseModel):
    title: str
    year: int
    reason: str


MOVIES = [
    {"title": "Arrival", "year": 2016, "reason": "Language as time travel."},
    {"title": "Moon", "year": 2009, "reason": "One actor, one base, one twist."},
    {"title": "Solaris", "year": 1972, "reason": "A planet that remembers."},
]


def chunks(value: Any, size: int = 9) -> list[str]:
    text = json.dumps(value)
    return [text[i : i + size] for i in range(0, len(text), size)]


async def test_async_for_then_final() -> None:
    """async for partial in stream; await stream.get_final_response()."""
    async with serve([chunks({"items": MOVIES})]) as (server, client):
        stream = ask(client, list[Movie], MESSAGES)
        titles: list[list[str | None]] = []
        async for partial in stream:
            titles.append([movie.title for movie in partial])
        final = await stream.get_final_response()
    assert final == [Movie.model_validate(m) for m in MOVIES]
    assert titles[-1] == ["Arrival", "Moon", "Solaris"]
    assert len(server.requests) == 1


async def test_reading_runs_on_the_callers_thread() -> None:
    """The request is read by the iterating task: views run on its thread."""
    async with serve([chunks({"items": MOVIES})]) as (_, client):
        stream = ask(client, list[Movie], MESSAGES)
        threads: set[int] = set()
        stream.items.subscribe(lambda _: threads.add(threading.get_ident()))
        async for _ in stream:
            threads.add(threading.get_ident())
    assert threads == {threading.get_ident()}


async def test_await_the_stream_for_the_final_only() -> None:
    """await stream: the final, with the views fed on the way."""
    async with serve([chunks({"items": MOVIES})]) as (_, client):
        stream = ask(client, list[Movie], MESSAGES)
        items: list[Any] = []
        stream.items.subscribe(items.append)
        final = await stream
        assert await stream.result() == final  # read once
    assert [item.value for item in items] == final


async def test_responses_mode_async() -> None:
    async with serve([chunks({"items": MOVIES})]) as (server, client):
        stream = ask(client, list[Movie], MESSAGES, mode="responses")
        final = await stream.result()
    assert len(final) == 3
    assert server.requests[0].path == "/v1/responses"


async def test_an_http_error_is_raised_from_the_loop() -> None:
    async with serve([ScriptedReply.error(500, "boom")]) as (_, client):
        stream = ask(client, list[Movie], MESSAGES)
        with pytest.raises(rs.SourceError, match="HTTP 500: boom") as caught:
            async for _ in stream:
                pass
    assert caught.value.status_code == 500


async def test_stall_timeout() -> None:
    """No chunk for stall_timeout seconds: StreamStalledError, connection closed."""
    reply = ScriptedReply(
        deltas=chunks({"items": MOVIES}), stall_after=2, stall_seconds=30
    )
    async with serve([reply]) as (server, client):
        stream = ask(client, list[Movie], MESSAGES, stall_timeout=0.3)
        with pytest.raises(rs.StreamStalledError) as caught:
            await stream.result()
        request = server.requests[0]
        assert request.wait_finished(1.0) and request.client_disconnected
    assert caught.value.timeout == 0.3


async def test_cancelling_the_task_closes_the_request() -> None:
    """Cancel the reading task mid-stream: the server sees the hang-up within 1 s."""
    reply = ScriptedReply(deltas=chunks({"items": MOVIES}, 2), delay=0.05)
    async with serve([reply]) as (server, client):
        stream = ask(client, list[Movie], MESSAGES)
        seen = 0
        with anyio.move_on_after(0.4):
            async for _ in stream:
                seen += 1
        request = server.requests[0]
        with anyio.fail_after(1.0):
            while not request.finished:
                await anyio.sleep(0.01)
        assert request.client_disconnected
        assert request.deltas_sent < len(reply.deltas)
        with pytest.raises(rs.SourceError, match="closed by the consumer"):
            await stream.result()
    assert seen > 0


async def test_break_and_aclose_close_the_request() -> None:
    """Break out of the loop and close: the server sees the hang-up at once."""
    reply = ScriptedReply(deltas=chunks({"items": MOVIES}, 2), delay=0.05)
    async with serve([reply]) as (server, client):
        stream = ask(client, list[Movie], MESSAGES)
        async with stream:
            async for _ in stream:
                break
        request = server.requests[0]
        with anyio.fail_after(1.0):
            while not request.finished:
                await anyio.sleep(0.01)
        assert request.client_disconnected


async def test_latest_needs_a_sync_client() -> None:
    async with serve([]) as (_, client):
        with pytest.raises(rs.UsageError, match="latest=True is for sync"):
            ask(client, Movie, MESSAGES, latest=True)
