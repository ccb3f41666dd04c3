"""The retry policy: backoff, Retry-After, what is retried, the feedback's shape."""

from __future__ import annotations

import pickle
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rxstruct as rs
from rxstruct._retry import (
    feedback,
    is_reaskable,
    is_transient,
    parse_retry_after,
    reask_messages,
)


class TestBackoff:
    @given(
        retry=st.integers(1, 30),
        initial=st.floats(0, 10),
        maximum=st.floats(0, 60),
        jitter=st.floats(0, 1),
        seed=st.integers(0, 2**32),
    )
    def test_delay_within_bounds(
        self, retry: int, initial: float, maximum: float, jitter: float, seed: int
    ) -> None:
        """Every wait lies in [w * (1 - jitter), w] with w the capped exponential."""
        policy = rs.TransportRetry(initial=initial, maximum=maximum, jitter=jitter)
        wait = policy.delay(retry, rng=random.Random(seed))
        full = min(maximum, initial * 2.0 ** (retry - 1))
        assert full * (1 - jitter) - 1e-9 <= wait <= full + 1e-9

    def test_retry_after_wins(self) -> None:
        """The server's Retry-After replaces the computed wait, without jitter."""
        assert rs.TransportRetry().delay(3, retry_after=0.25) == 0.25

    def test_allows(self) -> None:
        """Retries are counted and bounded by the deadline."""
        policy = rs.TransportRetry(max_retries=2, deadline=5.0)
        assert policy.allows(2, elapsed=1.0, delay=1.0)
        assert not policy.allows(3, elapsed=1.0, delay=1.0)
        assert not policy.allows(1, elapsed=4.5, delay=1.0)
        assert rs.TransportRetry(deadline=None).allows(1, elapsed=1e9, delay=1e9)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"max_retries": -1},
            {"initial": -1.0},
            {"multiplier": 0.5},
            {"jitter": 2.0},
            {"deadline": 0.0},
        ],
    )
    def test_bad_policy(self, kwargs: dict[str, float]) -> None:
        """A policy that cannot work is refused when it is made."""
        with pytest.raises(rs.UsageError):
            rs.TransportRetry(**kwargs)  # type: ignore[arg-type]

    def test_parse_retry_after(self) -> None:
        """retry-after-ms first, then Retry-After in seconds; junk is ignored."""
        assert parse_retry_after({"Retry-After-Ms": "1500", "retry-after": "9"}) == 1.5
        assert parse_retry_after({"retry-after": "3"}) == 3.0
        assert parse_retry_after({"retry-after": "soon"}) is None
        assert parse_retry_after({"retry-after-ms": "x", "retry-after": "1"}) == 1.0
        assert parse_retry_after({}) is None


class TestWhatIsRetried:
    @pytest.mark.parametrize(
        ("status", "transient"),
        [
            (None, True),
            (408, True),
            (409, True),
            (429, True),
            (500, True),
            (503, True),
            (400, False),
            (401, False),
            (404, False),
        ],
    )
    def test_transient(self, status: int | None, transient: bool) -> None:
        """Rate limits, timeouts, 5xx and lost connections are worth a retry."""
        assert is_transient(rs.SourceError("x", status_code=status)) is transient

    def test_reaskable(self) -> None:
        """Bad, cut or invalid answers are re-asked; not limits or refusals."""
        assert is_reaskable(rs.JsonStreamError("bad", "{x", 1))
        assert is_reaskable(rs.IncompleteJsonError("cut", "{", 1))
        assert not is_reaskable(
            rs.JsonLimitError("deep", "[[", 1, limit="max_depth", maximum=1)
        )
        assert not is_reaskable(rs.RefusalError("no", refusal="no"))
        assert not is_transient(rs.RefusalError("no", refusal="no"))

    def test_feedback_texts(self) -> None:
        """Each reason gets its own sentence to the model."""
        assert "not valid JSON" in feedback(rs.JsonStreamError("bad", "{x", 1))
        assert "could not be used" in feedback(rs.SourceError("gone"))

    def test_tool_messages(self) -> None:
        """Tool mode: the call id links the answer and the feedback."""
        failed = rs.FailedAttempt(
            attempt=2, error=rs.IncompleteJsonError("cut", "{", 1), raw="{"
        )
        assistant, tool = reask_messages("tools", failed, tool_name="T", call_id="c1")
        assert assistant["tool_calls"][0]["id"] == tool["tool_call_id"] == "c1"
        fallback, _ = reask_messages("tools", failed, tool_name="T")
        assert fallback["tool_calls"][0]["id"] == "call_rxstruct_2"


class TestExhausted:
    def test_pickles(self) -> None:
        """The exhausted error survives pickling (e.g. across processes)."""
        error = rs.RetriesExhaustedError(
            [rs.FailedAttempt(attempt=1, error=rs.UsageError("u"), raw="r")]
        )
        again = pickle.loads(pickle.dumps(error))
        assert str(again) == str(error)
        assert again.attempts[0].raw == "r"

    def test_needs_an_attempt(self) -> None:
        """An empty history is a bug in the caller."""
        with pytest.raises(rs.UsageError):
            rs.RetriesExhaustedError([])
