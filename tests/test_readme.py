"""Every Python block in README.md runs, and prints what the README shows.

A ```python block followed directly by a ```text block must print exactly that
text. Blocks share one namespace, top to bottom, like a notebook.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import types
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README.read_text())]


def test_readme_examples_run_and_match_their_output() -> None:
    """Run the README's Python blocks; compare each one's output with its text block."""
    blocks = _blocks()
    module = types.ModuleType("readme")  # a real module, as user code would have
    sys.modules["readme"] = module
    namespace = module.__dict__
    ran = 0
    for position, (language, code) in enumerate(blocks):
        if language != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            compiled = compile(
                code, f"README block {position}", "exec", dont_inherit=True
            )
            exec(compiled, namespace)
        ran += 1
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        if following is not None and following[0] == "text":
            expected = following[1].rstrip()
            actual = "\n".join(line.rstrip() for line in out.getvalue().splitlines())
            assert actual.rstrip() == expected, f"README block {position} output"
    assert ran >= 1


def test_readme_opens_with_the_two_commands() -> None:
    """A newcomer sees `make demo` and `make test` first."""
    head = README.read_text()[:600]
    assert "make demo" in head and "make test" in head
