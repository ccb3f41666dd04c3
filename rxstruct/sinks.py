"""Sinks: consume an Observable as a (blocking) iterator or an async iterator.

The bridges from push to pull. Each subscribes when iteration starts and
disposes the subscription the moment iteration stops: the loop ends, ``break``,
an exception (``KeyboardInterrupt`` included) or the iterator is closed (for
async iteration: inside ``contextlib.aclosing``). For a
source that holds a request (``rxstruct.sources``, a structured stream's
views), disposing closes the HTTP response, so breaking out of the loop stops
the tokens at once.

Slow consumers: values wait in a buffer of ``maxsize``. When it is full, a
producer on another thread waits for room (nothing is lost; the wait reaches
the server as TCP backpressure). A producer on the consuming thread or event
loop cannot wait without blocking its own consumer, so its values are queued
past ``maxsize``. ``latest=True`` is the policy for UIs: only the newest
undelivered value is kept, older ones are dropped, nobody waits.

Example:
    >>> import reactivex as rx
    >>> from rxstruct.sinks import to_iterator
    >>> for value in to_iterator(rx.of(1, 2, 3)):
    ...     print(value)
    1
    2
    3
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import AsyncGenerator, Generator
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from reactivex import Observable

from .exceptions import UsageError

__all__ = ["to_async_iterator", "to_iterator"]

_T = TypeVar("_T")


def _check(maxsize: int) -> None:
    if not (isinstance(maxsize, int) and maxsize > 0):
        raise UsageError(f"maxsize must be a positive int, got {maxsize!r}")


def to_iterator(
    source: Observable[_T], *, maxsize: int = 256, latest: bool = False
) -> Generator[_T, None, None]:
    """Iterate over an Observable's values, blocking while waiting for the next.

    The subscription is made at the first ``next()``; the source's error is
    raised from the loop after the values that preceded it. Leaving the loop
    early (``break``, an exception, ``close()``) disposes the subscription.
    The source's callbacks run where the source emits (for a sync OpenAI
    source, its reader thread); the loop body runs in the iterating thread.

    Args:
        source: Any Observable.
        maxsize: How many values may wait for the loop (see the module
            documentation for who waits when it is full).
        latest: Keep only the newest waiting value (for a UI that redraws).

    Returns:
        A generator; ``close()`` it, or leave the loop, to unsubscribe.

    Raises:
        UsageError: ``maxsize`` is not a positive int (raised at once).

    Example:
        >>> import reactivex as rx
        >>> from reactivex import operators as ops
        >>> numbers = rx.interval(0.001).pipe(ops.take(1000))
        >>> for n in to_iterator(numbers):
        ...     if n == 2:
        ...         break  # the interval is disposed here
        ...     print(n)
        0
        1
    """
    _check(maxsize)
    return _iterate(source, maxsize, latest)


def _iterate(
    source: Observable[_T], maxsize: int, latest: bool
) -> Generator[_T, None, None]:
    ready = threading.Condition()
    values: deque[_T] = deque()
    ended = False
    error: Exception | None = None
    closed = False
    consumer = threading.get_ident()

    def on_next(value: _T) -> None:
        with ready:
            if closed:
                return
            if latest:
                values.clear()
            elif threading.get_ident() != consumer:
                while len(values) >= maxsize and not closed:
                    ready.wait()
            values.append(value)
            ready.notify_all()

    def on_error(exc: Exception) -> None:
        nonlocal ended, error
        with ready:
            ended, error = True, exc
            ready.notify_all()

    def on_completed() -> None:
        nonlocal ended
        with ready:
            ended = True
            ready.notify_all()

    subscription = source.subscribe(on_next, on_error, on_completed)
    try:
        while True:
            with ready:
                while not values and not ended:
                    ready.wait()
                if values:
                    value = values.popleft()
                    ready.notify_all()
                elif error is not None:
                    raise error
                else:
                    return
            yield value
    finally:
        with ready:
            closed = True
            ready.notify_all()
        subscription.dispose()


def to_async_iterator(
    source: Observable[_T], *, maxsize: int = 256, latest: bool = False
) -> AsyncGenerator[_T, None]:
    """Iterate over an Observable's values with ``async for`` (asyncio or trio).

    Values cross into the iterating task through an anyio memory object
    stream, so the loop body always runs in the caller's task, whichever
    thread the source emits on. The subscription is made at the first
    ``__anext__``; the source's error is raised from the loop after the values
    that preceded it. Python closes an async generator left early (``break``,
    an exception or a cancellation in the loop body) only when it is garbage
    collected, so iterate inside ``contextlib.aclosing(...)`` as in the
    example: leaving that block disposes the subscription at once.

    Args:
        source: Any Observable.
        maxsize: How many values may wait (see the module documentation).
        latest: Keep only the newest waiting value.

    Returns:
        An async generator; ``await it.aclose()`` to unsubscribe.

    Raises:
        UsageError: ``maxsize`` is not a positive int (raised at once).

    Example:
        >>> import anyio, contextlib
        >>> import reactivex as rx
        >>> async def main() -> None:
        ...     values = to_async_iterator(rx.of("a", "b", "c"))
        ...     async with contextlib.aclosing(values):
        ...         async for value in values:
        ...             print(value)
        >>> anyio.run(main)
        a
        b
        c
    """
    _check(maxsize)
    return _aiterate(source, maxsize, latest)


async def _aiterate(
    source: Observable[_T], maxsize: int, latest: bool
) -> AsyncGenerator[_T, None]:
    # Unbounded on the loop's side: a producer on the loop cannot wait, so the
    # bound is applied to producers on other threads below.
    send, receive = anyio.create_memory_object_stream[Any](max_buffer_size=math.inf)
    loop_thread = threading.get_ident()
    token = anyio.lowlevel.current_token()
    room = threading.Semaphore(maxsize)
    state = {"closed": False}

    def deliver(item: Any) -> None:  # on the loop thread
        if state["closed"]:
            return
        if latest and not isinstance(item, _End):
            while True:
                try:
                    dropped = receive.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
                if isinstance(dropped, _End):  # never drop the end
                    send.send_nowait(dropped)
                    break
        try:
            send.send_nowait(item)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass

    def push(item: Any) -> None:
        if threading.get_ident() == loop_thread:
            deliver(item)
            return
        if not latest and not isinstance(item, _End):
            while not room.acquire(timeout=0.1):  # wait for room, unless closed
                if state["closed"]:
                    return
            item = _Counted(item)  # releases its room when consumed
        try:
            anyio.from_thread.run_sync(deliver, item, token=token)
        except RuntimeError:
            pass  # the loop is gone: nobody is iterating any more

    subscription = source.subscribe(
        push,
        lambda exc: push(_End(exc)),
        lambda: push(_End(None)),
    )
    try:
        async with receive:
            async for item in receive:
                if isinstance(item, _End):
                    if item.error is not None:
                        raise item.error
                    return
                if isinstance(item, _Counted):
                    room.release()
                    item = item.value
                yield item
    finally:
        state["closed"] = True
        subscription.dispose()
        send.close()


class _Counted:
    """A value from another thread, holding one place of the bounded buffer."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _End:
    """The end of the source, through the same stream as the values."""

    __slots__ = ("error",)

    def __init__(self, error: Exception | None) -> None:
        self.error = error
