"""Run README.md's Python blocks and write their real output into the text blocks.

Usage: ``python scripts/render_readme.py`` from the repository root. A
```python block directly followed by a ```text block gets that block replaced
by what the code printed. ``tests/test_readme.py`` checks the result.
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


def main() -> None:
    """Rewrite the text blocks of README.md with what its code prints."""
    text = README.read_text()
    matches = list(BLOCK.finditer(text))
    module = types.ModuleType("readme")  # a real module, as user code would have
    sys.modules["readme"] = module
    namespace = module.__dict__
    replacements: list[tuple[int, int, str]] = []
    for position, match in enumerate(matches):
        if match.group(1) != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = compile(
                match.group(2), f"README block {position}", "exec", dont_inherit=True
            )
            exec(code, namespace)
        following = matches[position + 1] if position + 1 < len(matches) else None
        if following is not None and following.group(1) == "text":
            lines = [line.rstrip() for line in out.getvalue().splitlines()]
            body = "\n".join(lines).rstrip() + "\n"
            replacements.append((following.start(2), following.end(2), body))
    for start, end, body in reversed(replacements):
        text = text[:start] + body + text[end:]
    README.write_text(text)


if __name__ == "__main__":
    main()
