"""ScriptedLLMServer: a real HTTP server that the real openai SDK talks to."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest

from rxstruct.exceptions import UsageError
from rxstruct.sources import demo_recording_path, load_recording
from rxstruct.testing import (
    RecordedRequest,
    ScriptedDelta,
    ScriptedLLMServer,
    ScriptedReply,
)
from tests.helpers import FIXTURES

RAW = FIXTURES / "raw"
MESSAGES = [{"role": "user", "content": "Extract the user as JSON."}]


@contextmanager
def serve(
    script: list[Any], *, speed: float = 1.0, max_retries: int = 0
) -> Iterator[tuple[ScriptedLLMServer, openai.OpenAI]]:
    with ScriptedLLMServer(script, speed=speed) as server:
        with openai.OpenAI(
            base_url=server.base_url, api_key="local", max_retries=max_retries
        ) as client:
            yield server, client


def sse_payloads(path: Path) -> list[Any]:
    """The JSON of every ``data:`` line of a recorded SSE stream."""
    payloads: list[Any] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("data: "):
            data = line.removeprefix("data: ")
            payloads.append(data if data == "[DONE]" else json.loads(data))
    return payloads


def sse_events(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        line.removeprefix("event: ") for line in lines if line.startswith("event: ")
    ]


def tool_deltas(path: Path) -> list[dict[str, Any]]:
    """The recorded tool-call argument deltas (not the finish line)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [d for d in map(json.loads, lines) if "arguments" in d]


def squash(kinds: list[str]) -> list[str]:
    """Event types with runs of the same type collapsed to one."""
    return [kind for i, kind in enumerate(kinds) if i == 0 or kinds[i - 1] != kind]


def content_deltas(stream: Any) -> list[str]:
    return [
        chunk.choices[0].delta.content
        for chunk in stream
        if chunk.choices and chunk.choices[0].delta.content is not None
    ]


class TestChatCompletionsStream:
    def test_deltas_arrive_as_scripted(self) -> None:
        """The SDK sees exactly the scripted deltas, in order."""
        deltas = ['{"na', 'me": "Ja', 'son", "age"', ": 1", "2}"]
        with serve([deltas]) as (_, client):
            stream = client.chat.completions.create(
                model="local", messages=MESSAGES, stream=True
            )
            assert content_deltas(stream) == deltas

    def test_wire_shape_matches_llama_cpp(self) -> None:
        """Chunks have llama.cpp's keys, role chunk first, finish chunk, [DONE]."""
        recorded = sse_payloads(RAW / "chat_stream.sse")
        with serve([["{", '"a"', ": 1}"]]) as (_, client):
            with client.chat.completions.with_streaming_response.create(
                model="local", messages=MESSAGES, stream=True
            ) as response:
                assert response.headers["content-type"] == "text/event-stream"
                lines = [line for line in response.iter_lines() if line]
        payloads = [line.removeprefix("data: ") for line in lines]
        assert payloads[-1] == "[DONE]"
        chunks = [json.loads(p) for p in payloads[:-1]]
        for mine, theirs in [
            (chunks[0], recorded[0]),
            (chunks[1], recorded[1]),
            (chunks[-1], recorded[-2]),
        ]:
            assert set(mine) == set(theirs) - {"timings"}
            assert mine["object"] == theirs["object"] == "chat.completion.chunk"
            assert set(mine["choices"][0]) == set(theirs["choices"][0])
        assert chunks[0]["choices"][0]["delta"] == {
            "role": "assistant",
            "content": None,
        }
        assert [c["choices"][0]["delta"].get("content") for c in chunks[1:-1]] == [
            "{",
            '"a"',
            ": 1}",
        ]
        assert chunks[-1]["choices"][0] == {
            "finish_reason": "stop",
            "index": 0,
            "delta": {},
        }
        assert len({c["id"] for c in chunks}) == 1

    def test_finish_reason_length(self) -> None:
        """A truncated reply ends with finish_reason "length"."""
        reply = ScriptedReply(deltas=['{"a": "unfini'], finish_reason="length")
        with serve([reply]) as (_, client):
            chunks = list(
                client.chat.completions.create(
                    model="local", messages=MESSAGES, stream=True
                )
            )
        assert chunks[-1].choices[0].finish_reason == "length"

    def test_include_usage_adds_a_usage_chunk(self) -> None:
        """stream_options.include_usage ends with a chunk without choices."""
        with serve([["{}", ""]]) as (_, client):
            chunks = list(
                client.chat.completions.create(
                    model="local",
                    messages=MESSAGES,
                    stream=True,
                    stream_options={"include_usage": True},
                )
            )
        assert chunks[-1].choices == []
        assert chunks[-1].usage is not None
        assert chunks[-1].usage.completion_tokens == 2

    def test_tool_call_deltas(self) -> None:
        """Tool-call argument deltas carry index, and id and name on the first."""
        recorded = tool_deltas(RAW / "parallel_tool_calls.tool_deltas.jsonl")
        assert len({d["index"] for d in recorded}) > 2
        steps = [ScriptedDelta(text="Sure.")] + [
            ScriptedDelta(text=d["arguments"], tool_call=d["index"]) for d in recorded
        ]
        reply = ScriptedReply(
            deltas=steps, tool_name="extract_user", finish_reason="length"
        )
        with serve([reply]) as (_, client):
            chunks = list(
                client.chat.completions.create(
                    model="local", messages=MESSAGES, stream=True
                )
            )
        calls: list[Any] = [
            call
            for chunk in chunks
            if chunk.choices
            for call in chunk.choices[0].delta.tool_calls or []
        ]
        assert [(c.index, c.function.arguments) for c in calls] == [
            (d["index"], d["arguments"]) for d in recorded
        ]
        first_of_each: dict[int, Any] = {}
        for call in calls:
            first_of_each.setdefault(call.index, call)
        for call in first_of_each.values():
            assert call.id and call.type == "function"
            assert call.function is not None and call.function.name == "extract_user"
        assert all(c.id is None for c in calls if c not in first_of_each.values())
        assert chunks[1].choices[0].delta.content == "Sure."

    def test_non_streaming_answer(self) -> None:
        """Without stream=True the whole answer comes as one chat.completion."""
        reply = ScriptedReply(
            deltas=[
                ScriptedDelta(text="ok"),
                ScriptedDelta(text='{"x"', tool_call=0),
                ScriptedDelta(text=": 1}", tool_call=0),
            ],
            tool_name="f",
        )
        with serve([['{"a"', ": 1}"], reply]) as (_, client):
            plain = client.chat.completions.create(model="local", messages=MESSAGES)
            tools = client.chat.completions.create(model="local", messages=MESSAGES)
        assert plain.choices[0].message.content == '{"a": 1}'
        assert plain.choices[0].finish_reason == "stop"
        assert plain.usage is not None and plain.usage.completion_tokens == 2
        assert tools.choices[0].finish_reason == "tool_calls"
        call: Any
        (call,) = tools.choices[0].message.tool_calls or []
        assert (call.function.name, call.function.arguments) == ("f", '{"x": 1}')


class TestResponsesApi:
    def test_stream_events_match_llama_cpp(self) -> None:
        """The event types and their order are those llama.cpp sends."""
        with serve([['{"a"', ": 1}"]]) as (_, client):
            events = list(
                client.responses.create(model="local", input="Hi", stream=True)
            )
        recorded = sse_events(RAW / "responses_api.sse")
        assert squash([e.type for e in events]) == squash(recorded)
        texts = [getattr(e, "delta", None) for e in events]
        assert [t for t in texts if t is not None] == ['{"a"', ": 1}"]

    def test_truncated_response_is_incomplete(self) -> None:
        """finish_reason "length" ends the stream with response.incomplete."""
        reply = ScriptedReply(deltas=['{"a'], finish_reason="length")
        with serve([reply]) as (_, client):
            events = list(
                client.responses.create(model="local", input="Hi", stream=True)
            )
        last: Any = events[-1]
        assert last.type == "response.incomplete"
        assert last.response.incomplete_details.reason == "max_output_tokens"

    def test_non_streaming_response(self) -> None:
        """Without stream=True, one Response object with its output text."""
        with serve([['{"a"', ": 1}"]]) as (_, client):
            response = client.responses.create(model="local", input="Hi")
        assert response.output_text == '{"a": 1}'
        assert response.status == "completed"


class TestScript:
    def test_requests_are_recorded(self) -> None:
        """Each request's parsed body, path and headers are kept."""
        schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
        with serve([["{}"]]) as (server, client):
            client.chat.completions.create(
                model="local",
                messages=MESSAGES,
                stream=True,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": schema},
                },
            ).close()
            (request,) = server.requests
        assert isinstance(request, RecordedRequest)
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer local"
        assert request.body["stream"] is True
        assert request.messages == MESSAGES
        assert request.body["response_format"]["json_schema"]["schema"] == schema

    def test_one_reply_per_request_so_a_retry_gets_the_next(self) -> None:
        """The SDK's own retry after a 500 is answered by the next reply."""
        script = [
            ScriptedReply.error(500, "overloaded", headers={"retry-after-ms": "1"}),
            ['{"ok": true}'],
        ]
        with serve(script, max_retries=1) as (server, client):
            stream = client.chat.completions.create(
                model="local", messages=MESSAGES, stream=True
            )
            assert content_deltas(stream) == ['{"ok": true}']
            assert len(server.requests) == 2
            assert server.remaining == 0
            assert server.requests[0].reply is script[0]

    def test_error_status_has_an_openai_error_body(self) -> None:
        """An error reply is an HTTP status with {"error": {...}}; no stream."""
        with serve([ScriptedReply.error(429, "slow down")]) as (_, client):
            with pytest.raises(openai.RateLimitError) as caught:
                client.chat.completions.create(
                    model="local", messages=MESSAGES, stream=True
                )
        assert caught.value.status_code == 429
        assert caught.value.body == {
            "code": 429,
            "message": "slow down",
            "type": "rate_limit_error",
        }

    def test_exhausted_script_answers_400(self) -> None:
        """A request beyond the script gets an error that says so."""
        with serve([["{}"]]) as (_, client):
            client.chat.completions.create(model="local", messages=MESSAGES)
            with pytest.raises(openai.BadRequestError, match="no reply left"):
                client.chat.completions.create(model="local", messages=MESSAGES)

    def test_unknown_path_is_404_and_uses_no_reply(self) -> None:
        """Only the two endpoints are served; others get 404."""
        with serve([["{}"]]) as (server, client):
            with pytest.raises(openai.NotFoundError):
                client.models.list()
            assert server.remaining == 1

    def test_dropped_connection(self) -> None:
        """drop_after cuts the connection mid-stream: the SDK raises."""
        reply = ScriptedReply(deltas=["[1", ", 2", ", 3", "]"], drop_after=2)
        received: list[str] = []
        with serve([reply]) as (server, client):
            stream = client.chat.completions.create(
                model="local", messages=MESSAGES, stream=True
            )
            with pytest.raises(openai.APIConnectionError):
                for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        received.append(chunk.choices[0].delta.content)
            assert server.requests[0].deltas_sent == 2
        assert received == ["[1", ", 2"]

    def test_stall_then_the_rest(self) -> None:
        """A short stall delays the stream; then it goes on to the end."""
        reply = ScriptedReply(deltas=["[1", "]"], stall_after=1, stall_seconds=0.05)
        with serve([reply]) as (_, client):
            stream = client.chat.completions.create(
                model="local", messages=MESSAGES, stream=True
            )
            assert content_deltas(stream) == ["[1", "]"]

    def test_client_hanging_up_is_recorded(self) -> None:
        """Closing the stream early is seen by the server as a disconnect."""
        reply = ScriptedReply(deltas=["x"] * 200, delay=0.01)
        with serve([reply]) as (server, client):
            stream = client.chat.completions.create(
                model="local", messages=MESSAGES, stream=True
            )
            for _, _chunk in zip(range(3), stream, strict=False):
                pass
            stream.close()
            request = server.requests[0]
            assert request.wait_finished(5)
            assert request.client_disconnected
            assert request.deltas_sent < 200

    def test_close_interrupts_a_stall(self) -> None:
        """Closing the server ends a long stall at once, without waiting it out."""
        reply = ScriptedReply(deltas=["[1", "]"], stall_after=1, stall_seconds=60)
        first = threading.Event()
        errors: list[BaseException] = []
        with ScriptedLLMServer([reply]) as server:
            client = openai.OpenAI(
                base_url=server.base_url, api_key="local", max_retries=0
            )

            def read() -> None:
                try:
                    for chunk in client.chat.completions.create(
                        model="local", messages=MESSAGES, stream=True
                    ):
                        if chunk.choices and chunk.choices[0].delta.content:
                            first.set()
                except openai.APIError as exc:
                    errors.append(exc)

            reader = threading.Thread(target=read)
            reader.start()
            assert first.wait(5)
            started = time.monotonic()
        assert time.monotonic() - started < 5  # the stall was 60 s
        reader.join(5)
        client.close()
        assert not reader.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], openai.APIConnectionError)


class TestRecordings:
    def test_from_recording_replays_the_text(self) -> None:
        """A recording is served with its deltas and finish_reason."""
        recording = load_recording(demo_recording_path())
        with ScriptedLLMServer.from_recording(recording, speed=1000) as server:
            with openai.OpenAI(base_url=server.base_url, api_key="local") as client:
                stream = client.chat.completions.create(
                    model="local", messages=MESSAGES, stream=True
                )
                assert content_deltas(stream) == list(recording.deltas)

    def test_truncated_recording_keeps_length(self) -> None:
        """A recording that hit its token limit ends with "length"."""
        reply = ScriptedReply.from_recording(FIXTURES / "movies-3.jsonl")
        assert reply.finish_reason == "length"
        steps = reply.steps()
        recording = load_recording(FIXTURES / "movies-3.jsonl")
        assert [s.text for s in steps] == list(recording.deltas)
        assert sum(s.delay for s in steps) == pytest.approx(recording.times[-1])
        assert all(s.delay >= 0 for s in steps)


class TestUsage:
    def test_speed_must_be_positive(self) -> None:
        with pytest.raises(UsageError):
            ScriptedLLMServer([], speed=0)

    def test_a_reply_is_not_a_string(self) -> None:
        with pytest.raises(UsageError, match="not a string"):
            ScriptedLLMServer(["{}"])  # type: ignore[list-item]

    def test_base_url_needs_a_started_server(self) -> None:
        with pytest.raises(UsageError, match="not started"):
            _ = ScriptedLLMServer([]).base_url

    def test_binds_loopback_only(self) -> None:
        with ScriptedLLMServer([]) as server:
            assert server.base_url == f"http://127.0.0.1:{server.port}/v1"

    def test_plain_list_reply_defaults(self) -> None:
        reply = ScriptedReply(deltas=["a", ScriptedDelta(text="b", tool_call=0)])
        assert reply.resolved_finish_reason() == "tool_calls"
        assert ScriptedReply(deltas=["a"]).resolved_finish_reason() == "stop"
