"""Fixtures of the retry tests: a scripted server and a sync client on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import openai
import pytest

from rxstruct.testing import ScriptedLLMServer


@pytest.fixture
def serve() -> Callable[..., Any]:
    """``with serve(script) as (server, client):`` a server and a sync client.

    The client's own retries are off unless ``max_retries`` says otherwise, so
    every retry a test sees is rxstruct's.
    """

    @contextmanager
    def serving(
        script: list[Any], *, max_retries: int = 0
    ) -> Iterator[tuple[ScriptedLLMServer, openai.OpenAI]]:
        with ScriptedLLMServer(script) as server:
            with openai.OpenAI(
                base_url=server.base_url, api_key="local", max_retries=max_retries
            ) as client:
                yield server, client

    return serving
