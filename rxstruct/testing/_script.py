"""What a :class:`~rxstruct.testing.ScriptedLLMServer` answers, and what it received.

A script is a list of replies, one per request, in order: a retry gets the
next one. A reply is a list of text deltas (optionally timed), or a
:class:`ScriptedReply` that can also fail: an HTTP error status, a connection
dropped mid-stream, a stall. Every request is recorded as a
:class:`RecordedRequest`, parsed, so a test can check what the client sent.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import UsageError
from ..sources import Recording, load_recording

__all__ = [
    "RecordedRequest",
    "ScriptedDelta",
    "ScriptedReply",
]


# --- the script ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ScriptedDelta:
    """One piece of text the server sends, after an optional pause.

    Example:
        >>> ScriptedDelta(text='{"na', delay=0.05)
        ScriptedDelta(text='{"na', delay=0.05, tool_call=None, refusal=False)
    """

    text: str
    """The text of the delta."""

    delay: float = 0.0
    """Seconds to wait before sending it, divided by the server's ``speed``."""

    tool_call: int | None = None
    """``None`` for message content; else the index of the tool call whose
    ``function.arguments`` this delta extends (Chat Completions only)."""

    refusal: bool = False
    """The text is a piece of a refusal (Chat Completions ``delta.refusal``,
    Responses ``response.refusal.delta``), not of the answer."""


@dataclass(frozen=True, kw_only=True)
class ScriptedReply:
    """What the server answers to one request.

    By default a successful stream of ``deltas``; the other fields make it
    fail in the ways real servers do.

    Example:
        >>> ScriptedReply(deltas=['{"a"', ": 1}"], delay=0.01).steps()[0]
        ScriptedDelta(text='{"a"', delay=0.01, tool_call=None, refusal=False)
        >>> ScriptedReply.error(429).status
        429
    """

    deltas: Sequence[str | ScriptedDelta] = ()
    """The text deltas, in order; a plain string waits ``delay`` before it."""

    delay: float = 0.0
    """Seconds before each plain-string delta, divided by the server's ``speed``."""

    finish_reason: str | None = None
    """The final ``finish_reason``: ``"stop"``, ``"length"``, ... By default
    ``"tool_calls"`` if the reply has tool-call deltas, else ``"stop"``."""

    tool_name: str = "scripted_tool"
    """The function name sent with the first delta of each tool call."""

    status: int = 200
    """HTTP status. Anything but 200 answers at once with an OpenAI-style error
    body ``{"error": {"message", "type", "code"}}`` and no stream."""

    error_message: str = "scripted failure"
    """The ``error.message`` of an error status."""

    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra response headers, e.g. ``{"retry-after-ms": "10"}`` for a 429."""

    drop_after: int | None = None
    """Close the connection after sending this many deltas, mid-stream: no
    final chunk, no ``[DONE]``, an unfinished chunked body."""

    stall_after: int | None = None
    """Stop sending after this many deltas, for ``stall_seconds``."""

    stall_seconds: float = 0.0
    """Length of the stall, in real seconds (not divided by ``speed``: a stall
    is measured against a real timeout). The server gives up early when the
    client hangs up or the server closes."""

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> ScriptedReply:
        """A reply that fails with HTTP ``status`` and an OpenAI-style error body."""
        return cls(
            status=status,
            error_message=message or f"scripted failure (HTTP {status})",
            headers=dict(headers or {}),
        )

    @classmethod
    def from_recording(cls, recording: Recording | str | Path) -> ScriptedReply:
        """The deltas of a recording, with its timing and its ``finish_reason``.

        Example:
            >>> from rxstruct.sources import demo_recording_path
            >>> reply = ScriptedReply.from_recording(demo_recording_path())
            >>> reply.finish_reason, reply.steps()[0].text
            ('stop', '{')
        """
        if not isinstance(recording, Recording):
            recording = load_recording(recording)
        steps: list[str | ScriptedDelta] = []
        previous = 0.0
        for at, text in recording.events():
            steps.append(ScriptedDelta(text=text, delay=max(0.0, at - previous)))
            previous = max(previous, at)
        finish = recording.header.get("finish_reason")
        return cls(deltas=steps, finish_reason=str(finish) if finish else None)

    def steps(self) -> list[ScriptedDelta]:
        """The deltas as :class:`ScriptedDelta` objects, with their delays."""
        return [
            ScriptedDelta(text=step, delay=self.delay)
            if isinstance(step, str)
            else step
            for step in self.deltas
        ]

    def resolved_finish_reason(self) -> str:
        """``finish_reason``, or the default for the kind of deltas sent."""
        if self.finish_reason is not None:
            return self.finish_reason
        if any(step.tool_call is not None for step in self.steps()):
            return "tool_calls"
        return "stop"


def as_reply(entry: ScriptedReply | Sequence[str]) -> ScriptedReply:
    if isinstance(entry, ScriptedReply):
        return entry
    if isinstance(entry, str):
        raise UsageError(
            "a scripted reply is a list of deltas, not a string: "
            f"write [{entry!r}] or ScriptedReply(deltas=[...])"
        )
    deltas = list(entry)
    for delta in deltas:
        if not isinstance(delta, str | ScriptedDelta):
            raise UsageError(f"a delta must be a str or ScriptedDelta, got {delta!r}")
    return ScriptedReply(deltas=deltas)


# --- what was received -----------------------------------------------------------


@dataclass(eq=False, kw_only=True)
class RecordedRequest:
    """One request the server received, and what became of its answer.

    ``deltas_sent`` and ``client_disconnected`` change while the answer is
    being sent; read them after :meth:`wait_finished`.

    Example:
        >>> import openai
        >>> from rxstruct.testing import ScriptedLLMServer
        >>> hi = [{"role": "user", "content": "Hi"}]
        >>> with ScriptedLLMServer([["{}"]]) as server:
        ...     with openai.OpenAI(base_url=server.base_url, api_key="k") as client:
        ...         _ = client.chat.completions.create(model="local", messages=hi)
        ...     request = server.requests[0]
        >>> request.path, request.body["model"], request.messages == hi
        ('/v1/chat/completions', 'local', True)
        >>> request.wait_finished(), request.client_disconnected
        (True, False)
    """

    method: str
    """The HTTP method, ``"POST"``."""

    path: str
    """The request path, e.g. ``"/v1/chat/completions"``."""

    headers: dict[str, str]
    """The request headers, with lower-case names."""

    body: Any
    """The parsed JSON body (``None`` if the body was not JSON)."""

    reply: ScriptedReply | None = None
    """The scripted reply that answered it; ``None`` if none was used (an
    unknown path, a body that is not JSON, an exhausted script)."""

    deltas_sent: int = 0
    """How many deltas were written to the socket."""

    client_disconnected: bool = False
    """The client closed the connection before the answer was complete."""

    _finished: threading.Event = field(
        default_factory=threading.Event, init=False, repr=False
    )

    @property
    def messages(self) -> list[Any]:
        """The ``messages`` of a Chat Completions request (empty otherwise)."""
        if isinstance(self.body, dict):
            return list(self.body.get("messages") or [])
        return []

    @property
    def finished(self) -> bool:
        """The server is done with this request (answered, failed or hung up on)."""
        return self._finished.is_set()

    def wait_finished(self, timeout: float = 5.0) -> bool:
        """Block until :attr:`finished`, at most ``timeout`` seconds; return it."""
        return self._finished.wait(timeout)
