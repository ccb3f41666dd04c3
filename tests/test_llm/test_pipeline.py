"""The whole pipeline against a real model: partials, list items, the final.

The real openai SDK streams from llama-server (Gemma 3 270M, schema-constrained
with ``response_format`` json_schema) through ``from_chat_completion``;
``accumulate_json`` is published to three views: ``to_partial``,
``new_list_items`` and ``validate_final``. Sync and async clients.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import openai
import pytest
from reactivex import Observable
from reactivex import operators as ops

import rxstruct as rs
from rxstruct.sources import StreamEnded, from_chat_completion
from rxstruct.testing import LlamaServer
from tests.helpers import CITIES_MESSAGES, Cities, City, schema_request

WAIT = 120.0  # seconds; a guard against hanging, far above a green run


def request(model: str) -> dict[str, Any]:
    """create() arguments: three cities, constrained by the model's schema."""
    return schema_request(model, "cities", Cities, CITIES_MESSAGES, max_tokens=200)


@dataclass
class Run:
    """What the three views of one request received, with arrival times."""

    deltas: list[tuple[float, str]] = field(default_factory=list)
    partials: list[Any] = field(default_factory=list)
    items: list[tuple[float, rs.ListItem[City]]] = field(default_factory=list)
    finals: list[Cities] = field(default_factory=list)
    ended: list[StreamEnded] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    completed: bool = False

    def wire(self, tokens: Observable[str], on_end: Callable[[], None]) -> Any:
        """Subscribe the three views to one published request; connect later."""

        def fail(error: Exception) -> None:
            self.errors.append(error)
            on_end()

        def complete() -> None:
            self.completed = True
            on_end()

        snapshots = tokens.pipe(
            ops.do_action(lambda text: self.deltas.append((time.monotonic(), text))),
            rs.accumulate_json(),
            ops.publish(),
        )
        snapshots.pipe(rs.to_partial(Cities)).subscribe(
            self.partials.append, self.errors.append
        )
        snapshots.pipe(rs.new_list_items(City, "cities")).subscribe(
            lambda item: self.items.append((time.monotonic(), item)),
            self.errors.append,
        )
        snapshots.pipe(rs.validate_final(Cities)).subscribe(
            self.finals.append, fail, complete
        )
        return snapshots

    def check(self) -> None:
        """The contract of the pipeline, on whatever the model wrote."""
        assert self.errors == [] and self.completed
        assert [end.finish_reason for end in self.ended] == ["stop"]
        [final] = self.finals
        assert isinstance(final, Cities) and len(final.cities) == 3
        text = "".join(delta for _, delta in self.deltas)
        assert Cities.model_validate_json(text) == final

        # Partials grow: many distinct ones before the final, each one a
        # prefix-consistent view (finished cities never change afterwards).
        dumps = [partial.model_dump() for partial in self.partials]
        assert dumps[-1] == final.model_dump()
        distinct = {json.dumps(dump) for dump in dumps[:-1]} - {json.dumps(dumps[-1])}
        assert len(distinct) >= 10, len(distinct)
        for earlier, later in zip(dumps, dumps[1:], strict=False):
            done = earlier["cities"] or []
            assert len(later["cities"] or []) >= len(done)
            for index, city in enumerate(done[:-1]):
                assert later["cities"][index] == city

        # Each city once, in order, equal to the final's, and before the end.
        assert [item.index for _, item in self.items] == [0, 1, 2]
        assert [item.value for _, item in self.items] == final.cities
        last_delta = self.deltas[-1][0]
        first_item = self.items[0][0]
        assert first_item < last_delta, "the first city came only at the end"


@pytest.fixture(scope="module")
def sync_run(llama_server: LlamaServer) -> Run:
    """One request with openai.OpenAI, through the three views (shared by tests)."""
    run = Run()
    finished = threading.Event()
    with openai.OpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0
    ) as client:
        tokens = from_chat_completion(
            client, on_finish=run.ended.append, **request(llama_server.model)
        )
        run.wire(tokens, finished.set).connect()
        assert finished.wait(WAIT), "the stream did not end"
    return run


def test_sync_client(sync_run: Run) -> None:
    """openai.OpenAI: partials grow, each city once, the final validated."""
    sync_run.check()


@pytest.mark.anyio
async def test_async_client(llama_server: LlamaServer) -> None:
    """openai.AsyncOpenAI on the running loop: the same contract."""
    run = Run()
    finished = anyio.Event()
    async with openai.AsyncOpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0
    ) as client:
        tokens = from_chat_completion(
            client, on_finish=run.ended.append, **request(llama_server.model)
        )
        run.wire(tokens, finished.set).connect()
        with anyio.fail_after(WAIT):
            await finished.wait()
    run.check()


def test_token_cuts_are_real(sync_run: Run) -> None:
    """The model's deltas are tokens, not characters: multi-char, odd splits."""
    run = sync_run
    deltas = [delta for _, delta in run.deltas]
    text = "".join(deltas)
    assert any(len(delta) > 1 for delta in deltas)
    assert len(deltas) < len(text) / 1.5  # far fewer deltas than characters
    # A cut inside a string: the characters on both sides belong to it.
    inside = string_offsets(text)
    assert set(boundaries(deltas)) & inside, "no delta boundary inside a string"
    # A delta across JSON tokens: a quote joined to punctuation ('",', '{"').
    assert any(re.search(r'"[,:}\]]|[{\[,]"', delta) for delta in deltas)


def boundaries(deltas: list[str]) -> list[int]:
    """Offsets in the joined text where one delta ends and the next begins."""
    offsets, position = [], 0
    for delta in deltas[:-1]:
        position += len(delta)
        offsets.append(position)
    return offsets


def string_offsets(text: str) -> set[int]:
    """Offsets strictly inside a JSON string (between two of its characters)."""
    inside: set[int] = set()
    in_string = escaped = False
    start = 0
    for offset, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside.update(range(start + 2, offset))
                in_string = False
        elif char == '"':
            in_string, start = True, offset
    return inside
