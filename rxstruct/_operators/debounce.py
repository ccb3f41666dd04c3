"""Time-based operators: ``debounce_`` (leading and trailing rate limiting).

This is not reactivex's ``ops.debounce``. That one waits for a quiet period, so a
UI fed by a steady token stream would show nothing until the model pauses. Here
the first value goes out at once and then at most one value per interval, always
the latest, with the last value flushed on completion.

The operator is hand-written rather than composed: the window restarts on the
first value after a pause, and completion has to flush the held value at the
same virtual time, which ``throttle_first``, ``sample`` and ``debounce`` cannot
express between them.

Without a scheduler the timers follow the caller: inside a running asyncio
loop they run on that loop (``AsyncIOThreadSafeScheduler``: a source emitting
from another thread may still start a window), so an asyncio program sees
every emission on its loop's thread; outside any loop they run on
``TimeoutScheduler`` threads. Under trio reactivex has no scheduler, and
timer threads would call a trio program back on foreign threads, so the
subscription fails with a ``UsageError`` asking for an explicit scheduler.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, SerialDisposable
from reactivex.scheduler import TimeoutScheduler
from reactivex.scheduler.eventloop import AsyncIOThreadSafeScheduler

from ..exceptions import UsageError

__all__ = ["debounce_", "default_scheduler"]

_T = TypeVar("_T")


def _in_trio() -> bool:
    """Whether the caller runs inside trio (without importing trio)."""
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


def default_scheduler() -> abc.SchedulerBase:
    """The timers' scheduler when neither the argument nor the subscription gives one.

    The running asyncio loop, else ``TimeoutScheduler``.

    Raises:
        UsageError: The caller runs inside trio.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if _in_trio():
            raise UsageError(
                "debounce() has no default scheduler under trio (reactivex has "
                "none for trio, and timer threads would call trio code from "
                "foreign threads): pass one, e.g. debounce(interval, "
                "scheduler=TimeoutScheduler()) to accept timer threads, or run "
                "the pipeline under asyncio, where the loop is the default"
            ) from None
        return TimeoutScheduler.singleton()
    return AsyncIOThreadSafeScheduler(loop)


def debounce_(
    interval: float | timedelta,
    scheduler: abc.SchedulerBase | None = None,
) -> Callable[[Observable[_T]], Observable[_T]]:
    """Emit the first value at once, then at most the latest value per interval.

    A value that arrives while no window is open is emitted immediately and opens
    a window of ``interval``. Values arriving inside the window are held, only
    the latest is kept. When the window ends the held value is emitted and a new
    window opens; if nothing is held the window simply closes. On completion the
    held value is emitted at once and the pending timer is cancelled. On error
    the held value is emitted first and the error forwarded right after, at the
    same time: the last value is never lost, even when the stream breaks.

    Args:
        interval: Minimum time between two emissions, in seconds or as a
            ``timedelta``. Must be positive.
        scheduler: Scheduler for the window timers. Defaults to the scheduler
            given at subscription, then to :func:`default_scheduler`.

    Returns:
        An operator for ``Observable.pipe``.

    Raises:
        UsageError: ``interval`` is not positive.
    """
    seconds = interval.total_seconds() if isinstance(interval, timedelta) else interval
    if not seconds > 0:
        raise UsageError(f"debounce interval must be positive, got {interval!r}")

    def operator(source: Observable[_T]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T],
            scheduler_: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            _scheduler = scheduler or scheduler_ or default_scheduler()
            lock = threading.RLock()
            timer = SerialDisposable()
            window_open = False
            has_held = False
            held: _T | None = None

            def open_window() -> None:
                nonlocal window_open
                window_open = True
                timer.disposable = _scheduler.schedule_relative(interval, window_end)

            def take_held() -> _T:
                nonlocal has_held, held
                value = held
                has_held = False
                held = None  # do not keep the value alive longer than needed
                return cast(_T, value)  # has_held said it was set

            def window_end(_: abc.SchedulerBase, __: Any = None) -> None:
                nonlocal window_open
                with lock:
                    if not window_open:  # completed or errored meanwhile
                        return
                    if has_held:
                        observer.on_next(take_held())
                        open_window()
                    else:
                        window_open = False

            def on_next(value: _T) -> None:
                nonlocal has_held, held
                with lock:
                    if window_open:
                        held = value
                        has_held = True
                    else:
                        observer.on_next(value)
                        open_window()

            def flush_and_stop() -> None:
                """Close the window for good and send the held value, if any."""
                nonlocal window_open
                window_open = False
                timer.dispose()
                if has_held:
                    observer.on_next(take_held())

            def on_error(error: Exception) -> None:
                with lock:
                    flush_and_stop()
                    observer.on_error(error)

            def on_completed() -> None:
                with lock:
                    flush_and_stop()
                    observer.on_completed()

            subscription = source.subscribe(
                on_next, on_error, on_completed, scheduler=scheduler_
            )
            return CompositeDisposable(subscription, timer)

        return Observable(subscribe)

    return operator
