"""What the tests against the real model (``tests/test_llm``) share.

The three-cities request (its models, a worked example for Gemma 3 270M and
the messages), a schema-constrained ``create()`` request, the long story that
cancellation tests cut short, and the check that llama-server really stopped a
cancelled task.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field

import rxstruct as rs
from rxstruct.testing import LlamaServer


class City(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=3, max_length=20)
    country: str = Field(min_length=3, max_length=20)
    landmark: str = Field(min_length=3, max_length=30)


class Cities(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cities: list[City] = Field(min_length=3, max_length=3)


# Gemma 3 270M is a base model: one worked example keeps it to compact JSON
# (the schema allows any whitespace, which it would otherwise spend tokens on).
CITIES_EXAMPLE = {
    "cities": [
        {"name": "Tokyo", "country": "Japan", "landmark": "Senso-ji Temple"},
        {"name": "Mumbai", "country": "India", "landmark": "Gateway of India"},
    ]
}
CITIES_MESSAGES: list[Any] = [
    {"role": "user", "content": "Name two large cities of Asia, as JSON."},
    {"role": "assistant", "content": json.dumps(CITIES_EXAMPLE)},
    {"role": "user", "content": "Name three large cities of Europe, as JSON."},
]


class Story(BaseModel):
    """An answer long enough (hundreds of tokens) to be cut short."""

    title: str = Field(min_length=3, max_length=40)
    sentences: list[str] = Field(min_length=40, max_length=40)


STORY_MESSAGES: list[Any] = [{"role": "user", "content": "Tell a long story, as JSON."}]


def schema_request(
    model: str, name: str, schema: type[BaseModel], messages: Any, max_tokens: int
) -> dict[str, Any]:
    """``create()`` arguments constrained by ``schema`` (json_schema), temperature 0."""
    return {
        "model": model,
        "messages": messages,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema.model_json_schema()},
        },
        "max_tokens": max_tokens,
        "temperature": 0,
    }


def stream_story(client: openai.OpenAI | openai.AsyncOpenAI, model: str) -> Any:
    """The structured call that cancellation tests cut short (400 tokens)."""
    return rs.stream(
        client,
        response_model=Story,
        messages=STORY_MESSAGES,
        model=model,
        max_tokens=400,
        temperature=0,
    )


def check_cancelled(server: LlamaServer, busy: dict[str, Any], left_at: float) -> None:
    """The server stopped the task at once, far from its token limit.

    ``busy`` is the server's slot while it generated (from ``server.slots()``),
    ``left_at`` the ``time.monotonic()`` at which the consumer left.
    """
    task = busy["id_task"]
    [progress] = busy["next_token"]
    assert progress["n_remain"] > 300, progress  # most of max_tokens still to go
    deadline = left_at + 30.0
    while server.slots()[0]["is_processing"]:
        assert time.monotonic() < deadline, "the slot is still generating"
        time.sleep(0.02)
    idle_after = time.monotonic() - left_at
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
