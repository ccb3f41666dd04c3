"""What the structured-call tests (test_structured, test_retry) share.

A scripted server with a sync or an async client on it, the call they make, and
the mark that runs an async test on asyncio and on trio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import openai
import pytest

import rxstruct as rs
from rxstruct.testing import ScriptedLLMServer


@contextmanager
def serving(
    script: list[Any], *, speed: float = 1.0, max_retries: int = 0
) -> Iterator[tuple[ScriptedLLMServer, openai.OpenAI]]:
    """``with serving(script) as (server, client):`` a server and a sync client.

    The client's own retries are off unless ``max_retries`` says otherwise, so
    every retry a test sees is rxstruct's.
    """
    with ScriptedLLMServer(script, speed=speed) as server:
        with openai.OpenAI(
            base_url=server.base_url, api_key="local", max_retries=max_retries
        ) as client:
            yield server, client


@asynccontextmanager
async def serving_async(
    script: list[Any], *, speed: float = 1.0
) -> AsyncIterator[tuple[ScriptedLLMServer, openai.AsyncOpenAI]]:
    """``async with serving_async(script) as (server, client):`` an async client.

    Its own retries are off: every retry a test sees is rxstruct's.
    """
    with ScriptedLLMServer(script, speed=speed) as server:
        client = openai.AsyncOpenAI(
            base_url=server.base_url, api_key="local", max_retries=0
        )
        try:
            yield server, client
        finally:
            await client.close()


ON_ASYNCIO_AND_TRIO = pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
"""In a module's ``pytestmark``: each anyio test runs on asyncio and on trio."""


def ask(
    client: openai.OpenAI | openai.AsyncOpenAI,
    response_model: Any,
    messages: Any,
    *,
    model: str = "local",
    **options: Any,
) -> Any:
    """``rs.stream(client, response_model=..., messages=..., model=..., ...)``."""
    return rs.stream(
        client, response_model=response_model, messages=messages, model=model, **options
    )
