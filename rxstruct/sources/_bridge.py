"""Iterables as observables: the bridge every rxstruct source stands on.

Two public functions turn a stream that is read by iterating into a cold
``Observable``:

- :func:`from_async_iterable`: an async iterable (an ``openai.AsyncStream``, an
  async generator), read by a task on an asyncio event loop;
- :func:`from_blocking_iterable`: an iterable whose ``next()`` blocks (an
  ``openai.Stream``, a socket reader), read on a thread of its own.

They share these rules:

- **Cold.** Give a factory (a function returning the iterable, or a coroutine
  function): every subscription calls it and reads a fresh stream. A plain
  iterable is read by every subscription, which suits only those that can be
  iterated more than once.
- **Notifications** are serialized, at most one of ``on_error`` /
  ``on_completed`` is sent, and nothing after it or after disposal.
- **Cancellation.** Disposing the subscription stops the reading and closes
  the iterator (``close()`` / ``aclose()``) and then the iterable, if they
  have those methods: an HTTP stream's connection is closed at once, and the
  server stops sending. How prompt that is for each kind is said in each
  function.
- **Stalls.** With ``stall_timeout``, a stream that yields nothing for that
  many seconds is closed and :class:`~rxstruct.StreamStalledError` is sent to
  ``on_error``. Time the subscriber spends in ``on_next`` does not count. The
  timer runs on the scheduler given to ``subscribe`` (a ``TestScheduler``
  makes stalls a matter of virtual time), unless that one can only wait by
  blocking its thread (``ImmediateScheduler``, ``CurrentThreadScheduler``);
  by default on a ``TimeoutScheduler`` (blocking reader) or on the event loop
  (async reader).
- **Errors in the stream** (the factory or the iteration raising) go to
  ``on_error`` as they are. An exception raised by the subscriber's
  ``on_next`` goes to ``on_error`` too, as in ``reactivex`` sources. An
  exception raised by the subscriber's ``on_error`` or ``on_completed`` has
  nowhere left to go in the stream, so it is raised where it happened: to the
  caller of ``subscribe`` when the reading runs on the caller's thread (e.g.
  ``scheduler=CurrentThreadScheduler()``), through ``threading.excepthook``
  on a reader or timer thread, and to the event loop's exception handler for
  an async reader. It is never dropped.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from typing import Any, Generic, TypeVar

import anyio
from reactivex import Observable, abc
from reactivex.disposable import CompositeDisposable, Disposable
from reactivex.scheduler import (
    ImmediateScheduler,
    NewThreadScheduler,
    TimeoutScheduler,
    TrampolineScheduler,
)
from reactivex.scheduler.eventloop import AsyncIOScheduler

from ..exceptions import StreamStalledError, UsageError
from ._emitter import Emitter, Watchdog

__all__ = ["from_async_iterable", "from_blocking_iterable"]

_T = TypeVar("_T")

AsyncSource = (
    AsyncIterable[_T] | Callable[[], AsyncIterable[_T] | Awaitable[AsyncIterable[_T]]]
)
BlockingSource = Iterable[_T] | Callable[[], Iterable[_T]]


def _hand_over(emitter: Emitter[_T], watchdog: Watchdog | None, item: _T) -> bool:
    """Send ``item``, the stall clock held meanwhile; ``False`` once ended."""
    if watchdog is None:
        return emitter.next(item)
    watchdog.busy()
    if not emitter.next(item):
        return False
    watchdog.touch()
    return True


def _end(emitter: Emitter[Any], failure: Exception | None) -> None:
    if failure is not None:
        emitter.error(failure)
    else:
        emitter.completed()


def _stalled(timeout: float, items: int) -> StreamStalledError:
    return StreamStalledError(
        f"nothing arrived for {timeout:g} s (after {items} items); "
        "the stream was closed",
        timeout=timeout,
        chunks=items,
    )


def _check_timeout(stall_timeout: float | None) -> None:
    if stall_timeout is not None and not stall_timeout > 0:
        raise UsageError(f"stall_timeout must be positive, got {stall_timeout!r}")


def _timer_scheduler(
    scheduler_: abc.SchedulerBase | None,
) -> abc.SchedulerBase | None:
    """The subscription's scheduler, if it can run a timer without blocking."""
    if isinstance(scheduler_, ImmediateScheduler | TrampolineScheduler):
        return None  # they wait by sleeping on the caller's thread
    return scheduler_


# --- blocking iterables: a thread per stream ------------------------------------


class _Reading(Generic[_T]):
    """The iterable being read, so another thread can interrupt it.

    ``interrupt`` is only called while the reader holds the iterable, and
    under the same lock the reader takes to let it go, so an iterable that was
    closed (a connection back in its pool) is never touched.
    """

    def __init__(self, interrupt: Callable[[Iterable[_T]], object] | None) -> None:
        self._interrupt = interrupt
        self._lock = threading.Lock()
        self._iterable: Iterable[_T] | None = None
        self._cut = False

    def attach(self, iterable: Iterable[_T]) -> bool:
        """Hold ``iterable``; ``False`` if the stream was cut meanwhile."""
        with self._lock:
            self._iterable = iterable
            return not self._cut

    def detach(self) -> None:
        with self._lock:
            self._iterable = None

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            iterable, self._iterable = self._iterable, None
            if iterable is not None and self._interrupt is not None:
                try:
                    self._interrupt(iterable)
                except Exception:  # the stream is broken already: nothing to wake
                    pass


def _close_blocking(iterator: object, iterable: object) -> None:
    for closable in (iterator, iterable) if iterator is not iterable else (iterable,):
        close = getattr(closable, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # a broken stream has nothing left to release
                pass


def from_blocking_iterable(
    source: BlockingSource[_T],
    *,
    stall_timeout: float | None = None,
    interrupt: Callable[[Iterable[_T]], object] | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[_T]:
    """An observable of the items of an iterable whose ``next()`` blocks.

    Each subscription calls ``source`` (if it is a factory) and iterates the
    result on the ``scheduler``'s thread, never on the subscriber's scheduler,
    since the reading holds its thread for the whole stream. Notifications
    arrive on that thread (a stall error on the timer's).

    Cancellation: disposing stops the emissions at once, calls
    ``interrupt(iterable)`` from the disposing thread (to wake a ``next()``
    blocked on a socket: closing a socket from another thread often does not)
    and closes the iterator and then the iterable as soon as the reader is
    out of ``next()``. Without ``interrupt``, a blocked ``next()`` returns
    first. See the module documentation for stalls and errors.

    .. code-block:: text

        iterable:  'a' --- 'b' --- 'c' --- StopIteration
                   [      from_blocking_iterable(...)   ]
        out:       'a' --- 'b' --- 'c' ---|

    Args:
        source: An iterable, or a function returning a fresh one per
            subscription.
        stall_timeout: Seconds without an item (counted from subscription for
            the first) after which the stream is cut, closed and
            :class:`~rxstruct.StreamStalledError` sent. ``None``: no limit.
        interrupt: Called with the iterable, from another thread, when the
            subscription is disposed or stalls while the reader holds it.
        scheduler: Where the reading runs; default: a new thread per
            subscription.

    Returns:
        A cold observable of the items, one iteration per subscription.

    Raises:
        UsageError: ``stall_timeout`` is not positive (raised at once).

    Example:
        >>> from reactivex import operators as ops
        >>> from rxstruct.sources import from_blocking_iterable
        >>> def lines():
        ...     yield from ["one", "two"]
        >>> from_blocking_iterable(lines).pipe(ops.to_list()).run()
        ['one', 'two']
    """
    _check_timeout(stall_timeout)

    def subscribe(
        observer: abc.ObserverBase[_T],
        scheduler_: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        emitter = Emitter(observer)
        reading: _Reading[_T] = _Reading(interrupt)
        watchdog: Watchdog | None = None
        items = 0

        def on_stall() -> None:
            assert stall_timeout is not None
            try:  # the error first, so that it wins over the cut stream's
                emitter.error(_stalled(stall_timeout, items))
            finally:
                reading.cut()

        def read(_: abc.SchedulerBase, __: Any = None) -> None:
            nonlocal items
            iterable: Iterable[_T] | None = None
            iterator: Iterator[_T] | None = None
            failure: Exception | None = None
            try:
                try:
                    iterable = source() if callable(source) else source
                    if not reading.attach(iterable):
                        return
                    iterator = iter(iterable)
                except Exception as exc:  # the factory failed
                    failure = exc
                while iterator is not None and not emitter.stopped:
                    try:
                        item = next(iterator)
                    except StopIteration:
                        break
                    except Exception as exc:  # the stream failed
                        failure = exc
                        break
                    items += 1
                    # Not inside an except: what the subscriber's handlers raise
                    # propagates to this thread (or the caller), never rerouted.
                    if not _hand_over(emitter, watchdog, item):
                        return
            finally:
                if watchdog is not None:
                    watchdog.stop()
                reading.detach()
                if iterable is not None:
                    _close_blocking(iterator, iterable)
            _end(emitter, failure)

        if stall_timeout is not None:
            timers = _timer_scheduler(scheduler_) or TimeoutScheduler.singleton()
            watchdog = Watchdog(stall_timeout, timers, on_stall)
        work = (scheduler or NewThreadScheduler()).schedule(read)

        def dispose() -> None:
            emitter.stop()
            if watchdog is not None:
                watchdog.stop()
            reading.cut()

        return CompositeDisposable(work, Disposable(dispose))

    return Observable(subscribe)


# --- async iterables: a task on an event loop -----------------------------------

#: Running readers, so that they are not garbage-collected mid-stream.
_RUNNING: set[asyncio.Task[None]] = set()


async def _open_async(source: AsyncSource[_T]) -> AsyncIterable[_T]:
    if isinstance(source, AsyncIterable):
        return source
    opened = source()
    if inspect.isawaitable(opened):
        return await opened
    return opened


async def _close_async(iterator: object, iterable: object) -> None:
    with anyio.CancelScope(shield=True):
        for closable in (
            (iterator, iterable) if iterator is not iterable else (iterable,)
        ):
            close = getattr(closable, "aclose", None) or getattr(
                closable, "close", None
            )
            if not callable(close):
                continue
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a broken stream has nothing left to release
                pass


def _report(loop: asyncio.AbstractEventLoop, exc: Exception, task: object) -> None:
    loop.call_exception_handler(
        {
            "message": "a subscriber's on_error / on_completed raised",
            "exception": exc,
            "task": task,
        }
    )


def from_async_iterable(
    source: AsyncSource[_T],
    *,
    stall_timeout: float | None = None,
    scheduler: abc.SchedulerBase | None = None,
) -> Observable[_T]:
    """An observable of the items of an async iterable, read on an event loop.

    Each subscription opens ``source`` (calls it if it is a factory, awaits
    the result if it is awaitable) and iterates it in a task on an asyncio
    event loop: the loop of ``scheduler`` (an ``AsyncIOScheduler``), else of
    the subscription's scheduler, else the loop running where ``subscribe`` is
    called. There is no private loop: an async HTTP client's connections
    belong to one loop. Notifications arrive on that loop. Without a loop,
    ``on_error`` gets a :class:`~rxstruct.UsageError`. To subscribe from
    another thread, name the loop with an ``AsyncIOThreadSafeScheduler``.

    Cancellation: disposing (from any thread) stops the emissions at once and
    cancels the task; the task closes the iterator (``aclose()``) and then
    the iterable (``aclose()`` or ``close()``) before it ends, shielded from
    further cancellation. See the module documentation for stalls and errors.

    .. code-block:: text

        iterable:  'a' --- 'b' --- 'c' --- StopAsyncIteration
                   [       from_async_iterable(...)          ]
        out:       'a' --- 'b' --- 'c' ---|

    Args:
        source: An async iterable, or a function returning one (or a
            coroutine function returning one), called per subscription.
        stall_timeout: Seconds without an item (counted from the start of the
            task for the first) after which the task is cancelled, the stream
            closed and :class:`~rxstruct.StreamStalledError` sent. ``None``:
            no limit.
        scheduler: An ``AsyncIOScheduler`` naming the loop; default: see
            above.

    Returns:
        A cold observable of the items, one iteration per subscription.

    Raises:
        UsageError: ``stall_timeout`` is not positive (raised at once).

    Example:
        >>> import asyncio
        >>> from rxstruct.sources import from_async_iterable
        >>> async def words():
        ...     for word in ["one", "two"]:
        ...         yield word
        >>> async def main():
        ...     done = asyncio.Event()
        ...     from_async_iterable(words).subscribe(
        ...         print, on_completed=done.set)
        ...     await done.wait()
        >>> asyncio.run(main())
        one
        two
    """
    _check_timeout(stall_timeout)

    def subscribe(
        observer: abc.ObserverBase[_T],
        scheduler_: abc.SchedulerBase | None = None,
    ) -> abc.DisposableBase:
        emitter = Emitter(observer)
        task: asyncio.Task[None] | None = None
        loop: asyncio.AbstractEventLoop | None = None
        cancelled = False

        async def read(timers: abc.SchedulerBase | None) -> None:
            iterable: AsyncIterable[_T] | None = None
            iterator: AsyncIterator[_T] | None = None
            failure: Exception | None = None
            items = 0
            watchdog: Watchdog | None = None
            if stall_timeout is not None:
                running = asyncio.get_running_loop()
                watchdog = Watchdog(
                    stall_timeout,
                    timers or AsyncIOScheduler(running),
                    lambda: on_stall(items),
                )
            try:
                try:
                    iterable = await _open_async(source)
                    iterator = aiter(iterable)
                except Exception as exc:  # the factory failed
                    failure = exc
                while iterator is not None and not emitter.stopped:
                    try:
                        item = await anext(iterator)
                    except StopAsyncIteration:
                        break
                    except Exception as exc:  # the stream failed
                        failure = exc
                        break
                    items += 1
                    try:
                        if not _hand_over(emitter, watchdog, item):
                            return
                    except Exception as exc:  # the subscriber's on_error raised
                        _report(asyncio.get_running_loop(), exc, task)
                        return
            finally:
                if watchdog is not None:
                    watchdog.stop()
                if iterable is not None:
                    await _close_async(iterator, iterable)
            try:
                _end(emitter, failure)
            except Exception as exc:  # the subscriber's own handler raised
                _report(asyncio.get_running_loop(), exc, task)

        def on_stall(items: int) -> None:
            assert stall_timeout is not None
            try:  # the error first, so that it wins over the cancelled stream's
                emitter.error(_stalled(stall_timeout, items))
            finally:
                cancel()

        def start(timers: abc.SchedulerBase | None) -> None:
            nonlocal task, loop
            if cancelled or emitter.stopped:
                return
            loop = asyncio.get_running_loop()
            task = loop.create_task(read(timers))
            _RUNNING.add(task)
            task.add_done_callback(_RUNNING.discard)

        def cancel() -> None:
            nonlocal cancelled
            cancelled = True
            if task is None or loop is None or task.done():
                return
            try:
                on_loop = asyncio.get_running_loop() is loop
            except RuntimeError:
                on_loop = False
            if on_loop:
                task.cancel()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(task.cancel)

        def dispose() -> None:
            emitter.stop()
            cancel()

        named = next(
            (s for s in (scheduler, scheduler_) if isinstance(s, AsyncIOScheduler)),
            None,
        )
        timers = _timer_scheduler(scheduler_)
        if named is not None:

            def start_on_loop(_: abc.SchedulerBase, __: Any = None) -> None:
                start(timers)

            return CompositeDisposable(
                named.schedule(start_on_loop), Disposable(dispose)
            )
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            emitter.error(
                UsageError(
                    "an async iterable needs an asyncio event loop to be read: "
                    "subscribe inside a coroutine, or pass "
                    "scheduler=AsyncIOScheduler(loop)"
                )
            )
            return Disposable()
        start(timers)
        return Disposable(dispose)

    return Observable(subscribe)
