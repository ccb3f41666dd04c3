"""OpenAI sources, end to end: the real SDK over real HTTP to a local server."""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import openai
import pytest
from pydantic import BaseModel
from reactivex import Observable
from reactivex import operators as ops
from reactivex.scheduler import CurrentThreadScheduler
from reactivex.scheduler.eventloop import AsyncIOScheduler
from reactivex.testing import TestScheduler

import rxstruct as rs
from rxstruct.sources import (
    StreamEnded,
    from_chat_completion,
    from_responses,
    from_tool_call_arguments,
    load_recording,
)
from rxstruct.testing import ScriptedDelta, ScriptedLLMServer, ScriptedReply
from tests.helpers import (
    FIXTURES,
    WAIT,
    Outcome,
    advance_until,
    collect,
    loop_errors,
    subscribe,
    thread_errors,
)

MESSAGES = [{"role": "user", "content": "Extract the user as JSON."}]
USER = ['{"na', 'me": "Ja', 'son", "age"', ": 1", "2}"]


@contextmanager
def serve(
    script: list[Any], *, speed: float = 1.0
) -> Iterator[tuple[ScriptedLLMServer, openai.OpenAI]]:
    with ScriptedLLMServer(script, speed=speed) as server:
        with openai.OpenAI(
            base_url=server.base_url, api_key="local", max_retries=0
        ) as client:
            yield server, client


@asynccontextmanager
async def aserve(
    script: list[Any],
) -> AsyncIterator[tuple[ScriptedLLMServer, openai.AsyncOpenAI]]:
    with ScriptedLLMServer(script) as server:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="local", max_retries=0
        ) as client:
            yield server, client


class TestChatCompletion:
    def test_deltas_equal_the_script(self) -> None:
        """The observable emits exactly the scripted content deltas, then ends."""
        with serve([USER]) as (_, client):
            outcome = collect(
                from_chat_completion(client, model="local", messages=MESSAGES)
            )
        assert outcome.values == USER
        assert outcome.completed and outcome.error is None

    def test_a_real_recording_decodes(self) -> None:
        """A recorded llama.cpp stream, replayed fast, decodes to its JSON."""
        recording = load_recording(FIXTURES / "recipes-3.jsonl")
        with ScriptedLLMServer.from_recording(recording, speed=1000) as server:
            with openai.OpenAI(base_url=server.base_url, api_key="local") as client:
                tokens = from_chat_completion(client, model="local", messages=MESSAGES)
                final = tokens.pipe(rs.accumulate_json()).run()
        assert final.done
        assert final.value == json.loads(recording.text)

    def test_request_is_forwarded_with_stream_forced(self) -> None:
        """create() kwargs reach the server; stream is always true."""
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": "user", "schema": {"type": "object"}},
        }
        with serve([USER]) as (server, client):
            collect(
                from_chat_completion(
                    client,
                    model="local",
                    messages=MESSAGES,
                    response_format=response_format,
                    temperature=0,
                )
            )
            body = server.requests[0].body
        assert body["stream"] is True
        assert body["messages"] == MESSAGES
        assert body["response_format"] == response_format
        assert body["temperature"] == 0

    def test_each_subscription_is_one_request(self) -> None:
        """Cold: two subscriptions, two requests; share() makes it one."""
        with serve([USER, USER, USER]) as (server, client):
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            collect(tokens)
            collect(tokens)
            assert len(server.requests) == 2
            shared = tokens.pipe(ops.publish())
            first, _ = subscribe(shared)
            second, _ = subscribe(shared)
            shared.connect()
            assert first.done.wait(WAIT) and second.done.wait(WAIT)
            assert first.values == second.values == USER
            assert len(server.requests) == 3

    def test_on_finish_gets_the_finish_reason_and_usage(self) -> None:
        """on_finish sees how the stream ended, before on_completed."""
        order: list[str] = []
        endings: list[StreamEnded] = []

        def on_finish(ended: StreamEnded) -> None:
            order.append("finish")
            endings.append(ended)

        with serve([USER]) as (_, client):
            tokens = from_chat_completion(
                client,
                model="local",
                messages=MESSAGES,
                stream_options={"include_usage": True},
                on_finish=on_finish,
            )
            outcome = collect(
                tokens.pipe(
                    ops.do_action(on_completed=lambda: order.append("completed"))
                )
            )
        assert outcome.completed
        assert order == ["finish", "completed"]
        (ended,) = endings
        assert ended.finish_reason == "stop" and not ended.truncated
        assert ended.deltas == len(USER)
        assert ended.model == "local"
        assert ended.response_id is not None and ended.response_id.startswith(
            "chatcmpl-"
        )
        assert ended.usage is not None and ended.usage.completion_tokens == len(USER)

    def test_truncated_stream_emits_everything_then_incomplete_json(self) -> None:
        """finish_reason "length": all deltas, completion, then the decoder objects."""
        recording = load_recording(FIXTURES / "movies-3.jsonl")
        assert recording.header["finish_reason"] == "length"
        # Its first 400 tokens, cut the same way (the SDK parses ~3000 chunks/s).
        deltas = list(recording.deltas[:400])
        endings: list[StreamEnded] = []
        script = [ScriptedReply(deltas=deltas, finish_reason="length")] * 2
        with ScriptedLLMServer(script) as server:
            with openai.OpenAI(base_url=server.base_url, api_key="local") as client:
                tokens = from_chat_completion(
                    client, model="local", messages=MESSAGES, on_finish=endings.append
                )
                raw = collect(tokens)
                decoded = collect(tokens.pipe(rs.accumulate_json()))
        assert raw.completed and raw.values == deltas
        assert [e.finish_reason for e in endings] == ["length", "length"]
        assert endings[0].truncated
        assert isinstance(decoded.error, rs.IncompleteJsonError)
        assert decoded.values  # the partial snapshots came first

    def test_http_error_is_a_source_error(self) -> None:
        """An HTTP 500 goes to on_error as SourceError with the status and cause."""
        with serve([ScriptedReply.error(500, "the GPU caught fire")]) as (_, client):
            outcome = collect(
                from_chat_completion(client, model="local", messages=MESSAGES)
            )
        error = outcome.error
        assert isinstance(error, rs.SourceError)
        assert error.status_code == 500
        assert isinstance(error.cause, openai.InternalServerError)
        assert error.__cause__ is error.cause
        assert "500" in str(error) and "the GPU caught fire" in str(error)
        assert outcome.values == []

    def test_rate_limit_is_a_source_error_with_429(self) -> None:
        """A 429 carries its status too (the SDK's retries are the client's)."""
        with serve([ScriptedReply.error(429, "slow down")]) as (_, client):
            outcome = collect(
                from_chat_completion(client, model="local", messages=MESSAGES)
            )
        assert isinstance(outcome.error, rs.SourceError)
        assert outcome.error.status_code == 429
        assert isinstance(outcome.error.cause, openai.RateLimitError)

    def test_dropped_connection_is_a_source_error(self) -> None:
        """A connection cut mid-stream: the deltas so far, then SourceError."""
        reply = ScriptedReply(deltas=USER, drop_after=2)
        with serve([reply]) as (_, client):
            outcome = collect(
                from_chat_completion(client, model="local", messages=MESSAGES)
            )
        assert outcome.values == USER[:2]
        error = outcome.error
        assert isinstance(error, rs.SourceError)
        assert not isinstance(error, rs.StreamStalledError)
        assert error.status_code is None
        assert isinstance(error.cause, openai.APIConnectionError)

    def test_stall_is_a_stream_stalled_error(self) -> None:
        """No chunk within stall_timeout: StreamStalledError, connection closed.

        The stall timer runs on the subscription's scheduler: virtual time.
        """
        timers = TestScheduler()
        reply = ScriptedReply(deltas=USER, stall_after=2, stall_seconds=30)
        with serve([reply]) as (server, client):
            tokens = from_chat_completion(
                client, model="local", messages=MESSAGES, stall_timeout=0.3
            )
            outcome, _ = subscribe(tokens, scheduler=timers)
            outcome.wait_for(2)
            timers.advance_by(0.29)
            assert not outcome.done.is_set()
            advance_until(timers, 0.3, outcome.done)
            request = server.requests[0]
            assert request.wait_finished(WAIT)  # not after the 30 s stall
            assert request.client_disconnected
        error = outcome.error
        assert isinstance(error, rs.StreamStalledError)
        assert error.timeout == 0.3
        assert outcome.values == USER[:2]
        assert error.chunks == 3  # the role chunk and two deltas
        assert "no chunk from the model server for 0.3 s" in str(error)

    def test_time_in_on_next_is_no_stall(self) -> None:
        """A subscriber slower than stall_timeout gets every delta (issue 11.3).

        The server sends everything at once; on_next takes 0.6 s (real time,
        on the real timer, as reported) with stall_timeout=0.3.
        """
        outcome = Outcome()

        def slow(text: str) -> None:
            if not outcome.values:
                time.sleep(0.6)
            outcome.on_next(text)

        with serve([USER]) as (_, client):
            tokens = from_chat_completion(
                client, model="local", messages=MESSAGES, stall_timeout=0.3
            )
            tokens.subscribe(slow, outcome.on_error, outcome.on_completed)
            assert outcome.done.wait(WAIT)
        assert outcome.error is None
        assert outcome.values == USER and outcome.completed

    def test_dispose_closes_the_connection(self) -> None:
        """Disposing mid-stream hangs up: the server stops sending."""
        reply = ScriptedReply(deltas=["x"] * 500, delay=0.01)
        with serve([reply]) as (server, client):
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            outcome = collect(tokens.pipe(ops.take(3)))
            request = server.requests[0]
            assert request.wait_finished(WAIT)
        assert outcome.values == ["x"] * 3
        assert request.client_disconnected
        assert request.deltas_sent < 500

    def test_dispose_during_a_stall_closes_the_connection(self) -> None:
        """Even while the server sends nothing, dispose() hangs up at once."""
        reply = ScriptedReply(deltas=USER, stall_after=2, stall_seconds=30)
        with serve([reply]) as (server, client):
            outcome, disposable = subscribe(
                from_chat_completion(client, model="local", messages=MESSAGES)
            )
            outcome.wait_for(2)
            disposable.dispose()
            request = server.requests[0]
            assert request.wait_finished(WAIT)  # not after the 30 s stall
            assert request.client_disconnected
        assert outcome.values == USER[:2]
        assert not outcome.done.is_set()  # nothing after disposal

    def test_a_subscriber_error_goes_to_on_error(self) -> None:
        """An exception raised downstream ends the stream through on_error."""

        def explode(text: str) -> str:
            raise ValueError(text)

        with serve([USER]) as (_, client):
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            outcome = collect(tokens.pipe(ops.map(explode)))
        assert isinstance(outcome.error, ValueError)


class TestToolCallArguments:
    def test_arguments_of_one_tool_call(self) -> None:
        """Only the arguments of the chosen tool call, not content or others."""
        recorded = [
            d
            for d in map(
                json.loads,
                (FIXTURES / "raw" / "parallel_tool_calls.tool_deltas.jsonl")
                .read_text()
                .splitlines(),
            )
            if "arguments" in d
        ]
        steps = [ScriptedDelta(text="Calling the tool.")] + [
            ScriptedDelta(text=d["arguments"], tool_call=d["index"]) for d in recorded
        ]
        with serve([ScriptedReply(deltas=steps)] * 2) as (_, client):
            first = collect(
                from_tool_call_arguments(client, model="local", messages=MESSAGES)
            )
            second = collect(
                from_tool_call_arguments(
                    client, index=1, model="local", messages=MESSAGES
                ).pipe(rs.accumulate_json())
            )
        assert first.values == [d["arguments"] for d in recorded if d["index"] == 0]
        assert json.loads("".join(first.values)) == {
            "name": "type",
            "age": 12,
            "category": "admin",
        }
        assert second.completed
        assert second.values[-1].value == {
            "name": "age",
            "age": 20,
            "category": "admin",
        }

    def test_negative_index_is_a_usage_error(self) -> None:
        with serve([]) as (_, client):
            with pytest.raises(rs.UsageError):
                from_tool_call_arguments(client, index=-1, model="local", messages=[])


class TestResponses:
    def test_output_text_deltas(self) -> None:
        """The Responses API's output_text deltas, then on_finish with "stop"."""
        endings: list[StreamEnded] = []
        with serve([USER]) as (server, client):
            outcome = collect(
                from_responses(
                    client, model="local", input="Jason is 12", on_finish=endings.append
                ).pipe(rs.accumulate_json())
            )
            assert server.requests[0].path == "/v1/responses"
        assert outcome.values[-1].value == {"name": "Jason", "age": 12}
        assert endings[0].finish_reason == "stop"
        assert endings[0].response_id is not None

    def test_incomplete_response_is_length(self) -> None:
        """A response cut at max_output_tokens reports "length"."""
        endings: list[StreamEnded] = []
        reply = ScriptedReply(deltas=USER[:3], finish_reason="length")
        with serve([reply]) as (_, client):
            outcome = collect(
                from_responses(
                    client, model="local", input="Jason", on_finish=endings.append
                )
            )
        assert outcome.values == USER[:3] and outcome.completed
        assert endings[0].truncated

    def test_http_error(self) -> None:
        with serve([ScriptedReply.error(503, "busy")]) as (_, client):
            outcome = collect(from_responses(client, model="local", input="x"))
        assert isinstance(outcome.error, rs.SourceError)
        assert outcome.error.status_code == 503


class TestAsyncClient:
    pytestmark = pytest.mark.anyio

    @staticmethod
    async def gather(source: Observable[Any]) -> Outcome:
        outcome = Outcome()
        finished = anyio.Event()
        source.subscribe(
            on_next=outcome.on_next,
            on_error=lambda e: (outcome.on_error(e), finished.set()),
            on_completed=lambda: (outcome.on_completed(), finished.set()),
        )
        with anyio.fail_after(WAIT):
            await finished.wait()
        return outcome

    @staticmethod
    def arrivals(outcome: Outcome, n: int) -> tuple[Callable[[Any], None], anyio.Event]:
        """An ``on_next`` into ``outcome``, and an event set once ``n`` values came."""
        arrived = anyio.Event()

        def on_next(value: Any) -> None:
            outcome.on_next(value)
            if len(outcome.values) >= n:
                arrived.set()

        return on_next, arrived

    @staticmethod
    async def disconnected(server: ScriptedLLMServer) -> bool:
        """The first request finished, with the client gone (waits for the end)."""
        request = server.requests[0]
        finished = await anyio.to_thread.run_sync(request.wait_finished, WAIT)
        return finished and request.client_disconnected

    async def test_deltas_on_the_running_loop(self) -> None:
        """An AsyncOpenAI source reads on the loop it is subscribed from."""
        threads: set[int] = set()
        async with aserve([USER]) as (_, client):
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            outcome = await self.gather(
                tokens.pipe(ops.do_action(lambda _: threads.add(threading.get_ident())))
            )
        assert outcome.values == USER and outcome.completed
        assert threads == {threading.get_ident()}

    async def test_decodes_with_an_asyncio_scheduler(self) -> None:
        """Subscribing with an AsyncIOScheduler names the loop explicitly."""
        async with aserve([USER]) as (_, client):
            scheduler = AsyncIOScheduler(asyncio.get_running_loop())
            tokens = from_chat_completion(
                client, model="local", messages=MESSAGES, scheduler=scheduler
            )
            outcome = await self.gather(tokens.pipe(rs.accumulate_json()))
        assert outcome.values[-1].value == {"name": "Jason", "age": 12}

    async def test_http_error(self) -> None:
        async with aserve([ScriptedReply.error(500)]) as (_, client):
            outcome = await self.gather(
                from_chat_completion(client, model="local", messages=MESSAGES)
            )
        assert isinstance(outcome.error, rs.SourceError)
        assert outcome.error.status_code == 500

    async def test_stall(self) -> None:
        """The stall timer on a TestScheduler: the task is cancelled, closed."""
        timers = TestScheduler()
        reply = ScriptedReply(deltas=USER, stall_after=1, stall_seconds=30)
        async with aserve([reply]) as (server, client):
            outcome = Outcome()
            on_next, first = self.arrivals(outcome, 1)
            from_chat_completion(
                client, model="local", messages=MESSAGES, stall_timeout=0.3
            ).subscribe(on_next, outcome.on_error, scheduler=timers)
            with anyio.fail_after(WAIT):
                await first.wait()  # the task restarted its clock and waits
            timers.advance_by(0.3)
            assert outcome.done.is_set()
            assert await self.disconnected(server)
        assert isinstance(outcome.error, rs.StreamStalledError)
        assert outcome.values == USER[:1]
        assert outcome.error.chunks == 2  # the role chunk and one delta

    async def test_dispose_closes_the_connection(self) -> None:
        """Disposing cancels the reading task and closes the HTTP stream."""
        reply = ScriptedReply(deltas=USER, stall_after=2, stall_seconds=30)
        async with aserve([reply]) as (server, client):
            outcome = Outcome()
            on_next, two = self.arrivals(outcome, 2)
            disposable = from_chat_completion(
                client, model="local", messages=MESSAGES
            ).subscribe(on_next=on_next, on_error=outcome.on_error)
            with anyio.fail_after(WAIT):
                await two.wait()
            disposable.dispose()
            assert await self.disconnected(server)
        assert outcome.values == USER[:2] and outcome.error is None

    def test_without_a_loop_is_a_usage_error(self) -> None:
        """Subscribing an async source outside any event loop fails clearly."""
        client = openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="x")
        outcome = collect(from_chat_completion(client, model="local", messages=[]))
        anyio.run(client.close)
        assert isinstance(outcome.error, rs.UsageError)
        assert "event loop" in str(outcome.error)


class User(BaseModel):
    name: str
    age: int


class Boom(Exception):
    """The subscriber's own failure."""


def boom(*_: Any) -> None:
    raise Boom("the subscriber failed")


class TestSubscriberErrors:
    """An exception in the subscriber's code surfaces, never vanishes (11.4)."""

    def test_on_next_raising_on_the_final_value_reaches_on_error(self) -> None:
        with serve([USER]) as (_, client):
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            finals = tokens.pipe(rs.accumulate_json(), rs.validate_final(User))
            outcome = Outcome()
            finals.subscribe(boom, outcome.on_error, outcome.on_completed)
            assert outcome.done.wait(WAIT), "the error was lost"
        assert isinstance(outcome.error, Boom)
        assert not outcome.completed

    def test_without_on_error_it_reaches_threading_excepthook(self) -> None:
        with serve([USER]) as (_, client), thread_errors() as caught:
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            tokens.pipe(rs.accumulate_json(), rs.validate_final(User)).subscribe(boom)
            errors = caught.wait_for(1)
        assert [type(error) for error in errors] == [Boom]

    def test_on_completed_raising_reaches_threading_excepthook(self) -> None:
        with serve([USER]) as (_, client), thread_errors() as caught:
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            tokens.subscribe(on_completed=boom)
            errors = caught.wait_for(1)
        assert [type(error) for error in errors] == [Boom]

    def test_on_completed_raising_reaches_the_caller_on_its_thread(self) -> None:
        """Read on the caller's thread, the error is raised to the caller."""
        seen: list[str] = []
        with serve([USER]) as (_, client):
            tokens = from_chat_completion(
                client,
                model="local",
                messages=MESSAGES,
                scheduler=CurrentThreadScheduler(),
            )
            with pytest.raises(Boom):
                tokens.subscribe(seen.append, on_completed=boom)
        assert seen == USER

    @pytest.mark.anyio
    def test_on_next_raising_without_on_error_reaches_excepthook(self) -> None:
        with serve([USER]) as (server, client), thread_errors() as caught:
            tokens = from_chat_completion(client, model="local", messages=MESSAGES)
            tokens.subscribe(boom)
            errors = caught.wait_for(1)
            assert server.requests[0].wait_finished(WAIT)
        assert [type(error) for error in errors] == [Boom]

    @pytest.mark.anyio
    async def test_async_on_completed_raising_reaches_the_loop_handler(
        self,
    ) -> None:
        finished = anyio.Event()

        def on_completed() -> None:
            finished.set()
            boom()

        with loop_errors() as reported:
            async with aserve([USER]) as (_, client):
                from_chat_completion(
                    client, model="local", messages=MESSAGES
                ).subscribe(on_completed=on_completed)
                with anyio.fail_after(WAIT):
                    await finished.wait()
        assert [type(context["exception"]) for context in reported] == [Boom]


class TestUsage:
    def test_stream_false_is_refused(self) -> None:
        with serve([]) as (_, client):
            with pytest.raises(rs.UsageError, match="stream"):
                from_chat_completion(client, model="local", messages=[], stream=False)

    def test_stall_timeout_must_be_positive(self) -> None:
        with serve([]) as (_, client):
            with pytest.raises(rs.UsageError, match="stall_timeout"):
                from_chat_completion(client, stall_timeout=0, model="local")

    def test_client_must_be_an_openai_client(self) -> None:
        with pytest.raises(rs.UsageError, match="client"):
            from_chat_completion(object(), model="local")  # type: ignore[arg-type]

    def test_missing_sdk_names_the_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the openai package the import error says what to install."""
        monkeypatch.setitem(sys.modules, "openai", None)
        monkeypatch.delitem(sys.modules, "rxstruct.sources.openai")
        with pytest.raises(ImportError, match=r"rxstruct\[openai\]"):
            importlib.import_module("rxstruct.sources.openai")
