"""Counting work without clocks, for the cost guards (never wall time)."""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TypeVar

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
