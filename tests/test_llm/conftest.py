"""One real llama-server (Gemma 3 270M) for the whole session; `make test-llm`.

Every test here is marked ``llm`` and deselected from `make test` (see
``addopts`` in pyproject.toml). A test that needs the model asks for
``llama_server`` (the started :class:`~rxstruct.testing.LlamaServer`: its
``base_url``, ``model``, ``slots()``, ``metrics()``, ``log_tail()``) or just for
``local_model`` (``(base_url, model)``), or for a ready ``openai.OpenAI`` client.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from rxstruct.testing import LlamaServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this directory ``llm``, whatever its module says."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.llm)


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """The real model server, started once per session and stopped at its end."""
    with LlamaServer() as server:
        yield server


@pytest.fixture(scope="session")
def local_model(llama_server: LlamaServer) -> tuple[str, str]:
    """``(base_url, model)`` of the session's real model server."""
    return llama_server.base_url, llama_server.model


@pytest.fixture
def client(llama_server: LlamaServer) -> Iterator[openai.OpenAI]:
    """A sync OpenAI client pointed at the real model server."""
    with openai.OpenAI(
        base_url=llama_server.base_url, api_key="local", max_retries=0, timeout=60
    ) as client:
        yield client
