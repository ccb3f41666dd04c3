"""Load the real LLM token streams recorded in ``tests/fixtures``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Recording:
    """One recorded stream: its header and its timed deltas."""

    name: str
    header: dict[str, Any]
    times: list[float]
    deltas: list[str]

    @property
    def text(self) -> str:
        return "".join(self.deltas)

    @property
    def truncated(self) -> bool:
        return self.header.get("finish_reason") == "length" or not self.header.get(
            "valid_json", True
        )


def load(name: str) -> Recording:
    """Load ``tests/fixtures/<name>-3.jsonl`` (``name`` like ``"recipes"``)."""
    path = FIXTURES / f"{name}-3.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    events = [json.loads(line) for line in lines[1:] if line.strip()]
    return Recording(
        name=name,
        header=header,
        times=[float(e["t"]) for e in events],
        deltas=[str(e["delta"]) for e in events],
    )


NAMES = sorted(p.name.removesuffix("-3.jsonl") for p in FIXTURES.glob("*-3.jsonl"))
