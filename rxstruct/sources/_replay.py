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
from reactivex.scheduler import ImmediateScheduler, TimeoutScheduler

from ..exceptions import UsageError
from ._emitter import Emitter

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
    twice as fast, ``math.inf`` at once). Each subscription replays from the
    start. The deltas due at the same moment are emitted together, in order,
    by one scheduled action, and there is at most one timer at a time, so any
    number of deltas replays without recursion on any scheduler: the
    ``scheduler`` given, else the subscription's, else a ``TimeoutScheduler``
    (a timer thread per wait). An ``ImmediateScheduler`` cannot wait: a delta
    due later ends the stream with a :class:`~rxstruct.UsageError`.

    An exception raised by the subscriber's ``on_next`` ends the replay
    through ``on_error``; one raised by its ``on_error`` or ``on_completed``
    propagates to whoever runs the scheduler's action: the caller of
    ``subscribe`` on a ``CurrentThreadScheduler``, ``threading.excepthook`` on
    a timer thread.

    .. code-block:: text

        events:  (0.5, '{"a"') (1.25, ': 1') (3.0, '}')
                 [            replay(events)            ]
        out:     ----'{"a"'-------': 1'-----------------'}'|

    Args:
        events: ``(seconds, delta)`` pairs, or a :class:`Recording`.
        speed: Divides every time.
        scheduler: Where the deltas are emitted (see above).

    Returns:
        A cold observable of the deltas.

    Raises:
        UsageError: ``speed`` is not positive (raised at once).

    Example:
        >>> from reactivex import operators as ops
        >>> from reactivex.scheduler import CurrentThreadScheduler
        >>> events = [(0.0, '{"a"'), (0.0, ": 1"), (0.01, "}")]
        >>> replay(events, scheduler=CurrentThreadScheduler()).pipe(ops.to_list()).run()
        ['{"a"', ': 1', '}']
    """
    if not speed > 0:
        raise UsageError(f"speed must be positive, got {speed!r}")
    items: Sequence[tuple[float, str]] = (
        events.events() if isinstance(events, Recording) else list(events)
    )

    def subscribe(
        observer: abc.ObserverBase[str],
        scheduler_: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        sched = scheduler or scheduler_ or TimeoutScheduler.singleton()
        emitter = Emitter(observer)
        start = sched.now
        position = 0
        timer = SerialDisposable()
        # Held while a run emits and stores its successor's timer: a timer that
        # fires at once on another thread waits here, so it can never store its
        # own successor before this run stores it (which would cancel it).
        lock = threading.RLock()

        def run(now_scheduler: abc.SchedulerBase, _: Any = None) -> None:
            nonlocal position
            with lock:
                while position < len(items):
                    seconds, text = items[position]
                    due = start + timedelta(seconds=seconds / speed)
                    if due > now_scheduler.now:
                        if emitter.stopped:
                            return
                        if isinstance(now_scheduler, ImmediateScheduler):
                            emitter.error(_cannot_wait(position, due - start))
                            return
                        timer.disposable = now_scheduler.schedule_absolute(due, run)
                        return
                    position += 1
                    if not emitter.next(text):
                        return
                emitter.completed()

        with lock:
            timer.disposable = sched.schedule(run)

        def dispose() -> None:
            emitter.stop()
            timer.dispose()

        return Disposable(dispose)

    return Observable(subscribe)


def _cannot_wait(position: int, after: timedelta) -> UsageError:
    return UsageError(
        f"replay() cannot wait on an ImmediateScheduler: delta #{position} is due "
        f"{after.total_seconds():g} s after subscription; use a "
        "CurrentThreadScheduler to wait on this thread, a TestScheduler for "
        "virtual time, or speed=math.inf to emit everything at once"
    )


def demo_recording_path() -> Path:
    """Path of the recipes recording bundled with rxstruct (for demos, notebooks)."""
    return Path(__file__).resolve().parent.parent / "_data" / "recipes.jsonl"
