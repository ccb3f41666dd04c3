"""Fixtures of the retry tests: a scripted server and a sync client on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import serving


@pytest.fixture
def serve() -> Callable[..., Any]:
    """``with serve(script) as (server, client):`` see :func:`tests.helpers.serving`."""
    return serving
