"""Disposing mid-stream stops the real model: llama-server's own view.

A request that would generate hundreds of tokens is disposed after a few
partials. The server's ``/slots`` shows the slot idle again long before the
request could have finished, having decoded far fewer tokens than
``max_tokens``, and its log shows the task cancelled.
"""

from __future__ import annotations

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


def slot_after_cancel(server: LlamaServer) -> dict[str, Any]:
    """The slot once idle again, waited for (a cancelled task frees it)."""
    deadline = time.monotonic() + 10.0
    while True:
        [slot] = server.slots()
        if not slot["is_processing"]:
            return slot
        assert time.monotonic() < deadline, "the slot is still processing"
        time.sleep(0.05)


def check_cancelled(server: LlamaServer, disposed_at: float, log_before: str) -> None:
    slot = slot_after_cancel(server)
    idle_after = time.monotonic() - disposed_at
    decoded = decoded_tokens(slot)
    # 400 tokens take > 10 s at ~30 tokens/s: idle within 3 s means stopped.
    assert idle_after < 3.0, idle_after
    assert decoded < MAX_TOKENS / 4, decoded
    log = server.log_path.read_text()[len(log_before) :]
    assert "cancel" in log.lower(), log[-2000:]


def decoded_tokens(slot: dict[str, Any]) -> int:
    """How many tokens the slot's last task generated."""
    next_token = slot["next_token"]
    if isinstance(next_token, list):
        next_token = next_token[0]
    return int(next_token["n_decoded"])


def test_sync_dispose(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    """openai.OpenAI: dispose cuts the socket; the server cancels the task."""
    log_before = llama_server.log_path.read_text()
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
    subscription.dispose()
    disposed_at = time.monotonic()
    count = len(partials)
    check_cancelled(llama_server, disposed_at, log_before)
    assert len(partials) <= count + 1  # at most one already on its way


@pytest.mark.anyio
async def test_async_dispose(llama_server: LlamaServer) -> None:
    """openai.AsyncOpenAI: dispose cancels the reading task; the server too."""
    log_before = llama_server.log_path.read_text()
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
        subscription.dispose()
        disposed_at = time.monotonic()
        await anyio.to_thread.run_sync(
            check_cancelled, llama_server, disposed_at, log_before
        )
    assert len(partials) == PARTIALS  # nothing after dispose on the loop
