"""The example page in a real browser: headless Debian Chromium driven by Playwright.

Run by ``make test-web`` (which installs Chromium and Playwright when missing),
not by ``make test``. Never downloads a browser: it uses ``/usr/bin/chromium``.
Screenshots are saved in ``build/test-web/`` (or ``$RXSTRUCT_ARTIFACTS``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples.web.app import CANNED, canned_deltas, create_app
from rxstruct.testing import ScriptedLLMServer, ScriptedReply
from tests.helpers import serve

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("RXSTRUCT_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("RXSTRUCT_ARTIFACTS", ROOT / "build" / "test-web"))


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed ({CHROMIUM} is missing). Install Debian's "
            "package: `apt-get update && apt-get install -y chromium` (as root), or "
            "run `make test-web`, which does it. Set RXSTRUCT_CHROMIUM to use "
            "another Chromium binary."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            'Playwright is not installed: pip install -e ".[web-test]" (or run '
            "`make test-web`). It drives the system Chromium; no browser download."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def app_url() -> Iterator[str]:
    replies = [
        ScriptedReply(deltas=canned_deltas(), delay=0.05),  # about 5.5 s
        ScriptedReply(deltas=['{"ideas": [{"title": "Half', '", "blurb" "x"}]}']),
    ]
    with ScriptedLLMServer(replies) as llm, serve(create_app(llm.base_url)) as url:
        yield url


def test_the_page_renders_the_stream(browser: Any, app_url: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1100, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_url)
    page.fill("#topic", "weekend projects")
    page.click("#go")

    # While it streams: the list grows and the first cards appear before the end.
    page.wait_for_selector("#cards .card", timeout=15_000)
    assert page.get_attribute("#status", "data-state") == "streaming"
    page.wait_for_function(
        "document.querySelectorAll('#cards .card').length >= 2", timeout=15_000
    )
    page.wait_for_function(
        "(document.querySelector('#live li:nth-child(3) .blurb') || {})"
        ".textContent?.length > 12",
        timeout=15_000,
    )
    assert page.get_attribute("#status", "data-state") == "streaming"
    live = page.locator("#live li").count()
    cards = page.locator("#cards .card").count()
    assert live > cards  # the next idea is still being written
    assert page.text_content("#final") == ""
    page.screenshot(path=str(ARTIFACTS / "mid-stream.png"))

    # At the end: every idea is a card and the validated final is shown.
    page.wait_for_function(
        "document.getElementById('status').dataset.state !== 'streaming'",
        timeout=20_000,
    )
    assert page.get_attribute("#status", "data-state") == "done"
    titles = page.locator("#cards .card h3").all_text_contents()
    assert titles == [idea.title for idea in CANNED.ideas]
    assert json.loads(page.text_content("#final") or "") == CANNED.model_dump()
    live_titles = page.locator("#live .title").all_text_contents()
    assert live_titles == titles
    page.screenshot(path=str(ARTIFACTS / "done.png"))

    # An invalid answer from the model: the error is shown, no final.
    page.click("#go")
    page.wait_for_selector("#status[data-state='error']", timeout=15_000)
    assert "JsonStreamError" in (page.text_content("#error") or "")
    assert page.text_content("#final") == ""
    page.screenshot(path=str(ARTIFACTS / "error.png"))
    assert errors == []
