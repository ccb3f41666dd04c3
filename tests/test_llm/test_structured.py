"""The structured call against the real model: ``rs.stream`` end to end.

``rs.stream`` with the real openai SDK against llama-server (Gemma 3 270M,
``response_format`` json_schema): partials grow, each list item once and equal
to the final's, the final validated, the finish information; ``break`` closes
the request at the server; a small ``max_tokens`` gives an
``IncompleteJsonError`` that names the token limit.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import openai
import pytest

import rxstruct as rs
from rxstruct.testing import LlamaServer
from tests.helpers import CITIES_MESSAGES, Cities, City, check_cancelled, stream_story


def call(client: openai.OpenAI | openai.AsyncOpenAI, model: str, **options: Any) -> Any:
    """The structured call the tests make (three cities, temperature 0)."""
    arguments: dict[str, Any] = {
        "response_model": Cities,
        "messages": CITIES_MESSAGES,
        "model": model,
        "items": "cities",
        "max_tokens": 200,
        "temperature": 0,
        **options,
    }
    return rs.stream(client, **arguments)


def check(
    dumps: list[dict[str, Any]],
    items: list[rs.ListItem[City]],
    final: Cities,
    finished: rs.Finished | None,
) -> None:
    """The contract of the structured call, on whatever the model wrote."""
    assert isinstance(final, Cities) and len(final.cities) == 3
    # Partials grow: many distinct ones, finished cities never change after.
    assert dumps[-1] == final.model_dump()
    assert len({json.dumps(dump) for dump in dumps}) >= 10, dumps
    for earlier, later in zip(dumps, dumps[1:], strict=False):
        done = earlier["cities"] or []
        assert len(later["cities"] or []) >= len(done)
        for index, city in enumerate(done[:-1]):
            assert later["cities"][index] == city
    # Each city once, in order, equal to the final's.
    assert [item.index for item in items] == [0, 1, 2]
    assert [item.value for item in items] == final.cities
    # How it ended, as the server said.
    assert finished is not None and finished.finish_reason == "stop"
    assert finished.usage is not None and finished.usage.completion_tokens > 20
    assert finished.usage.completion_tokens < 200
    assert 0 < (finished.time_to_first_token or 0) < finished.duration
    assert finished.deltas > 20


def test_sync_structured_call(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    """``for partial in stream`` then ``get_final_response()``, one request."""
    before = llama_server.metrics()["requests_processing"]
    stream = call(client, llama_server.model)
    items: list[rs.ListItem[City]] = []
    stream.items.subscribe(items.append)
    dumps = [partial.model_dump() for partial in stream]
    final = stream.get_final_response()
    check(dumps, items, final, stream.finished)
    assert llama_server.metrics()["requests_processing"] == before == 0


@pytest.mark.anyio
async def test_async_structured_call(llama_server: LlamaServer) -> None:
    """``async for partial in stream`` then ``await get_final_response()``."""
    async with openai.AsyncOpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0
    ) as client:
        stream = call(client, llama_server.model)
        items: list[rs.ListItem[City]] = []
        stream.items.subscribe(items.append)
        with anyio.fail_after(120):
            dumps = [partial.model_dump() async for partial in stream]
            final = await stream.get_final_response()
    check(dumps, items, final, stream.finished)


# --- cancellation -------------------------------------------------------------


PARTIALS = 8  # partials seen before breaking out


def test_break_closes_the_request_at_the_server(
    client: openai.OpenAI, llama_server: LlamaServer
) -> None:
    """Breaking out of ``for partial in stream``: llama-server cancels the task."""
    stream = stream_story(client, llama_server.model)
    seen = 0
    busy: dict[str, Any] = {}
    for _ in stream:
        seen += 1
        if seen == PARTIALS:
            [busy] = llama_server.slots()
            assert busy["is_processing"]
            break
    left_at = time.monotonic()
    check_cancelled(llama_server, busy, left_at)
    with pytest.raises(rs.SourceError, match="closed"):
        stream.get_final_response()


@pytest.mark.anyio
async def test_async_break_closes_the_request_at_the_server(
    llama_server: LlamaServer,
) -> None:
    """``break`` inside ``async with stream``: the same, seen at the server.

    Python leaves an async generator suspended after ``break`` until it is
    collected; ``async with stream`` (or ``await stream.aclose()``) closes
    the request when the block is left, as the docstring of ``__aiter__`` says.
    """
    async with openai.AsyncOpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0
    ) as client:
        stream = stream_story(client, llama_server.model)
        seen = 0
        busy: dict[str, Any] = {}
        with anyio.fail_after(120):
            async with stream:
                async for _ in stream:
                    seen += 1
                    if seen == PARTIALS:
                        [busy] = await anyio.to_thread.run_sync(llama_server.slots)
                        assert busy["is_processing"]
                        break
        left_at = time.monotonic()
        await anyio.to_thread.run_sync(check_cancelled, llama_server, busy, left_at)


# --- the token limit ---------------------------------------------------------


def test_length_finish_names_the_token_limit(
    client: openai.OpenAI, llama_server: LlamaServer
) -> None:
    """``max_tokens=12``: IncompleteJsonError saying the token limit cut it."""
    stream = call(client, llama_server.model, max_tokens=12)
    dumps: list[dict[str, Any]] = []
    with pytest.raises(rs.IncompleteJsonError) as caught:
        for partial in stream:  # the loop ends with the error
            dumps.append(partial.model_dump())
    message = str(caught.value)
    assert message.startswith("the token limit cut the answer")
    assert "finish_reason='length', max_tokens=12" in message
    with pytest.raises(rs.IncompleteJsonError) as again:
        stream.get_final_response()
    assert again.value is caught.value
    finished = stream.finished
    assert finished is not None and finished.finish_reason == "length"
    assert finished.usage is not None and finished.usage.completion_tokens == 12
    assert dumps, "no partial before the cut"
