"""The real token streams in ``tests/fixtures``, read by rxstruct's loader."""

from __future__ import annotations

from pathlib import Path

from rxstruct.sources import Recording, load_recording

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

NAMES = sorted(p.name.removesuffix("-3.jsonl") for p in FIXTURES.glob("*-3.jsonl"))


def load(name: str) -> Recording:
    """Load ``tests/fixtures/<name>-3.jsonl`` (``name`` like ``"recipes"``)."""
    return load_recording(FIXTURES / f"{name}-3.jsonl")


def truncated(recording: Recording) -> bool:
    """Whether the model was cut off (token limit) or wrote invalid JSON."""
    header = recording.header
    return header.get("finish_reason") == "length" or not header.get("valid_json", True)
