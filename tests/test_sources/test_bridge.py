"""The iterable bridges: blocking iterables on a thread, async ones on a loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import anyio
import pytest
from reactivex import abc
from reactivex import operators as ops
from reactivex.scheduler import (
    CurrentThreadScheduler,
    ImmediateScheduler,
    NewThreadScheduler,
)
from reactivex.scheduler.eventloop import AsyncIOThreadSafeScheduler
from reactivex.testing import TestScheduler

import rxstruct as rs
from rxstruct.sources import from_async_iterable, from_blocking_iterable
from tests.helpers import (
    WAIT,
    Outcome,
    collect,
    loop_errors,
    subscribe,
    thread_errors,
)


class Boom(Exception):
    """The subscriber's own failure."""


def boom(*_: Any) -> None:
    raise Boom("the subscriber failed")


class Blocking:
    """A generator factory that blocks after its items until released."""

    def __init__(self, items: list[str], *, then_block: bool = True) -> None:
        self.items = items
        self.then_block = then_block
        self.calls = 0
        self.waiting = threading.Event()  # blocked after the last item
        self.release = threading.Event()
        self.closed = threading.Event()
        self.interrupted: list[Iterable[str]] = []

    def __call__(self) -> Iterator[str]:
        self.calls += 1
        return self._lines()

    def _lines(self) -> Iterator[str]:
        try:
            yield from self.items
            if self.then_block:
                self.waiting.set()
                assert self.release.wait(WAIT)
        finally:
            self.closed.set()

    def interrupt(self, iterable: Iterable[str]) -> None:
        self.interrupted.append(iterable)
        self.release.set()


class TestBlockingIterable:
    def test_items_then_completion_on_a_reader_thread(self) -> None:
        threads: set[int] = set()
        source = Blocking(["a", "b", "c"], then_block=False)
        outcome = collect(
            from_blocking_iterable(source).pipe(
                ops.do_action(lambda _: threads.add(threading.get_ident()))
            )
        )
        assert outcome.values == ["a", "b", "c"] and outcome.completed
        assert threading.get_ident() not in threads
        assert source.closed.is_set()

    def test_each_subscription_calls_the_factory(self) -> None:
        source = Blocking(["a"], then_block=False)
        tokens = from_blocking_iterable(source)
        assert collect(tokens).values == collect(tokens).values == ["a"]
        assert source.calls == 2

    def test_a_plain_iterable_is_read_per_subscription(self) -> None:
        tokens = from_blocking_iterable(["a", "b"])
        assert collect(tokens).values == collect(tokens).values == ["a", "b"]

    def test_an_iteration_error_goes_to_on_error(self) -> None:
        def lines() -> Iterator[str]:
            yield "a"
            raise ValueError("the socket broke")

        outcome = collect(from_blocking_iterable(lines))
        assert outcome.values == ["a"]
        assert isinstance(outcome.error, ValueError)

    def test_an_on_next_error_goes_to_on_error_and_closes(self) -> None:
        source = Blocking(["a", "b"])
        outcome = Outcome()
        from_blocking_iterable(source).subscribe(boom, outcome.on_error)
        assert outcome.done.wait(WAIT)
        assert isinstance(outcome.error, Boom)
        assert source.closed.wait(WAIT)
        assert not source.waiting.is_set()  # no item was read after the error

    def test_dispose_interrupts_a_blocked_read_and_closes(self) -> None:
        source = Blocking(["a"])
        outcome, disposable = subscribe(
            from_blocking_iterable(source, interrupt=source.interrupt)
        )
        assert source.waiting.wait(WAIT)
        disposable.dispose()
        assert source.closed.wait(WAIT)
        assert len(source.interrupted) == 1
        assert outcome.values == ["a"] and not outcome.done.is_set()

    def test_stall_in_virtual_time(self) -> None:
        """No item for stall_timeout virtual seconds: cut, closed, an error."""
        timers = TestScheduler()
        source = Blocking(["a"])
        tokens = from_blocking_iterable(
            source, stall_timeout=5, interrupt=source.interrupt
        )
        outcome, _ = subscribe(tokens, scheduler=timers)
        assert source.waiting.wait(WAIT)  # the item was handed over: clock restarted
        timers.advance_by(4.9)
        assert not outcome.done.is_set()
        timers.advance_by(0.2)
        assert outcome.done.is_set()  # on this thread, inside advance_by
        error = outcome.error
        assert isinstance(error, rs.StreamStalledError)
        assert (error.timeout, error.chunks) == (5, 1)
        assert source.interrupted and source.closed.wait(WAIT)

    def test_time_in_on_next_is_no_stall(self) -> None:
        """A subscriber that takes twice the timeout per item does not stall."""
        timers = TestScheduler()
        outcome = Outcome()

        def slow(value: str) -> None:
            timers.advance_by(10)  # the watchdog's timer fires in here
            outcome.on_next(value)

        tokens = from_blocking_iterable(["a", "b", "c"], stall_timeout=5)
        tokens.subscribe(slow, outcome.on_error, outcome.on_completed, scheduler=timers)
        assert outcome.done.wait(WAIT)
        assert outcome.values == ["a", "b", "c"] and outcome.error is None

    def test_stall_timeout_must_be_positive(self) -> None:
        with pytest.raises(rs.UsageError, match="stall_timeout"):
            from_blocking_iterable([], stall_timeout=0)

    @pytest.mark.parametrize(
        "make_scheduler",
        [ImmediateScheduler, CurrentThreadScheduler, NewThreadScheduler],
        ids=lambda make: make.__name__,
    )
    def test_ten_thousand_items_on_any_scheduler(
        self, make_scheduler: Callable[[], abc.SchedulerBase]
    ) -> None:
        """One loop reads them all: no recursion per item (issue 11.2)."""
        tokens = from_blocking_iterable(range(10_000), scheduler=make_scheduler())
        outcome = collect(tokens)
        assert outcome.values == list(range(10_000)) and outcome.completed

    def test_ten_thousand_items_in_virtual_time(self) -> None:
        scheduler = TestScheduler()
        tokens = from_blocking_iterable(range(10_000), scheduler=scheduler)
        results = scheduler.start(lambda: tokens)
        assert len(results.messages) == 10_001
        assert results.messages[-1].value.kind == "C"

    def test_on_completed_raising_reaches_threading_excepthook(self) -> None:
        """On the reader thread, a failing on_completed is reported, not lost."""
        with thread_errors() as caught:
            from_blocking_iterable(["a"]).subscribe(on_completed=boom)
            errors = caught.wait_for(1)
        assert [type(error) for error in errors] == [Boom]

    def test_on_next_raising_without_on_error_reaches_excepthook(self) -> None:
        """No on_error: the default one raises again; reported, stream closed."""
        source = Blocking(["a", "b"])
        with thread_errors() as caught:
            from_blocking_iterable(source).subscribe(boom)
            errors = caught.wait_for(1)
        assert [type(error) for error in errors] == [Boom]
        assert source.closed.wait(WAIT)

    def test_on_error_raising_reaches_threading_excepthook(self) -> None:
        def lines() -> Iterator[str]:
            raise ValueError("the socket broke")
            yield  # a generator

        with thread_errors() as caught:
            from_blocking_iterable(lines).subscribe(on_error=boom)
            errors = caught.wait_for(1)
        assert [type(error) for error in errors] == [Boom]

    def test_on_completed_raising_reaches_the_caller_on_its_thread(self) -> None:
        tokens = from_blocking_iterable(["a"], scheduler=CurrentThreadScheduler())
        with pytest.raises(Boom):
            tokens.subscribe(on_completed=boom)


class AsyncSource:
    """An async generator factory that waits after its items until cancelled."""

    def __init__(self, items: list[str], *, then_wait: bool = True) -> None:
        self.items = items
        self.then_wait = then_wait
        self.calls = 0
        self.waiting = anyio.Event()
        self.closed = anyio.Event()

    def __call__(self) -> AsyncIterator[str]:
        self.calls += 1
        return self._lines()

    async def _lines(self) -> AsyncIterator[str]:
        try:
            for item in self.items:
                yield item
            if self.then_wait:
                self.waiting.set()
                await anyio.sleep_forever()
        finally:
            self.closed.set()


async def gather(
    source: Any, scheduler: Any = None, *, on_completed: Any = None
) -> Outcome:
    outcome = Outcome()
    finished = anyio.Event()

    def completed() -> None:
        outcome.on_completed()
        finished.set()
        if on_completed is not None:
            on_completed()

    source.subscribe(
        on_next=outcome.on_next,
        on_error=lambda e: (outcome.on_error(e), finished.set()),
        on_completed=completed,
        scheduler=scheduler,
    )
    with anyio.fail_after(WAIT):
        await finished.wait()
    return outcome


class TestAsyncIterable:
    pytestmark = pytest.mark.anyio

    async def test_items_then_completion_on_the_loop(self) -> None:
        threads: set[int] = set()
        source = AsyncSource(["a", "b"], then_wait=False)
        outcome = await gather(
            from_async_iterable(source).pipe(
                ops.do_action(lambda _: threads.add(threading.get_ident()))
            )
        )
        assert outcome.values == ["a", "b"] and outcome.completed
        assert threads == {threading.get_ident()}
        assert source.closed.is_set()

    async def test_a_coroutine_factory_is_awaited(self) -> None:
        source = AsyncSource(["a"], then_wait=False)

        async def open_stream() -> AsyncIterator[str]:
            await anyio.sleep(0)
            return source()

        tokens = from_async_iterable(open_stream)
        assert (await gather(tokens)).values == ["a"]
        assert (await gather(tokens)).values == ["a"]
        assert source.calls == 2

    async def test_an_iteration_error_goes_to_on_error(self) -> None:
        async def lines() -> AsyncIterator[str]:
            yield "a"
            raise ValueError("the socket broke")

        outcome = await gather(from_async_iterable(lines))
        assert outcome.values == ["a"] and isinstance(outcome.error, ValueError)

    async def test_dispose_cancels_the_task_and_closes(self) -> None:
        source = AsyncSource(["a"])
        outcome, disposable = subscribe(from_async_iterable(source))
        with anyio.fail_after(WAIT):
            await source.waiting.wait()
            disposable.dispose()
            await source.closed.wait()
        assert outcome.values == ["a"] and not outcome.done.is_set()

    async def test_dispose_from_another_thread(self) -> None:
        source = AsyncSource(["a"])
        outcome, disposable = subscribe(from_async_iterable(source))
        with anyio.fail_after(WAIT):
            await source.waiting.wait()
            await anyio.to_thread.run_sync(disposable.dispose)
            await source.closed.wait()
        assert not outcome.done.is_set()

    async def test_stall_in_virtual_time(self) -> None:
        timers = TestScheduler()
        source = AsyncSource(["a"])
        outcome, _ = subscribe(
            from_async_iterable(source, stall_timeout=5), scheduler=timers
        )
        with anyio.fail_after(WAIT):
            await source.waiting.wait()
            timers.advance_by(4.9)
            assert not outcome.done.is_set()
            timers.advance_by(0.2)
            await source.closed.wait()  # the task was cancelled, the stream closed
        error = outcome.error
        assert isinstance(error, rs.StreamStalledError)
        assert (error.timeout, error.chunks) == (5, 1)

    async def test_subscribed_from_another_thread_with_a_named_loop(self) -> None:
        """An AsyncIOThreadSafeScheduler names the loop for a foreign thread."""
        loop = asyncio.get_running_loop()
        threads: set[int] = set()
        source = AsyncSource(["a", "b"], then_wait=False)
        tokens = from_async_iterable(
            source, scheduler=AsyncIOThreadSafeScheduler(loop)
        ).pipe(ops.do_action(lambda _: threads.add(threading.get_ident())))
        outcome = Outcome()
        await anyio.to_thread.run_sync(
            lambda: tokens.subscribe(
                outcome.on_next, outcome.on_error, outcome.on_completed
            )
        )
        with anyio.fail_after(WAIT):
            await source.closed.wait()
        assert outcome.values == ["a", "b"] and outcome.completed
        assert threads == {threading.get_ident()}

    async def test_on_completed_raising_reaches_the_loop_handler(self) -> None:
        with loop_errors() as reported:
            source = AsyncSource(["a"], then_wait=False)
            outcome = await gather(from_async_iterable(source), on_completed=boom)
        assert outcome.completed
        assert [type(context["exception"]) for context in reported] == [Boom]

    async def test_on_next_raising_without_on_error_reaches_the_loop_handler(
        self,
    ) -> None:
        source = AsyncSource(["a", "b"])
        with loop_errors() as reported:
            from_async_iterable(source).subscribe(boom)
            with anyio.fail_after(WAIT):
                await source.closed.wait()
        assert [type(context["exception"]) for context in reported] == [Boom]
        assert not source.waiting.is_set()

    def test_without_a_loop_is_a_usage_error(self) -> None:
        outcome = collect(from_async_iterable(AsyncSource(["a"])))
        assert isinstance(outcome.error, rs.UsageError)
        assert "event loop" in str(outcome.error)
