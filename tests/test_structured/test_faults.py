"""Every fault of a structured call, over real HTTP, and what it produces."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from typing import Any

import openai
import pytest
from pydantic import BaseModel, field_validator

import rxstruct as rs
from rxstruct.testing import ScriptedDelta, ScriptedReply
from tests.helpers import ask

MESSAGES: Any = [{"role": "user", "content": "Extract the user."}]


class User(BaseModel):
    name: str
    age: int


USER = {"name": "Ada Lovelace", "age": 36}


def chunks(value: Any, size: int = 4) -> list[str]:
    text = value if isinstance(value, str) else json.dumps(value)
    return [text[i : i + size] for i in range(0, len(text), size)]


def user_stream(client: openai.OpenAI, **options: Any) -> Any:
    return rs.stream(
        client, response_model=User, messages=MESSAGES, model="local", **options
    )


def hung_up(server: Any, within: float = 1.0) -> bool:
    """The server saw the client close the connection within ``within`` s."""
    request = server.requests[0]
    return request.wait_finished(within) and request.client_disconnected


class TestBeforeTheFirstToken:
    @pytest.mark.parametrize("status", [401, 429, 500])
    def test_http_error_status(self, serve: Any, status: int) -> None:
        """An error status: SourceError with the status, from the loop and result()."""
        reply = ScriptedReply.error(status, "scripted failure")
        with serve([reply]) as (server, client):
            stream = user_stream(client)
            with pytest.raises(rs.SourceError, match=f"HTTP {status}") as caught:
                list(stream)
            assert caught.value.status_code == status
            assert isinstance(caught.value.cause, openai.APIStatusError)
            with pytest.raises(rs.SourceError):
                stream.result()
            events: list[Any] = []
            errors: list[Exception] = []
            stream.events.subscribe(events.append, errors.append)
            assert events == [] and errors == [caught.value]
            assert len(server.requests) == 1

    def test_the_sdk_retries_429_and_5xx_itself(self, serve: Any) -> None:
        """With the SDK's default retries, 429 then 500 then success: 3 requests."""
        script = [
            ScriptedReply.error(429, headers={"retry-after-ms": "1"}),
            ScriptedReply.error(500, headers={"retry-after-ms": "1"}),
            chunks(USER),
        ]
        with serve(script, max_retries=2) as (server, client):
            assert user_stream(client).result() == User(**USER)
            assert len(server.requests) == 3

    def test_connection_refused(self) -> None:
        """Nobody listening: SourceError naming the connection failure."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key="local", max_retries=0
        ) as client:
            with pytest.raises(rs.SourceError, match="connection") as caught:
                user_stream(client).result()
        assert isinstance(caught.value.cause, openai.APIConnectionError)
        assert caught.value.status_code is None


class TestMidStream:
    def test_dropped_connection(self, serve: Any) -> None:
        """The server hangs up mid-stream: partials so far, then SourceError."""
        reply = ScriptedReply(deltas=chunks(USER), drop_after=3)
        with serve([reply]) as (_, client):
            stream = user_stream(client)
            partials = []
            with pytest.raises(rs.SourceError) as caught:
                for partial in stream:
                    partials.append(partial)
        assert partials and partials[-1].name == "Ad"
        assert caught.value.status_code is None

    def test_stall(self, serve: Any) -> None:
        """No chunk for stall_timeout s: StreamStalledError, the request closed."""
        reply = ScriptedReply(deltas=chunks(USER), stall_after=2, stall_seconds=30)
        with serve([reply]) as (server, client):
            started = time.monotonic()
            with pytest.raises(rs.StreamStalledError) as caught:
                user_stream(client, stall_timeout=0.3).result()
            assert time.monotonic() - started < 5
            assert hung_up(server)
        assert caught.value.timeout == 0.3

    def test_parallel_tool_calls_are_kept_apart(self, serve: Any) -> None:
        """Two tool calls interleaved: the first one's arguments, unmixed."""
        first, second = chunks(USER), chunks({"name": "Grace Hopper", "age": 85})
        deltas = []
        for a, b in zip(first, second, strict=False):
            deltas += [ScriptedDelta(text=a, tool_call=0)]
            deltas += [ScriptedDelta(text=b, tool_call=1)]
        deltas += [ScriptedDelta(text=t, tool_call=1) for t in second[len(first) :]]
        deltas += [ScriptedDelta(text=t, tool_call=0) for t in first[len(second) :]]
        with serve([ScriptedReply(deltas=deltas)]) as (_, client):
            stream = user_stream(client, mode="tools")
            assert stream.result() == User(**USER)
            assert stream.finished.other_tool_calls == 1


class TestTheAnswer:
    def test_token_limit(self, serve: Any) -> None:
        """finish_reason=length: IncompleteJsonError saying the limit cut it."""
        reply = ScriptedReply(deltas=chunks(USER)[:5], finish_reason="length")
        with serve([reply]) as (_, client):
            stream = user_stream(client, max_tokens=5)
            partials = []
            with pytest.raises(rs.IncompleteJsonError) as caught:
                for partial in stream:
                    partials.append(partial)
            assert partials[-1].name == "Ada Lovela"
            assert stream.finished is not None and stream.finished.truncated
        message = str(caught.value)
        assert "token limit" in message
        assert "finish_reason='length', max_tokens=5" in message
        assert caught.value.open_path == ("name",)

    def test_content_filter(self, serve: Any) -> None:
        """finish_reason=content_filter: ContentFilterError with the text so far."""
        text = chunks(USER)[:4]
        reply = ScriptedReply(deltas=text, finish_reason="content_filter")
        with serve([reply]) as (_, client):
            with pytest.raises(rs.ContentFilterError, match="content filter") as caught:
                user_stream(client).result()
        assert caught.value.raw == "".join(text)

    def test_invalid_json(self, serve: Any) -> None:
        """Malformed JSON: JsonStreamError with its position, the request closed."""
        deltas = ['{"name": "Ada" ', '"age": 36}'] + ["x"] * 50
        reply = ScriptedReply(deltas=deltas, delay=0.02)
        with serve([reply]) as (server, client):
            with pytest.raises(rs.JsonStreamError) as caught:
                user_stream(client).result()
            assert hung_up(server)
        assert caught.value.offset == 15

    def test_a_validator_failing_on_the_final(self, serve: Any) -> None:
        """The final fails its validator: FinalValidationError; partials were fine."""

        class Adult(BaseModel):
            name: str
            age: int

            @field_validator("age")
            @classmethod
            def adult(cls, age: int) -> int:
                if age < 18:
                    raise ValueError("must be an adult")
                return age

        with serve([chunks({"name": "Tom", "age": 12})]) as (_, client):
            stream = ask(client, Adult, MESSAGES)
            seen: list[Any] = []
            completed: list[bool] = []
            stream.partials.subscribe(
                seen.append, on_completed=lambda: completed.append(True)
            )
            with pytest.raises(rs.FinalValidationError, match="must be an adult"):
                stream.result()
            with pytest.raises(rs.FinalValidationError):
                stream.get_final_response()
        assert seen[-1].age == 12 and completed == [True]


class TestCancellation:
    def test_break_closes_the_request(self, serve: Any) -> None:
        """Breaking out of the loop hangs up at once (server-side check)."""
        reply = ScriptedReply(deltas=chunks(USER, 1), delay=0.05)
        with serve([reply]) as (server, client):
            stream = user_stream(client)
            for _ in stream:
                break
            assert hung_up(server)
            assert server.requests[0].deltas_sent < len(reply.deltas)
            with pytest.raises(rs.SourceError, match="closed by the consumer"):
                stream.result()

    def test_close_inside_the_loop_ends_it(self, serve: Any) -> None:
        """close() in the loop body: the loop ends quietly, the server hung up."""
        reply = ScriptedReply(deltas=chunks(USER, 1), delay=0.05)
        with serve([reply]) as (server, client):
            stream = user_stream(client)
            seen = 0
            for _ in stream:
                seen += 1
                stream.close()
            assert hung_up(server)
            with pytest.raises(rs.SourceError, match="closed by the consumer"):
                stream.get_final_response()
        assert seen == 1

    def test_close_from_another_thread(self, serve: Any) -> None:
        """close() from another thread wakes the blocked reader and hangs up."""
        reply = ScriptedReply(deltas=chunks(USER, 1), stall_after=3, stall_seconds=30)
        with serve([reply]) as (server, client):
            stream = user_stream(client)
            threading.Timer(0.3, stream.close).start()
            with pytest.raises(rs.SourceError, match="closed by the consumer"):
                stream.result()
            assert hung_up(server)

    def test_disposing_a_connection_closes_the_request(self, serve: Any) -> None:
        """connect() then dispose: the reader thread hangs up."""
        reply = ScriptedReply(deltas=chunks(USER, 1), delay=0.05)
        with serve([reply]) as (server, client):
            stream = user_stream(client)
            errors: list[Exception] = []
            first = threading.Event()
            stream.partials.subscribe(lambda _: first.set(), errors.append)
            connection = stream.connect()
            assert first.wait(5)
            connection.dispose()
            assert hung_up(server)
            assert stream._run.done.wait(1)
        assert errors and "closed by the consumer" in str(errors[0])

    def test_ctrl_c_during_result_closes_the_request(self, serve: Any) -> None:
        """SIGINT while result() blocks: KeyboardInterrupt, and the server hung up."""
        reply = ScriptedReply(deltas=chunks(USER, 1), delay=0.05)
        main = threading.main_thread().ident
        assert main == threading.get_ident()
        with serve([reply]) as (server, client):
            stream = user_stream(client)
            first = threading.Event()
            stream.partials.subscribe(lambda _: first.set())

            def interrupt() -> None:
                first.wait(5)
                signal.pthread_kill(main, signal.SIGINT)

            threading.Thread(target=interrupt).start()
            with pytest.raises(KeyboardInterrupt):
                stream.result()
            assert hung_up(server)
            assert server.requests[0].deltas_sent < len(reply.deltas)

    def test_ctrl_c_from_a_callback_closes_the_request(self, serve: Any) -> None:
        """KeyboardInterrupt raised inside a view's callback: request closed too."""
        reply = ScriptedReply(deltas=chunks(USER, 1), delay=0.02)
        with serve([reply]) as (server, client):
            stream = user_stream(client)
            count = 0

            def on_partial(_: Any) -> None:
                nonlocal count
                count += 1
                if count == 3:
                    raise KeyboardInterrupt

            stream.partials.subscribe(on_partial)
            with pytest.raises(KeyboardInterrupt):
                for _ in stream:
                    pass
            assert hung_up(server)

    def test_latest_iteration_ctrl_c(self, serve: Any) -> None:
        """latest=True reads on a thread; Ctrl-C in the loop still hangs up."""
        reply = ScriptedReply(deltas=chunks(USER, 1), delay=0.05)
        with serve([reply]) as (server, client):
            stream = user_stream(client, latest=True)
            with pytest.raises(KeyboardInterrupt):
                for _ in stream:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(1)
            assert hung_up(server)


class TestRefusal:
    @pytest.mark.parametrize("mode", ["json_schema", "responses"])
    def test_refusal(self, serve: Any, mode: str) -> None:
        """The model refuses: RefusalError carrying the refusal text."""
        words = ["I'm sorry, ", "I can't help ", "with that."]
        reply = ScriptedReply(
            deltas=[ScriptedDelta(text=w, refusal=True) for w in words]
        )
        with serve([reply]) as (_, client):
            stream = user_stream(client, mode=mode)
            with pytest.raises(rs.RefusalError, match="the model refused") as caught:
                list(stream)
        assert caught.value.refusal == "".join(words)
