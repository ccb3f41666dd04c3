"""README's "Against a real local model" block runs against the real model.

``tests/test_readme.py`` runs the ```python blocks in `make test`; this block is
```py because it needs the ``local`` extra, so `make test-llm` runs it here. Its
output depends on the model, so its shape is checked, not its text.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
HEADING = "## Against a real local model"


def local_block() -> str:
    section = README.read_text().split(HEADING, 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```py\n(.*?)```", section, re.DOTALL)
    assert match is not None, "no ```py block in the section"
    return match.group(1)


def test_the_readme_block_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Landmarks grow, three cities arrive one by one, the final validates."""
    module = types.ModuleType("readme_local")
    sys.modules["readme_local"] = module
    try:
        exec(compile(local_block(), "README local block", "exec"), module.__dict__)
    finally:
        del sys.modules["readme_local"]
    out = capsys.readouterr().out
    lines = out.splitlines()
    growing = [line for line in lines if line.startswith("landmarks: ")]
    cities = [line for line in lines if line.startswith("city ")]
    assert len(growing) >= 6
    assert [line.split(":")[0] for line in cities] == ["city 0", "city 1", "city 2"]
    assert "final: 3 cities, valid" in lines
    printed_tokens = out.split("\ntokens: ", 1)[1]  # last; a token may be "\n"
    assert printed_tokens.count("|") >= 20
