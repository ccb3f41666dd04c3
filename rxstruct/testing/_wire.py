"""The wire formats of a :class:`~rxstruct.testing.ScriptedLLMServer`.

One encoder per API turns a scripted reply into bytes: the Chat Completions
stream (``data:`` chunks ending with ``data: [DONE]``) and the Responses API
stream (``event:``/``data:`` pairs), each shaped like llama.cpp's
``llama-server``, or the whole answer as one JSON object for ``stream: false``.
"""

from __future__ import annotations

import json
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from ._script import ScriptedDelta

__all__ = [
    "ChatEncoder",
    "Encoder",
    "ResponsesEncoder",
    "dumps",
    "rough_tokens",
]


# --- wire formats --------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def rough_tokens(value: Any) -> int:
    """A token count for ``usage``: about four characters per token."""
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4) if value else 0


def _token(length: int = 32) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


class Encoder(ABC):
    """Turns a reply into the bytes of one API's stream or JSON answer."""

    @abstractmethod
    def opening(self) -> Iterator[bytes]:
        """The events before the first delta."""

    @abstractmethod
    def delta(self, step: ScriptedDelta) -> bytes:
        """The event carrying one delta."""

    @abstractmethod
    def closing(self, finish_reason: str) -> Iterator[bytes]:
        """The events after the last delta."""

    @abstractmethod
    def whole(self, finish_reason: str) -> dict[str, Any]:
        """The whole answer as one JSON object, for ``stream: false``."""


class ChatEncoder(Encoder):
    """Chat Completions, as llama.cpp's llama-server sends them."""

    def __init__(
        self, *, model: str, tool_name: str, include_usage: bool, prompt_tokens: int
    ) -> None:
        self.model = model
        self.tool_name = tool_name
        self.include_usage = include_usage
        self.prompt_tokens = prompt_tokens
        self.id = f"chatcmpl-{_token()}"
        self.created = int(time.time())
        self.content: list[str] = []
        self.tool_calls: dict[int, tuple[str, list[str]]] = {}
        self.sent = 0

    def _envelope(self, obj: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            **body,
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "system_fingerprint": "b0-unknown",
            "object": obj,
        }

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"finish_reason": finish_reason, "index": 0, "delta": delta}
        chunk = self._envelope("chat.completion.chunk", {"choices": [choice]})
        return b"data: " + dumps(chunk) + b"\n\n"

    def _usage(self) -> dict[str, int]:
        return {
            "completion_tokens": self.sent,
            "prompt_tokens": self.prompt_tokens,
            "total_tokens": self.sent + self.prompt_tokens,
        }

    def opening(self) -> Iterator[bytes]:
        yield self._chunk({"role": "assistant", "content": None})

    def delta(self, step: ScriptedDelta) -> bytes:
        self.sent += 1
        if step.refusal:
            return self._chunk({"refusal": step.text})
        if step.tool_call is None:
            self.content.append(step.text)
            return self._chunk({"content": step.text})
        index = step.tool_call
        call: dict[str, Any] = {"index": index}
        if index not in self.tool_calls:
            self.tool_calls[index] = (_token(), [])
            call["id"] = self.tool_calls[index][0]
            call["type"] = "function"
            call["function"] = {"name": self.tool_name, "arguments": step.text}
        else:
            call["function"] = {"arguments": step.text}
        self.tool_calls[index][1].append(step.text)
        return self._chunk({"tool_calls": [call]})

    def closing(self, finish_reason: str) -> Iterator[bytes]:
        yield self._chunk({}, finish_reason)
        if self.include_usage:
            usage = self._envelope(
                "chat.completion.chunk", {"choices": [], "usage": self._usage()}
            )
            yield b"data: " + dumps(usage) + b"\n\n"
        yield b"data: [DONE]\n\n"

    def whole(self, finish_reason: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(self.content) if self.content else None,
        }
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "type": "function",
                    "function": {"name": self.tool_name, "arguments": "".join(parts)},
                    "id": call_id,
                }
                for _, (call_id, parts) in sorted(self.tool_calls.items())
            ]
        choice = {"finish_reason": finish_reason, "index": 0, "message": message}
        return self._envelope(
            "chat.completion", {"choices": [choice], "usage": self._usage()}
        )


class ResponsesEncoder(Encoder):
    """The Responses API, as llama.cpp's llama-server sends it (text only)."""

    def __init__(self, *, model: str, prompt_tokens: int) -> None:
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.id = f"resp_{_token()}"
        self.item_id = f"msg_{_token()}"
        self.created = int(time.time())
        self.text: list[str] = []
        self.sent = 0

    @staticmethod
    def _event(kind: str, body: dict[str, Any]) -> bytes:
        data = dumps({"type": kind, **body})
        return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"

    def _part(self) -> dict[str, Any]:
        text = "".join(self.text)
        return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}

    def _item(self, status: str) -> dict[str, Any]:
        return {
            "type": "message",
            "status": status,
            "id": self.item_id,
            "content": [self._part()],
            "role": "assistant",
        }

    def _response(self, finish_reason: str) -> dict[str, Any]:
        truncated = finish_reason == "length"
        status = "incomplete" if truncated else "completed"
        details = {"reason": "max_output_tokens"} if truncated else None
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "incomplete_details": details,
            "model": self.model,
            "output": [self._item(status)],
            "usage": {
                "input_tokens": self.prompt_tokens,
                "output_tokens": self.sent,
                "total_tokens": self.prompt_tokens + self.sent,
            },
        }

    def opening(self) -> Iterator[bytes]:
        stub = {"id": self.id, "object": "response", "status": "in_progress"}
        yield self._event("response.created", {"response": stub})
        yield self._event("response.in_progress", {"response": stub})
        item = {
            "content": [],
            "id": self.item_id,
            "role": "assistant",
            "status": "in_progress",
            "type": "message",
        }
        yield self._event("response.output_item.added", {"item": item})
        yield self._event(
            "response.content_part.added",
            {"item_id": self.item_id, "part": {"type": "output_text", "text": ""}},
        )

    def delta(self, step: ScriptedDelta) -> bytes:
        self.sent += 1
        if step.tool_call is not None:
            return b""  # tool-call deltas are scripted for Chat Completions only
        if step.refusal:
            return self._event(
                "response.refusal.delta",
                {
                    "item_id": self.item_id,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": step.text,
                    "sequence_number": self.sent,
                },
            )
        self.text.append(step.text)
        return self._event(
            "response.output_text.delta", {"item_id": self.item_id, "delta": step.text}
        )

    def closing(self, finish_reason: str) -> Iterator[bytes]:
        text = "".join(self.text)
        yield self._event(
            "response.output_text.done", {"item_id": self.item_id, "text": text}
        )
        yield self._event(
            "response.content_part.done",
            {"item_id": self.item_id, "part": self._part()},
        )
        response = self._response(finish_reason)
        yield self._event("response.output_item.done", {"item": response["output"][0]})
        kind = (
            "response.incomplete"
            if response["status"] == "incomplete"
            else "response.completed"
        )
        yield self._event(kind, {"response": response})

    def whole(self, finish_reason: str) -> dict[str, Any]:
        return self._response(finish_reason)
