"""rs.retry_with_feedback: re-asking over any request factory; virtual-time backoff."""

from __future__ import annotations

from typing import Any

import openai
import pytest
import reactivex as rx
from pydantic import BaseModel
from reactivex.testing import TestScheduler

import rxstruct as rs
from rxstruct.sources import from_chat_completion
from rxstruct.testing import ScriptedLLMServer, ScriptedReply, run_in_virtual_time


class Num(BaseModel):
    n: int


def labels(values: list[Any]) -> list[str]:
    out = []
    for event in values:
        if isinstance(event, rs.Retrying):
            out.append(f"retrying({event.attempt},{event.reason},{event.delay:g})")
        else:
            out.append(f"{event.kind}({event.value.n})")
    return out


class TestVirtualTime:
    def test_reask_marble(self) -> None:
        """The docstring's marble: invalid answer, Retrying, reset, new answer."""
        asked: list[list[Any]] = []
        answers = iter(['{"n": "x"}', '{"n": 1}'])

        def request(messages: list[Any]) -> rx.Observable[str]:
            asked.append(messages)
            return rx.of(next(answers))

        run = run_in_virtual_time(
            rs.retry_with_feedback(request, [{"role": "user", "content": "n?"}], Num)
        )
        assert labels(run.values()) == [
            "partial(None)",
            "retrying(2,reask,0)",
            "partial(None)",
            "partial(1)",
            "final(1)",
        ]
        assert [m["role"] for m in asked[1]] == ["user", "assistant", "user"]
        assert "n: Input should be a valid integer" in asked[1][2]["content"]

    def test_backoff_waits_on_the_scheduler(self) -> None:
        """Transport errors wait 1 then 2 (virtual) seconds, then the answer."""
        scheduler = TestScheduler()
        calls: list[float] = []
        replies = iter(
            [
                rx.throw(rs.SourceError("HTTP 500", status_code=500)),
                rx.throw(rs.SourceError("connection reset")),
                rx.of('{"n": 3}'),
            ]
        )

        def request(messages: list[Any]) -> rx.Observable[str]:
            calls.append(scheduler.clock)
            return next(replies)

        policy = rs.TransportRetry(initial=1.0, jitter=0.0)
        results = scheduler.start(
            lambda: rs.retry_with_feedback(
                request, [], Num, transport_retry=policy, scheduler=scheduler
            )
        )
        assert calls == [200.0, 201.0, 203.0]
        # Retrying (and the reset) at once, then the wait, then the request.
        times = [m.time for m in results.messages]
        assert times == [200.0, 200.0, 201.0, 201.0, 203.0, 203.0, 203.0]
        events = [m.value.value for m in results.messages if m.value.kind == "N"]
        assert labels(events) == [
            "retrying(2,transport,1)",
            "partial(None)",
            "retrying(3,transport,2)",
            "partial(None)",
            "partial(3)",
            "final(3)",
        ]

    def test_dispose_during_backoff_sends_nothing_more(self) -> None:
        """Disposing while waiting: the next request is never made."""
        scheduler = TestScheduler()
        calls: list[float] = []

        def request(messages: list[Any]) -> rx.Observable[str]:
            calls.append(scheduler.clock)
            return rx.throw(rs.SourceError("HTTP 503", status_code=503))

        policy = rs.TransportRetry(initial=10.0, jitter=0.0)
        results = scheduler.start(
            lambda: rs.retry_with_feedback(
                request, [], Num, transport_retry=policy, scheduler=scheduler
            ),
            disposed=205,
        )
        scheduler.advance_to(1000)
        assert calls == [200.0]
        assert [m.value.kind for m in results.messages] == ["N", "N"]

    def test_deadline_ends_with_every_attempt(self) -> None:
        """No retry past the deadline: RetriesExhaustedError with all attempts."""
        scheduler = TestScheduler()

        def request(messages: list[Any]) -> rx.Observable[str]:
            return rx.throw(rs.SourceError("HTTP 502", status_code=502))

        policy = rs.TransportRetry(initial=4.0, jitter=0.0, deadline=10.0)
        results = scheduler.start(
            lambda: rs.retry_with_feedback(
                request, [], Num, transport_retry=policy, scheduler=scheduler
            )
        )
        error = results.messages[-1].value.exception
        assert isinstance(error, rs.RetriesExhaustedError)
        assert [a.attempt for a in error.attempts] == [1, 2]  # 4 s, then 8 s > 10
        assert results.messages[-1].time == 204.0

    def test_tokens_then_drop_is_not_retried(self) -> None:
        """An error after text arrived ends the stream unless restarts are allowed."""
        source = rx.concat(rx.of('{"n": '), rx.throw(rs.SourceError("reset")))
        run = run_in_virtual_time(
            rs.retry_with_feedback(
                lambda messages: source,
                [],
                Num,
                transport_retry=rs.TransportRetry(initial=1.0),
            )
        )
        assert isinstance(run.error, rs.SourceError)

    def test_exhausted_reasks(self) -> None:
        """max_retries re-asks, then the error with every attempt's text."""
        run = run_in_virtual_time(
            rs.retry_with_feedback(
                lambda messages: rx.of('{"n": "no"}'), [], Num, max_retries=2
            )
        )
        error = run.error
        assert isinstance(error, rs.RetriesExhaustedError)
        assert [a.raw for a in error.attempts] == ['{"n": "no"}'] * 3

    def test_shared_subscribers_make_one_request_per_attempt(self) -> None:
        """share(): two subscribers, one request per attempt."""
        calls: list[int] = []
        answers = iter(['{"n": "x"}', '{"n": 2}'])

        def request(messages: list[Any]) -> rx.Observable[str]:
            calls.append(len(messages))
            return rx.of(next(answers))

        shared = rs.retry_with_feedback(request, [], Num).pipe(rx.operators.share())
        first: list[Any] = []
        second: list[Any] = []
        scheduler = TestScheduler()
        scheduler.schedule_absolute(
            1, lambda *_: shared.subscribe(first.append, scheduler=scheduler)
        )
        scheduler.schedule_absolute(
            1, lambda *_: shared.subscribe(second.append, scheduler=scheduler)
        )
        scheduler.start()
        assert calls == [0, 2]
        assert labels(first)[-1] == "final(2)"
        assert labels(second) == labels(first)[-2:] == ["partial(2)", "final(2)"]

    def test_usage_error(self) -> None:
        """A negative max_retries is refused at once."""
        with pytest.raises(rs.UsageError):
            rs.retry_with_feedback(lambda m: rx.empty(), [], Num, max_retries=-1)


class TestRealHTTP:
    def test_reask_and_retry_after_over_http(self) -> None:
        """With the openai SDK source: a 429 (retry-after-ms), then a re-ask."""
        script = [
            ScriptedReply.error(429, headers={"retry-after-ms": "20"}),
            ['{"n": "seven"}'],
            ['{"n": 7}'],
        ]
        with ScriptedLLMServer(script) as server:
            with openai.OpenAI(
                base_url=server.base_url, api_key="local", max_retries=0
            ) as client:
                events = (
                    rs.retry_with_feedback(
                        lambda messages: from_chat_completion(
                            client, model="m", messages=messages
                        ),
                        [{"role": "user", "content": "n?"}],
                        Num,
                        transport_retry=rs.TransportRetry(),
                    )
                    .pipe(rx.operators.to_list())
                    .run()
                )
        assert labels(events)[-1] == "final(7)"
        retrying = [e for e in events if isinstance(e, rs.Retrying)]
        assert [(r.reason, r.delay) for r in retrying] == [
            ("transport", 0.02),
            ("reask", 0.0),
        ]
        assert len(server.requests) == 3
        assert server.requests[2].messages[1] == {
            "role": "assistant",
            "content": '{"n": "seven"}',
        }
