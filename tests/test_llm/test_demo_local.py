"""``python -m rxstruct.demo --local`` against the real model, without a TTY.

The demo starts its own llama-server (Gemma 3 270M) on 127.0.0.1, streams the
recipes through ``rs.stream`` into its plain-text view, prints the validated
final and stops the server when it exits.
"""

from __future__ import annotations

import json
import re
import socket

from rxstruct.demo import Recipes
from tests.helpers import run_demo

TIMEOUT = 300  # seconds; about 30 s on a quiet machine


def test_demo_against_the_local_model() -> None:
    result = run_demo("--local", timeout=TIMEOUT)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "\x1b" not in out  # no terminal: plain log lines
    where = re.search(r"server  http://127\.0\.0\.1:(\d+)/v1  \(llama-server, ", out)
    assert where is not None, out

    start = out.index("{", out.index("final value"))
    final = Recipes.model_validate(json.loads(out[start : out.index("finish_reason=")]))
    for index, recipe in enumerate(final.recipes):
        card = out.index(f"recipe {index + 1}: {recipe.name}")
        assert out.index(f"recipes[{index}] = PartialRecipe(") < card
        assert card < out.index("final value")  # each card before the end
    assert "finish_reason=stop" in out
    assert re.search(r"first partial [\d.]+ s · [\d.]+ tokens/s", out), out

    # The demo stopped its server: nothing listens on its port any more.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(where.group(1)))) != 0
