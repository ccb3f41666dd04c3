"""rxstruct.sinks: Observables as iterators and async iterators, closed on exit."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import anyio
import openai
import pytest
import reactivex
from reactivex import Observable, abc
from reactivex.disposable import Disposable

import rxstruct as rs
from rxstruct.sinks import to_async_iterator, to_iterator
from rxstruct.sources import from_chat_completion
from rxstruct.testing import ScriptedLLMServer, ScriptedReply


class Probe:
    """A source emitting ``count`` values from its own thread, recording all."""

    def __init__(self, count: int, *, error: Exception | None = None) -> None:
        self.count = count
        self.error = error
        self.disposed = threading.Event()
        self.emitted = 0
        self.finished = threading.Event()

    def observable(self) -> Observable[int]:
        def subscribe(
            observer: abc.ObserverBase[int], scheduler: Any = None
        ) -> abc.DisposableBase:
            def run() -> None:
                for n in range(self.count):
                    if self.disposed.is_set():
                        break
                    observer.on_next(n)
                    self.emitted += 1
                else:
                    if self.error is not None:
                        observer.on_error(self.error)
                    else:
                        observer.on_completed()
                self.finished.set()

            threading.Thread(target=run, daemon=True).start()
            return Disposable(self.disposed.set)

        return Observable(subscribe)


class TestToIterator:
    def test_values_in_order(self) -> None:
        assert list(to_iterator(Probe(100).observable())) == list(range(100))

    def test_a_synchronous_source_does_not_deadlock(self) -> None:
        """Values emitted on the iterating thread go past maxsize, never block."""
        values = to_iterator(reactivex.from_iterable(range(50)), maxsize=2)
        assert list(values) == list(range(50))

    def test_error_after_the_values(self) -> None:
        probe = Probe(3, error=rs.SourceError("boom"))
        got: list[int] = []
        with pytest.raises(rs.SourceError, match="boom"):
            for value in to_iterator(probe.observable()):
                got.append(value)
        assert got == [0, 1, 2]

    def test_break_disposes(self) -> None:
        probe = Probe(10_000)
        for value in to_iterator(probe.observable()):
            if value == 3:
                break
        assert probe.disposed.wait(1)

    def test_a_full_buffer_makes_the_producer_wait(self) -> None:
        """maxsize=2: a producer on another thread is at most 2 ahead."""
        probe = Probe(20)
        iterator = to_iterator(probe.observable(), maxsize=2)
        assert next(iterator) == 0
        time.sleep(0.2)
        assert probe.emitted <= 4  # the one taken, two waiting, one blocked
        assert list(iterator) == list(range(1, 20))

    def test_latest_keeps_the_newest(self) -> None:
        probe = Probe(500)
        iterator = to_iterator(probe.observable(), latest=True)
        first = next(iterator)
        assert probe.finished.wait(5)
        rest = list(iterator)
        assert rest == [499] or (first == 499 and rest == [])

    def test_maxsize_must_be_positive(self) -> None:
        with pytest.raises(rs.UsageError, match="maxsize"):
            to_iterator(reactivex.empty(), maxsize=0)

    def test_break_closes_an_http_source(self) -> None:
        """Over a real OpenAI source: break, and the server sees the hang-up."""
        reply = ScriptedReply(deltas=[f"{n}," for n in range(100)], delay=0.02)
        with ScriptedLLMServer([reply]) as server:
            with openai.OpenAI(
                base_url=server.base_url, api_key="local", max_retries=0
            ) as client:
                tokens = from_chat_completion(client, model="local", messages=[])
                for _ in to_iterator(tokens):
                    break
                request = server.requests[0]
                assert request.wait_finished(1.0) and request.client_disconnected


@pytest.mark.anyio
class TestToAsyncIterator:
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)

    async def test_values_from_the_loop_thread(self) -> None:
        values = to_async_iterator(reactivex.from_iterable(range(50)), maxsize=2)
        assert [value async for value in values] == list(range(50))

    async def test_values_from_another_thread_arrive_on_the_loop(self) -> None:
        probe = Probe(200)
        threads: set[int] = set()
        got = []
        async with contextlib.aclosing(
            to_async_iterator(probe.observable(), maxsize=4)
        ) as values:
            async for value in values:
                threads.add(threading.get_ident())
                got.append(value)
                assert probe.emitted - len(got) <= 6  # bounded
        assert got == list(range(200))
        assert threads == {threading.get_ident()}

    async def test_error_after_the_values(self) -> None:
        probe = Probe(3, error=rs.SourceError("boom"))
        got: list[int] = []
        with pytest.raises(rs.SourceError, match="boom"):
            async for value in to_async_iterator(probe.observable()):
                got.append(value)
        assert got == [0, 1, 2]

    async def test_aclose_after_break_disposes(self) -> None:
        probe = Probe(100_000)
        values = to_async_iterator(probe.observable())
        async with contextlib.aclosing(values):
            async for value in values:
                if value == 3:
                    break
        assert probe.disposed.is_set()

    async def test_cancellation_disposes(self) -> None:
        probe = Probe(100_000)
        with anyio.move_on_after(0.2):
            values = to_async_iterator(probe.observable(), latest=True)
            async with contextlib.aclosing(values):
                async for _ in values:
                    await anyio.sleep(0.01)
        assert probe.disposed.is_set()

    async def test_latest_keeps_the_newest(self) -> None:
        probe = Probe(300)
        values = to_async_iterator(probe.observable(), latest=True)
        async with contextlib.aclosing(values):
            first = await values.__anext__()
            with anyio.fail_after(5):
                while not probe.finished.is_set():
                    await anyio.sleep(0.01)
            rest = [value async for value in values]
        assert rest == [299] or (first == 299 and rest == [])
