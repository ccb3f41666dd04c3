"""Fixtures of the structured-call tests: a scripted server and clients on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import serving

Serve = Callable[..., Any]


@pytest.fixture
def serve() -> Callable[..., Any]:
    """``with serve(script) as (server, client):`` see :func:`tests.helpers.serving`."""
    return serving
