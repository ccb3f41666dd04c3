"""The two pieces every source shares: an emitter and a stall watchdog.

:class:`Emitter` serializes the notifications of one subscription and sends at
most one end; :class:`Watchdog` notices a stream that stopped moving, on any
scheduler (a ``TestScheduler`` for virtual time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar

from reactivex import abc
from reactivex.disposable import SerialDisposable

__all__ = ["Emitter", "Watchdog"]

_T = TypeVar("_T")


class Emitter(Generic[_T]):
    """The notifications of one subscription: serialized, nothing after the end.

    The reader and the stall timer may both want to end the stream; the first
    wins. An exception from the observer's ``on_next`` ends the stream through
    its ``on_error``; one from ``on_error`` or ``on_completed`` propagates to
    whoever called :meth:`next`, :meth:`error` or :meth:`completed`.

    Example:
        >>> from reactivex import Observer
        >>> seen = []
        >>> observer = Observer(seen.append, on_completed=lambda: seen.append("|"))
        >>> emitter = Emitter(observer)
        >>> emitter.next("a"), emitter.completed(), emitter.next("b")
        (True, None, False)
        >>> seen
        ['a', '|']
    """

    __slots__ = ("_lock", "_observer", "stopped")

    def __init__(self, observer: abc.ObserverBase[_T]) -> None:
        self._observer = observer
        self._lock = threading.RLock()
        self.stopped = False
        """No notification may follow: the stream ended or was disposed. Set
        without the lock by :meth:`stop`, so that disposing never waits for a
        slow ``on_next``."""

    def next(self, value: _T) -> bool:
        """Send ``value``; ``False`` if the stream has ended (now or before)."""
        with self._lock:
            if self.stopped:
                return False
            try:
                self._observer.on_next(value)
            except Exception as exc:
                self.stopped = True
                failure = exc
            else:
                return not self.stopped
        self._observer.on_error(failure)
        return False

    def error(self, error: Exception) -> None:
        """End the stream with ``error``, unless it has ended."""
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
        self._observer.on_error(error)

    def completed(self) -> None:
        """End the stream with completion, unless it has ended."""
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
        self._observer.on_completed()

    def stop(self) -> None:
        """Send nothing more (the subscription was disposed)."""
        self.stopped = True


class Watchdog:
    """Calls ``on_stall`` once, when nothing happened for ``timeout`` seconds.

    The reader calls :meth:`busy` before handing an item to the subscriber and
    :meth:`touch` after: the clock restarts only then, so a slow subscriber is
    no stall. One timer per timeout period, not one per item: on expiry it
    re-arms for whatever time is left. Arming happens under a lock, so a timer
    that fires at once on another thread cannot be overwritten by the one
    that armed it.
    """

    def __init__(
        self,
        timeout: float,
        scheduler: abc.SchedulerBase,
        on_stall: Callable[[], None],
    ) -> None:
        self._timeout = timedelta(seconds=timeout)
        self._scheduler = scheduler
        self._on_stall = on_stall
        self._lock = threading.RLock()
        self._timer = SerialDisposable()
        self._busy = False
        self._stopped = False
        self._deadline = scheduler.now + self._timeout
        self._arm(self._timeout)

    def busy(self) -> None:
        """An item is being handed over: the subscriber's time does not count."""
        with self._lock:
            self._busy = True

    def touch(self) -> None:
        """The subscriber is done with the item: the clock restarts now."""
        with self._lock:
            self._busy = False
            self._deadline = self._scheduler.now + self._timeout

    def stop(self) -> None:
        """Never call ``on_stall``: the stream ended or was disposed."""
        with self._lock:
            self._stopped = True
        self._timer.dispose()  # also disposes any timer armed after this

    def _arm(self, delay: timedelta) -> None:
        with self._lock:
            if not self._stopped:
                self._timer.disposable = self._scheduler.schedule_relative(
                    delay, self._check
                )

    def _check(self, scheduler: abc.SchedulerBase, _: Any = None) -> None:
        with self._lock:
            if self._stopped:
                return
            left = self._timeout if self._busy else self._deadline - scheduler.now
            if left > timedelta(0):
                self._arm(left)
                return
            self._stopped = True
        self._on_stall()
