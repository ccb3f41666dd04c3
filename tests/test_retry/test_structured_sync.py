"""rs.stream(..., max_retries=, transport_retry=) with a sync client, over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from pydantic import BaseModel, ValidationInfo, model_validator

import rxstruct as rs
from rxstruct.testing import ScriptedReply
from tests.helpers import ask

MESSAGES: Any = [{"role": "user", "content": "Who?"}]
FAST = rs.TransportRetry(initial=0.01, maximum=0.05, jitter=0.0)


class User(BaseModel):
    name: str
    age: int


class Idea(BaseModel):
    title: str


def collect(stream: Any) -> list[Any]:
    events: list[Any] = []
    stream.events.subscribe(events.append, lambda _: None)
    return events


def answered(
    serve: Any, script: list[Any], expected: BaseModel, **options: Any
) -> tuple[Any, list[rs.Retrying]]:
    """Ask over ``script`` until the final, which is ``expected``.

    Returns the server and the Retrying events announced on the way.
    """
    with serve(script) as (server, client):
        stream = ask(client, type(expected), MESSAGES, **options)
        events = collect(stream)
        assert stream.result() == expected
    return server, [e for e in events if isinstance(e, rs.Retrying)]


class TestReask:
    def test_invalid_json_then_valid(self, serve: Any) -> None:
        """Malformed JSON is re-asked at once; the second answer is the final."""
        script = [['{"name": "Ada", ', '"age": trx'], ['{"name": "Ada", "age": 38}']]
        server, retrying = answered(
            serve, script, User(name="Ada", age=38), max_retries=1
        )
        assert [(r.attempt, r.reason) for r in retrying] == [(2, "reask")]
        assert isinstance(retrying[0].error, rs.JsonStreamError)
        assert retrying[0].raw == '{"name": "Ada", "age": trx'
        assert len(server.requests) == 2
        feedback = server.requests[1].messages[-1]["content"]
        assert feedback.startswith("Your previous answer was not valid JSON")
        assert server.requests[1].messages[-2] == {
            "role": "assistant",
            "content": '{"name": "Ada", "age": trx',
        }

    def test_validator_fails_twice_then_passes(self, serve: Any) -> None:
        """A model validator failing twice: the third request carries both errors."""
        seen: list[int] = []

        class Adult(BaseModel):
            name: str
            age: int

            @model_validator(mode="after")
            def grown_up(self, info: ValidationInfo) -> Adult:
                if not info.context or not info.context.get("rxstruct_partial"):
                    seen.append(info.context["rxstruct_attempt"])
                if self.age < 18:
                    raise ValueError(f"age {self.age} is under 18")
                return self

        script = [
            ['{"name": "Bo", "age": 7}'],
            ['{"name": "Bo", "age": 9}'],
            ['{"name": "Bo", "age": 19}'],
        ]
        with serve(script) as (server, client):
            stream = ask(client, Adult, MESSAGES, max_retries=2)
            assert stream.result().age == 19
        assert seen[-3:] == [1, 2, 3]
        third = server.requests[2].messages
        assert [m["role"] for m in third] == [
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
        ]
        assert "age 7 is under 18" in third[2]["content"]
        assert "age 9 is under 18" in third[4]["content"]
        assert third[3]["content"] == '{"name": "Bo", "age": 9}'

    def test_length_then_success(self, serve: Any) -> None:
        """An answer cut by the token limit is re-asked, telling the model so."""
        script = [
            ScriptedReply(deltas=['{"name": "Ada", "a'], finish_reason="length"),
            ['{"name": "Ada", "age": 38}'],
        ]
        server, (retrying,) = answered(
            serve, script, User(name="Ada", age=38), max_tokens=5, max_retries=1
        )
        assert isinstance(retrying.error, rs.IncompleteJsonError)
        assert retrying.finished.finish_reason == "length"
        assert "token limit" in server.requests[1].messages[-1]["content"]

    def test_exhausted(self, serve: Any) -> None:
        """Every attempt fails: one error carrying each attempt's error and text."""
        script = [['{"name": "A", "age": "x"}'], ['{"name": "A", "age": "y"}']]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=1)
            final: list[Any] = []
            stream.final.subscribe(final.append, final.append)
            with pytest.raises(rs.RetriesExhaustedError) as caught:
                stream.result()
        error = caught.value
        assert [a.attempt for a in error.attempts] == [1, 2]
        assert [a.raw for a in error.attempts] == [
            '{"name": "A", "age": "x"}',
            '{"name": "A", "age": "y"}',
        ]
        assert all(isinstance(a.error, rs.FinalValidationError) for a in error.attempts)
        assert error.__cause__ is error.last_error
        assert final == [error]
        assert len(server.requests) == 2

    def test_no_retry_by_default(self, serve: Any) -> None:
        """Without max_retries the first failure is the outcome, as it is."""
        with serve([['{"name": "A", "age": "x"}']]) as (server, client):
            stream = ask(client, User, MESSAGES)
            with pytest.raises(rs.FinalValidationError):
                stream.result()
        assert len(server.requests) == 1

    def test_refusal_is_not_reasked(self, serve: Any) -> None:
        """A refusal is the model's answer, not a mistake: it is not re-asked."""
        from rxstruct.testing import ScriptedDelta

        script = [ScriptedReply(deltas=[ScriptedDelta(text="No.", refusal=True)])]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=3)
            with pytest.raises(rs.RefusalError):
                stream.result()
        assert len(server.requests) == 1

    def test_tool_mode_feedback_is_a_tool_result(self, serve: Any) -> None:
        """Tool mode: the answer returns as the tool call, the errors as its result."""
        from rxstruct.testing import ScriptedDelta

        bad = ScriptedDelta(text='{"name": "A", "age": "x"}', tool_call=0)
        good = ScriptedDelta(text='{"name": "A", "age": 5}', tool_call=0)
        with serve([ScriptedReply(deltas=[bad]), ScriptedReply(deltas=[good])]) as (
            server,
            client,
        ):
            stream = ask(client, User, MESSAGES, mode="tools", max_retries=1)
            assert stream.result() == User(name="A", age=5)
        assistant, tool = server.requests[1].messages[-2:]
        call = assistant["tool_calls"][0]
        assert call["function"] == {"name": "User", "arguments": bad.text}
        assert tool["role"] == "tool" and tool["tool_call_id"] == call["id"]
        assert "age" in tool["content"]

    def test_responses_mode_feedback_items(self, serve: Any) -> None:
        """Responses API: the answer and the feedback are appended as input items."""
        script = [['{"name": "A", "age": "x"}'], ['{"name": "A", "age": 5}']]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, mode="responses", max_retries=1)
            assert stream.result() == User(name="A", age=5)
        items = server.requests[1].body["input"]
        assert items[1] == {"role": "assistant", "content": '{"name": "A", "age": "x"}'}
        assert items[2]["role"] == "user" and "age" in items[2]["content"]

    def test_reask_hook(self, serve: Any) -> None:
        """reask= writes the appended messages itself."""

        def reask(failed: rs.FailedAttempt, default: list[dict[str, Any]]) -> Any:
            return [*default, {"role": "user", "content": f"attempt {failed.attempt}"}]

        script = [['{"name": "A", "age": "x"}'], ['{"name": "A", "age": 5}']]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=1, reask=reask)
            stream.result()
        assert server.requests[1].messages[-1] == {
            "role": "user",
            "content": "attempt 1",
        }


class TestViewsAcrossAttempts:
    def test_partials_reset_and_order(self, serve: Any) -> None:
        """The partial view gets an empty value at the restart, then the new answer."""
        script = [['{"name": "Al', '", "age": "x"}'], ['{"name": "Bo"', ', "age": 3}']]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=1)
            partials = [(p.name, p.age) for p in stream]
            final = stream.get_final_response()
        assert partials == [
            ("Al", None),
            ("Al", None),  # "Al" closed (age "x" is not shown: not an int)
            (None, None),  # the reset
            ("Bo", None),
            ("Bo", 3),
        ]
        assert final == User(name="Bo", age=3)

    def test_latest_iteration_ends_with_the_new_answer(self, serve: Any) -> None:
        """latest=True (background reader): the loop's last partial is attempt 2's."""
        script = [['{"name": "Al", "age": "x"}'], ['{"name": "Bo"', ', "age": 3}']]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=1, latest=True)
            seen = [(p.name, p.age) for p in stream]
            assert stream.get_final_response() == User(name="Bo", age=3)
        assert seen[-1] == ("Bo", 3)
        assert len(server.requests) == 2

    def test_events_marble(self, serve: Any) -> None:
        """The events stream: attempt 1, Retrying, the reset, attempt 2, the end."""
        script = [['{"name": "Al', '", "age": "x"}'], ['{"name": "Bo"', ', "age": 3}']]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=1)
            events = collect(stream)
            stream.result()
        kinds = [
            e.kind
            + (f":{e.value.name},{e.value.age}" if e.kind == "partial" else "")
            + (f":{'.'.join(map(str, e.path))}" if e.kind == "field_completed" else "")
            for e in events
        ]
        assert kinds == [
            "partial:Al,None",
            "partial:Al,None",
            "field_completed:name",
            "field_completed:age",
            "retrying",
            "partial:None,None",
            "partial:Bo,None",
            "field_completed:name",
            "partial:Bo,3",
            "field_completed:age",
            "finished",
            "final",
        ]

    def test_items_rule(self, serve: Any) -> None:
        """Items repeated unchanged are not emitted twice; changed ones replace the
        old (same index); the ones the new answer lacks are announced dropped."""
        first = {"items": [{"title": "a"}, {"title": "b"}, {"title": "c"}]}
        second = {"items": [{"title": "a"}, {"title": "B"}]}
        script = [[json.dumps(first)[:-1], " x"], [json.dumps(second)]]
        with serve(script) as (server, client):
            stream = ask(client, list[Idea], MESSAGES, max_retries=1, strict=False)
            items: list[Any] = []
            stream.items.subscribe(items.append)
            events = collect(stream)
            assert [i.title for i in stream.result()] == ["a", "B"]
        assert [(i.index, i.value.title) for i in items] == [
            (0, "a"),
            (1, "b"),
            (2, "c"),
            (1, "B"),
        ]
        shown = [
            (e.kind, getattr(e, "index", None))
            for e in events
            if e.kind in ("list_item", "items_dropped", "retrying")
        ]
        assert shown == [
            ("list_item", 0),
            ("list_item", 1),
            ("list_item", 2),
            ("retrying", None),
            ("list_item", 1),
            ("items_dropped", None),
        ]
        (dropped,) = [e for e in events if isinstance(e, rs.ItemsDropped)]
        assert dropped.paths == (("items", 2),)

    def test_one_request_per_attempt_with_several_views(self, serve: Any) -> None:
        """Partials, items, fields, finish, final and events share each attempt."""
        script = [['{"name": "A", "age": "x"}'], ['{"name": "A", "age": 5}']]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=3)
            sinks: list[list[Any]] = [[] for _ in range(5)]
            stream.partials.subscribe(sinks[0].append)
            stream.fields().subscribe(sinks[1].append)
            stream.finish.subscribe(sinks[2].append)
            stream.final.subscribe(sinks[3].append)
            stream.events.subscribe(sinks[4].append)
            stream.result()
        assert len(server.requests) == 2
        assert len(sinks[2]) == 1 and sinks[3] == [User(name="A", age=5)]


class TestTransport:
    def test_429_with_retry_after_then_success(self, serve: Any) -> None:
        """A 429's retry-after-ms is the wait; the SDK does not retry on its own."""
        script = [
            ScriptedReply.error(429, "slow down", headers={"retry-after-ms": "120"}),
            ['{"name": "A", "age": 5}'],
        ]
        with serve(script, max_retries=5) as (server, client):
            stream = ask(
                client,
                User,
                MESSAGES,
                transport_retry=rs.TransportRetry(initial=5.0),
            )
            events = collect(stream)
            started = time.monotonic()
            assert stream.result() == User(name="A", age=5)
            waited = time.monotonic() - started
        (retrying,) = [e for e in events if isinstance(e, rs.Retrying)]
        assert (retrying.reason, retrying.delay) == ("transport", 0.12)
        assert retrying.error.status_code == 429
        assert 0.12 <= waited < 3
        assert len(server.requests) == 2  # rxstruct's retry only, not the SDK's too
        assert server.requests[0].headers.get("x-stainless-retry-count") == "0"

    def test_500_twice_then_success(self, serve: Any) -> None:
        """Two 500s, each announced, then the answer; the attempts are numbered."""
        script = [
            ScriptedReply.error(500),
            ScriptedReply.error(500),
            ['{"name": "A", "age": 5}'],
        ]
        server, retrying = answered(
            serve, script, User(name="A", age=5), transport_retry=FAST
        )
        assert [(r.attempt, r.reason, r.delay) for r in retrying] == [
            (2, "transport", 0.01),
            (3, "transport", 0.02),
        ]
        assert len(server.requests) == 3

    def test_transport_exhausted(self, serve: Any) -> None:
        """Out of transport retries: every attempt's error, in one exception."""
        script = [ScriptedReply.error(503)] * 3
        with serve(script) as (server, client):
            stream = ask(
                client,
                User,
                MESSAGES,
                transport_retry=rs.TransportRetry(
                    max_retries=2, initial=0.01, jitter=0.0
                ),
            )
            with pytest.raises(rs.RetriesExhaustedError) as caught:
                stream.result()
        statuses = [a.error.status_code for a in caught.value.attempts]
        assert statuses == [503, 503, 503]
        assert len(server.requests) == 3

    def test_deadline(self, serve: Any) -> None:
        """No retry starts after the deadline: a long Retry-After ends it."""
        script = [ScriptedReply.error(429, headers={"retry-after": "30"})]
        with serve(script) as (server, client):
            stream = ask(
                client,
                User,
                MESSAGES,
                transport_retry=rs.TransportRetry(deadline=10.0),
            )
            with pytest.raises(rs.SourceError) as caught:
                stream.result()
        assert caught.value.status_code == 429
        assert len(server.requests) == 1

    def test_401_is_not_retried(self, serve: Any) -> None:
        """An error no retry can fix ends the stream at once."""
        with serve([ScriptedReply.error(401)]) as (server, client):
            stream = ask(client, User, MESSAGES, transport_retry=FAST)
            with pytest.raises(rs.SourceError) as caught:
                stream.result()
        assert caught.value.status_code == 401
        assert len(server.requests) == 1

    def test_connection_lost_before_the_first_token(self, serve: Any) -> None:
        """A connection closed before any token is a transport retry."""
        script = [
            ScriptedReply(deltas=['{"name": "A", "age": 5}'], drop_after=0),
            ['{"name": "A", "age": 5}'],
        ]
        server, (retrying,) = answered(
            serve, script, User(name="A", age=5), transport_retry=FAST
        )
        assert (retrying.reason, retrying.raw) == ("transport", "")
        assert retrying.error.status_code is None
        assert len(server.requests) == 2

    def test_drop_after_tokens_is_not_retried_silently(self, serve: Any) -> None:
        """A connection lost after tokens arrived ends the stream, by default."""
        script = [
            ScriptedReply(deltas=['{"name": ', '"A"', ', "age": 5}'], drop_after=2),
            ['{"name": "A", "age": 5}'],
        ]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, max_retries=2, transport_retry=FAST)
            with pytest.raises(rs.SourceError):
                stream.result()
        assert len(server.requests) == 1

    def test_drop_after_tokens_restarts_when_asked(self, serve: Any) -> None:
        """restart_after_tokens=True: the request starts over, announced."""
        script = [
            ScriptedReply(deltas=['{"name": ', '"A"', ', "age": 5}'], drop_after=2),
            ['{"name": "A", "age": 5}'],
        ]
        restart = rs.TransportRetry(initial=0.01, restart_after_tokens=True)
        server, (retrying,) = answered(
            serve, script, User(name="A", age=5), transport_retry=restart
        )
        assert (retrying.reason, retrying.raw) == ("restart", '{"name": "A"')
        assert server.requests[1].messages == MESSAGES  # the same request again

    def test_close_during_backoff(self, serve: Any) -> None:
        """close() during the wait: no further request reaches the server."""
        script = [
            ScriptedReply.error(429, headers={"retry-after": "5"}),
            ['{"name": "A", "age": 5}'],
        ]
        with serve(script) as (server, client):
            stream = ask(client, User, MESSAGES, transport_retry=rs.TransportRetry())
            waiting = threading.Event()
            stream.events.subscribe(lambda e: waiting.set(), lambda _: None)
            stream.connect()
            assert waiting.wait(5)
            started = time.monotonic()
            stream.close()
            with pytest.raises(rs.SourceError, match="closed by the consumer"):
                stream.result()
            assert time.monotonic() - started < 2
            time.sleep(0.2)
            assert len(server.requests) == 1
