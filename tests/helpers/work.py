"""Counting work without clocks, for the cost guards (never wall time)."""

from __future__ import annotations

import json
import random
import sys
import tracemalloc
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, TypeVar

_T = TypeVar("_T")


def mean_profile_events(step: Callable[[_T], object], items: list[_T]) -> float:
    """Mean ``sys.setprofile`` events (Python and C calls, returns) per ``step``."""
    events = 0

    def count(frame: FrameType, event: str, arg: object) -> None:
        nonlocal events
        events += 1

    sys.setprofile(count)
    try:
        for item in items:
            step(item)
    finally:
        sys.setprofile(None)
    return events / len(items)


def p90_transient_bytes(step: Callable[[_T], object], items: Iterable[_T]) -> int:
    """90th percentile of the memory each ``step`` allocates above its start.

    The percentile, not the maximum: amortized growth (a list reallocating now
    and then) is fine, a copy on every step would show.
    """
    peaks: list[int] = []
    tracemalloc.start()
    try:
        for item in items:
            before, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            step(item)
            _, top = tracemalloc.get_traced_memory()
            peaks.append(top - before)
    finally:
        tracemalloc.stop()
    peaks.sort()
    return peaks[int(len(peaks) * 0.9)]


# The cost guards' document: chunks of CHUNK characters of a list of models.
CHUNK = 4


def list_of_models(size: int, seed: int = 7) -> str:
    """A ``{"ideas": [{title, blurb, score, tags}]}`` document of ``size`` chars."""
    rng = random.Random(seed)
    words = "fast cheap bold quiet bright local smart green open daily".split()
    ideas: list[dict[str, Any]] = []
    text = ""
    while len(text) < size:
        ideas.append(
            {
                "title": " ".join(rng.choices(words, k=3)).title(),
                "blurb": " ".join(rng.choices(words, k=12)) + ".",
                "score": rng.randint(1, 100),
                "tags": rng.choices(words, k=2),
            }
        )
        if len(ideas) % 64 == 0 or len(text) < 4096:
            text = json.dumps({"ideas": ideas}, indent=1)
    return json.dumps({"ideas": ideas}, indent=1)
