"""Disposing mid-stream stops the real model: llama-server's own view.

A request that would generate hundreds of tokens is disposed after a few
partials. The server's ``/slots`` shows its task generating with most of its
``max_tokens`` left, then the slot idle again long before the task could have
finished; its log shows that very task cancelled and released early.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import anyio
import openai
import pytest
from pydantic import BaseModel, Field
from reactivex import abc

import rxstruct as rs
from rxstruct.sources import from_chat_completion
from rxstruct.testing import LlamaServer

WAIT = 60.0
MAX_TOKENS = 400
PARTIALS = 8  # how many partials to see before disposing


class Story(BaseModel):
    title: str = Field(min_length=3, max_length=40)
    sentences: list[str] = Field(min_length=40, max_length=40)


def request(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": "Tell a long story, as JSON."}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "story", "schema": Story.model_json_schema()},
        },
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }


def busy_slot(server: LlamaServer) -> dict[str, Any]:
    """The slot working on the request, as the server reports it."""
    [slot] = server.slots()
    assert slot["is_processing"], "the request is not being generated"
    return slot


def check_cancelled(
    server: LlamaServer, busy: dict[str, Any], disposed_at: float
) -> None:
    """The server stopped the task at once, far from its token limit."""
    task = busy["id_task"]
    [progress] = busy["next_token"]
    assert progress["n_remain"] > 300, progress  # most of max_tokens still to go
    deadline = disposed_at + 30.0
    while server.slots()[0]["is_processing"]:
        assert time.monotonic() < deadline, "the slot is still generating"
        time.sleep(0.02)
    idle_after = time.monotonic() - disposed_at
    # Over 300 tokens were left: at ~30 tokens/s, 10 s of work (far more on a
    # busy machine). Idle within 5 s means the task was stopped, not finished.
    assert idle_after < 5.0, idle_after
    [slot] = server.slots()
    assert slot["id_task"] == task  # no other task ran meanwhile
    cancelled = f"cancel task, id_task = {task}"
    released = re.compile(rf"task {task} \| stop processing: n_tokens = (\d+)")
    log = server.log_tail(200)
    while not (cancelled in log and released.search(log)):
        assert time.monotonic() < deadline, log  # the server logs from a thread
        time.sleep(0.02)
        log = server.log_tail(200)
    match = released.search(log)
    assert match is not None
    # Its context at release: the prompt and a few tokens, not 400 more.
    assert int(match.group(1)) < busy["n_prompt_tokens"] + 100


def test_sync_dispose(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    """openai.OpenAI: dispose cuts the socket; the server cancels the task."""
    partials: list[Any] = []
    enough = threading.Event()

    def on_next(partial: Any) -> None:
        partials.append(partial)
        if len(partials) == PARTIALS:
            enough.set()

    subscription = (
        from_chat_completion(client, **request(llama_server.model))
        .pipe(rs.accumulate_json(), rs.to_partial(Story))
        .subscribe(on_next)
    )
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
    partials: list[Any] = []
    enough = anyio.Event()

    def on_next(partial: Any) -> None:
        partials.append(partial)
        if len(partials) == PARTIALS:
            enough.set()

    async with openai.AsyncOpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0
    ) as client:
        subscription: abc.DisposableBase = (
            from_chat_completion(client, **request(llama_server.model))
            .pipe(rs.accumulate_json(), rs.to_partial(Story))
            .subscribe(on_next)
        )
        with anyio.fail_after(WAIT):
            await enough.wait()
        busy = await anyio.to_thread.run_sync(busy_slot, llama_server)
        subscription.dispose()
        disposed_at = time.monotonic()
        await anyio.to_thread.run_sync(check_cancelled, llama_server, busy, disposed_at)
    assert len(partials) == PARTIALS  # nothing after dispose on the loop
