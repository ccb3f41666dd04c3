"""rs.stream retries with an AsyncOpenAI client, on asyncio and on trio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
    # async generators to the garbage collector (plain SDK use warns too); a
    # retry makes a second request while the first one's are collected.
    pytest.mark.filterwarnings(
        r"ignore:Async generator '(openai|httpx2?|httpcore2?)\.:ResourceWarning"
    ),
    pytest.mark.filterwarnings(
        r"ignore:Exception ignored in. <async_generator object PoolByteStream"
        r":pytest.PytestUnraisableExceptionWarning"
    ),
]

MESSAGES: Any = [{"role": "user", "content": "Who?"}]


class User(BaseModel):
    name: str
    age: int


async def test_reask_in_the_loop() -> None:
    """async for sees the reset partial; the final is the re-asked answer."""
    script = [['{"name": "Al', '", "age": "x"}'], ['{"name": "Bo"', ', "age": 3}']]
    async with serve(script) as (server, client):
        stream = ask(client, User, MESSAGES, max_retries=1)
        names = [partial.name async for partial in stream]
        assert await stream.get_final_response() == User(name="Bo", age=3)
    assert names == ["Al", "Al", None, "Bo", "Bo"]
    assert "age" in server.requests[1].messages[-1]["content"]


async def test_transport_retry_then_success() -> None:
    """A 500 then a 429 with retry-after-ms, both retried, then the answer."""
    script = [
        ScriptedReply.error(500),
        ScriptedReply.error(429, headers={"retry-after-ms": "30"}),
        ['{"name": "A", "age": 5}'],
    ]
    async with serve(script) as (server, client):
        stream = ask(
            client,
            User,
            MESSAGES,
            transport_retry=rs.TransportRetry(initial=0.01, jitter=0.0),
        )
        events: list[Any] = []
        stream.events.subscribe(events.append, lambda _: None)
        assert await stream == User(name="A", age=5)
    delays = [e.delay for e in events if isinstance(e, rs.Retrying)]
    assert delays == [0.01, 0.03]
    assert len(server.requests) == 3


@asynccontextmanager
async def backing_off(status: int) -> AsyncIterator[tuple[Any, Any]]:
    """A stream whose first answer is ``status`` with a retry-after of 10 s.

    Yields the server and the stream, which will wait before it asks again.
    """
    script = [
        ScriptedReply.error(status, headers={"retry-after": "10"}),
        ['{"name": "A", "age": 5}'],
    ]
    async with serve(script) as (server, client):
        yield server, ask(client, User, MESSAGES, transport_retry=rs.TransportRetry())


async def test_cancel_during_backoff() -> None:
    """Cancelling the task during the wait: no further request is made."""
    async with backing_off(503) as (server, stream):
        announced = anyio.Event()
        final: list[Any] = []
        stream.events.subscribe(lambda e: announced.set(), lambda _: None)
        stream.final.subscribe(final.append, final.append)
        async with anyio.create_task_group() as group:
            group.start_soon(stream.result)
            await announced.wait()
            group.cancel_scope.cancel()
        await anyio.sleep(0.2)
        assert len(server.requests) == 1
    assert isinstance(final[0], rs.SourceError)
    assert "closed by the consumer" in str(final[0])


async def test_aclose_during_backoff() -> None:
    """aclose() from another task during the wait ends the loop without a request."""
    async with backing_off(429) as (server, stream):
        stream.events.subscribe(lambda e: stream.close(), lambda _: None)
        with anyio.fail_after(5):
            with pytest.raises(rs.SourceError, match="closed by the consumer"):
                await stream.result()
        assert len(server.requests) == 1
