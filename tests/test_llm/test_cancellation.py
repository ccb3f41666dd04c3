"""Disposing mid-stream stops the real model: llama-server's own view.

A request that would generate hundreds of tokens is disposed after a few
partials. The server's ``/slots`` shows its task generating with most of its
``max_tokens`` left, then the slot idle again long before the task could have
finished; its log shows that very task cancelled and released early.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import openai
import pytest
from reactivex import abc

import rxstruct as rs
from rxstruct.sources import from_chat_completion
from rxstruct.testing import LlamaServer
from tests.helpers import STORY_MESSAGES, Story, check_cancelled, schema_request

WAIT = 60.0
MAX_TOKENS = 400
PARTIALS = 8  # how many partials to see before disposing


def request(model: str) -> dict[str, Any]:
    """create() arguments: a long story, constrained by its schema."""
    return schema_request(model, "story", Story, STORY_MESSAGES, MAX_TOKENS)


def busy_slot(server: LlamaServer) -> dict[str, Any]:
    """The slot working on the request, as the server reports it."""
    [slot] = server.slots()
    assert slot["is_processing"], "the request is not being generated"
    return slot


def story_partials(
    client: openai.OpenAI | openai.AsyncOpenAI,
    model: str,
    enough: threading.Event | anyio.Event,
) -> tuple[list[Any], abc.DisposableBase]:
    """Subscribe to the story's partials; ``enough`` is set when PARTIALS came.

    Returns the partials as they arrive and the subscription.
    """
    partials: list[Any] = []

    def on_next(partial: Any) -> None:
        partials.append(partial)
        if len(partials) == PARTIALS:
            enough.set()

    subscription = (
        from_chat_completion(client, **request(model))
        .pipe(rs.accumulate_json(), rs.to_partial(Story))
        .subscribe(on_next)
    )
    return partials, subscription


def test_sync_dispose(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    """openai.OpenAI: dispose cuts the socket; the server cancels the task."""
    enough = threading.Event()
    partials, subscription = story_partials(client, llama_server.model, enough)
    assert enough.wait(WAIT), "too few partials"
    busy = busy_slot(llama_server)
    subscription.dispose()
    disposed_at = time.monotonic()
    count = len(partials)
    check_cancelled(llama_server, busy, disposed_at)
    assert len(partials) <= count + 1  # at most one already on its way


@pytest.mark.anyio
async def test_async_dispose(llama_server: LlamaServer) -> None:
    """openai.AsyncOpenAI: dispose cancels the reading task; the server too."""
    enough = anyio.Event()
    async with openai.AsyncOpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0
    ) as client:
        partials, subscription = story_partials(client, llama_server.model, enough)
        with anyio.fail_after(WAIT):
            await enough.wait()
        busy = await anyio.to_thread.run_sync(busy_slot, llama_server)
        subscription.dispose()
        disposed_at = time.monotonic()
        await anyio.to_thread.run_sync(check_cancelled, llama_server, busy, disposed_at)
    assert len(partials) == PARTIALS  # nothing after dispose on the loop
