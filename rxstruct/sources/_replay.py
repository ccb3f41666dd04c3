"""Replay recorded token streams as observables, with their real timing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from reactivex import Observable, abc
from reactivex.disposable import Disposable, SerialDisposable
from reactivex.scheduler import TimeoutScheduler

from ..exceptions import UsageError

__all__ = ["Recording", "demo_recording_path", "load_recording", "replay"]


@dataclass(frozen=True, kw_only=True)
class Recording:
    """A recorded token stream: a header and timed text deltas.

    The file format is JSON lines: line 1 is a header object (prompt, schema,
    finish_reason, ...), every further line ``{"t": seconds, "delta": text}``.
    """

    header: dict[str, Any] = field(default_factory=dict)
    """What the recording says about itself (model, prompt, finish_reason)."""
    times: tuple[float, ...] = ()
    """Arrival time of each delta, in seconds since the request."""
    deltas: tuple[str, ...] = ()
    """The text deltas, in order."""

    @property
    def text(self) -> str:
        """The whole text the model wrote."""
        return "".join(self.deltas)

    def events(self) -> list[tuple[float, str]]:
        """``(time, delta)`` pairs, as :func:`replay` takes them."""
        return list(zip(self.times, self.deltas, strict=True))


def load_recording(path: str | Path) -> Recording:
    """Read a recording from a JSON-lines file.

    Example:
        >>> from rxstruct.sources import load_recording, demo_recording_path
        >>> rec = load_recording(demo_recording_path())
        >>> rec.header["case"], len(rec.deltas) > 100
        ('recipes', True)
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines:
        raise UsageError(f"{path}: empty recording")
    header = json.loads(lines[0])
    times: list[float] = []
    deltas: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        event = json.loads(line)
        if not isinstance(event, dict) or "delta" not in event:
            raise UsageError(f"{path}:{number}: expected {{'t': ..., 'delta': ...}}")
        times.append(float(event.get("t", 0.0)))
        deltas.append(str(event["delta"]))
    return Recording(header=header, times=tuple(times), deltas=tuple(deltas))


def replay(
    events: Iterable[tuple[float, str]] | Recording,
    *,
    speed: float = 1.0,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[str]:
    """An observable that emits each delta at its recorded time, then completes.

    Times are relative to subscription and divided by ``speed`` (2.0 replays
    twice as fast). Each subscription replays from the start.
    """
    if speed <= 0:
        raise UsageError(f"speed must be positive, got {speed!r}")
    items: Sequence[tuple[float, str]] = (
        events.events() if isinstance(events, Recording) else list(events)
    )

    def subscribe(
        observer: abc.ObserverBase[str],
        scheduler_: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        sched = scheduler or scheduler_ or TimeoutScheduler.singleton()
        pending = SerialDisposable()
        start = sched.now
        lock = threading.Lock()
        newest = -1

        def step(position: int) -> None:
            nonlocal newest
            if position >= len(items):
                observer.on_completed()
                return
            due = start + timedelta(seconds=items[position][0] / speed)

            def emit(_: abc.SchedulerBase, __: Any = None) -> abc.DisposableBase | None:
                observer.on_next(items[position][1])
                step(position + 1)
                return None

            scheduled = sched.schedule_absolute(due, emit)
            # On a threaded scheduler (the default) this step's timer may already
            # have fired and scheduled the next: never let it replace a newer one.
            with lock:
                if position > newest:
                    newest = position
                    pending.disposable = scheduled

        step(0)
        return Disposable(pending.dispose)

    return Observable(subscribe)


def demo_recording_path() -> Path:
    """Path of the recipes recording bundled with rxstruct (for demos, notebooks)."""
    return Path(__file__).resolve().parent.parent / "_data" / "recipes.jsonl"
