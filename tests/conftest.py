"""Shared pytest configuration."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio only (the OpenAI SDK's loop of choice here)."""
    return "asyncio"
