"""Fixtures of the structured-call tests: a scripted server and clients on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest

from rxstruct.testing import ScriptedLLMServer

Serve = Callable[..., Any]


@pytest.fixture
def serve() -> Callable[..., Any]:
    """``with serve(script) as (server, client):`` a server and a sync client."""

    @contextmanager
    def serving(
        script: list[Any], *, speed: float = 1.0, max_retries: int = 0
    ) -> Iterator[tuple[ScriptedLLMServer, openai.OpenAI]]:
        with ScriptedLLMServer(script, speed=speed) as server:
            with openai.OpenAI(
                base_url=server.base_url, api_key="local", max_retries=max_retries
            ) as client:
                yield server, client

    return serving
