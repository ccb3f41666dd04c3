"""``python -m rxstruct.demo`` as a child process, run as a user would run it."""

from __future__ import annotations

import subprocess
import sys

DEMO = [sys.executable, "-m", "rxstruct.demo"]


def run_demo(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the demo with ``args``, no stdin, and its output captured as text.

    ``timeout`` (seconds) bounds a run that a green test never reaches.
    """
    return subprocess.run(
        [*DEMO, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
        env=env,
    )
