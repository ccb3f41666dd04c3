"""Watching a stream that runs on other threads: what arrived, and errors raised.

Everything waits on events, never on the clock: :data:`WAIT` only bounds a
wait that a green test never reaches.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import reactivex
from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.testing import TestScheduler

import rxstruct as rs

WAIT = 10.0  # seconds; a guard against hanging, never reached when green


@dataclass
class Outcome:
    """Everything one subscription received."""

    values: list[Any] = field(default_factory=list)
    error: Exception | None = None
    completed: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    count: threading.Condition = field(default_factory=threading.Condition)

    def on_next(self, value: Any) -> None:
        with self.count:
            self.values.append(value)
            self.count.notify_all()

    def on_error(self, error: Exception) -> None:
        self.error = error
        self.done.set()

    def on_completed(self) -> None:
        self.completed = True
        self.done.set()

    def wait_for(self, n: int) -> None:
        """Block until ``n`` values arrived."""
        with self.count:
            assert self.count.wait_for(lambda: len(self.values) >= n, WAIT)


def subscribe(
    source: Observable[Any], scheduler: abc.SchedulerBase | None = None
) -> tuple[Outcome, abc.DisposableBase]:
    """Subscribe an :class:`Outcome` to ``source``."""
    outcome = Outcome()
    disposable = source.subscribe(
        on_next=outcome.on_next,
        on_error=outcome.on_error,
        on_completed=outcome.on_completed,
        scheduler=scheduler,
    )
    return outcome, disposable


def collect(
    source: Observable[Any], scheduler: abc.SchedulerBase | None = None
) -> Outcome:
    """Subscribe and wait for the end of the stream."""
    outcome, _ = subscribe(source, scheduler)
    assert outcome.done.wait(WAIT), "the stream did not end"
    return outcome


def check_raw_text_error(
    operator: Callable[[Observable[Any]], Observable[Any]],
    name: str,
    chunks: Sequence[str],
) -> None:
    """Text fed to ``operator`` without ``accumulate_json()``: one UsageError.

    The error names the fix, comes once, and nothing follows it (no value, no
    completion, not a bare ``AttributeError``).
    """
    errors: list[Exception] = []
    values: list[Any] = []
    completions: list[bool] = []
    reactivex.from_iterable(chunks).pipe(operator).subscribe(
        values.append, errors.append, lambda: completions.append(True)
    )
    assert values == [] and completions == []
    [error] = errors
    assert isinstance(error, rs.UsageError)
    assert str(error) == (
        f"{name}() expects JsonSnapshot, got str: "
        f"put rs.accumulate_json() before rs.{name}()"
    )


def check_late_view_error(
    view: Callable[[Observable[Any]], Observable[Any]], name: str, document: str
) -> None:
    """A view subscribed to a ``share()``d snapshot stream after it ended.

    It gets a UsageError naming the late subscription and the fix, not an
    empty stream (nor an error about the stream, which was fine).
    """
    snapshots = reactivex.of(document).pipe(rs.accumulate_json(), ops.share())
    snapshots.subscribe()  # a synchronous source runs and ends right here
    out: list[Any] = []
    errors: list[Exception] = []
    snapshots.pipe(view).subscribe(out.append, errors.append)
    assert out == []
    [error] = errors
    assert isinstance(error, rs.UsageError)
    message = str(error)
    assert message.startswith(f"{name}() received no snapshot")
    assert "after that stream had ended" in message
    assert "ops.replay()" in message


def published_views(
    view: Callable[[Observable[Any]], Observable[Any]], document: str
) -> tuple[list[Any], list[Any]]:
    """What two views of one ``publish()``ed snapshot stream received.

    Both are subscribed before ``connect()``: the fix the late-view error gives.
    """
    snapshots = reactivex.of(document).pipe(rs.accumulate_json(), ops.publish())
    first: list[Any] = []
    second: list[Any] = []
    snapshots.pipe(view).subscribe(first.append)
    snapshots.pipe(view).subscribe(second.append)
    snapshots.connect()
    return first, second


def advance_until(timers: TestScheduler, step: float, done: threading.Event) -> None:
    """Advance virtual time by ``step`` until ``done``: a stall timer fires.

    A reader thread restarts its stall clock just after ``on_next`` returns,
    which a test cannot observe; if that lands after an advance, the next
    advance fires the timer. Almost always the first one does.
    """
    for _ in range(1000):
        timers.advance_by(step)
        if done.wait(0.001):
            return
    raise AssertionError("the stall timer never fired")


class ThreadErrors:
    """Exceptions that reached ``threading.excepthook``."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self._arrived = threading.Condition()

    def hook(self, args: threading.ExceptHookArgs) -> None:
        with self._arrived:
            if args.exc_value is not None:
                self.errors.append(args.exc_value)
            self._arrived.notify_all()

    def wait_for(self, n: int) -> list[BaseException]:
        """Block until ``n`` exceptions arrived; return them."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.errors) >= n, WAIT)
            return list(self.errors)


@contextmanager
def thread_errors() -> Iterator[ThreadErrors]:
    """Catch what reaches ``threading.excepthook`` inside the block."""
    caught = ThreadErrors()
    previous = threading.excepthook
    threading.excepthook = caught.hook
    try:
        yield caught
    finally:
        threading.excepthook = previous


@contextmanager
def loop_errors() -> Iterator[list[dict[str, Any]]]:
    """What reaches the running event loop's exception handler inside the block."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        yield reported
    finally:
        loop.set_exception_handler(previous)
