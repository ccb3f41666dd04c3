"""Re-ask against the real model: the server receives the feedback.

A model validator rejects the first answer (it reads the attempt number that
``rs.stream(..., max_retries=1)`` puts in the validation context), so a second
request is made with the model's answer and the validator's message appended.

What llama-server received is observed by the ``recording_proxy`` fixture (a
reverse proxy on 127.0.0.1 between the SDK and the server, see conftest.py):
llama-server itself shows no request's messages (``/slots`` has no prompt field
in this build, and its verbose log depends on its version and slows every
token), while the proxy keeps each request body as the server got it and the
answer it streamed back, whose usage chunk carries the server's own count of
the prompt's tokens.
"""

from __future__ import annotations

import json
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

import rxstruct as rs
from rxstruct.testing import LlamaServer

REJECTION = "rejected on purpose: the first answer never passes"


class Pet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=20)
    species: str = Field(min_length=2, max_length=20)

    @model_validator(mode="after")
    def reject_the_first_answer(self, info: ValidationInfo) -> Pet:
        if (info.context or {}).get("rxstruct_attempt") == 1:
            raise ValueError(f"{REJECTION} ({self.name!r})")
        return self


EXAMPLE = {"name": "Rex", "species": "dog"}
MESSAGES: list[Any] = [
    {"role": "user", "content": "A pet, as JSON."},
    {"role": "assistant", "content": json.dumps(EXAMPLE)},
    {"role": "user", "content": "Another pet, as JSON."},
]


def test_reask_carries_the_validation_error_to_the_server(
    llama_server: LlamaServer, recording_proxy: Any
) -> None:
    """Two requests at the server; the second holds the answer and the error."""
    with openai.OpenAI(
        base_url=recording_proxy.base_url, api_key="local", max_retries=0, timeout=60
    ) as client:
        stream = rs.stream(
            client,
            response_model=Pet,
            messages=MESSAGES,
            model=llama_server.model,
            max_tokens=60,
            temperature=0,
            max_retries=1,
        )
        events: list[Any] = []
        stream.events.subscribe(events.append)
        partials = [partial.model_dump() for partial in stream]
        final = stream.get_final_response()

    first, second = recording_proxy.exchanges
    assert [first.path, second.path] == ["/v1/chat/completions"] * 2
    assert first.body["messages"] == MESSAGES
    answer = first.content()
    assert Pet.model_validate_json(answer, context={"rxstruct_attempt": 2})

    # The second request: the same conversation, then the model's own answer
    # and what was wrong with it, and the same schema.
    sent = second.body["messages"]
    assert sent[: len(MESSAGES)] == MESSAGES
    reply, feedback = sent[len(MESSAGES) :]
    assert reply == {"role": "assistant", "content": answer}
    assert feedback["role"] == "user"
    name = json.loads(answer)["name"]
    assert f"{REJECTION} ({name!r})" in feedback["content"]
    assert second.body["response_format"] == first.body["response_format"]
    # The server's own count: the second prompt is the first one, its answer
    # and the feedback (dozens of tokens more), as llama-server tokenised it.
    grown = second.usage()["prompt_tokens"] - first.usage()["prompt_tokens"]
    assert grown > first.usage()["completion_tokens"] + 10, grown

    # The stream announced the restart, with the first attempt's text.
    [retrying] = [event for event in events if isinstance(event, rs.Retrying)]
    assert (retrying.attempt, retrying.reason, retrying.raw) == (2, "reask", answer)
    assert isinstance(retrying.error, rs.FinalValidationError)
    assert REJECTION in str(retrying.error)
    # Each attempt streamed partials; only the second one finished.
    kinds = [event.kind for event in events]
    at = kinds.index("retrying")
    assert "partial" in kinds[:at] and "partial" in kinds[at + 1 :]
    assert kinds[-2:] == ["finished", "final"] and kinds.count("final") == 1
    assert events[-1].value == final

    # The final is the second answer, validated (attempt 2 passes).
    assert final == Pet.model_validate_json(second.content())
    assert partials[-1] == final.model_dump()
    assert stream.finished is not None and stream.finished.finish_reason == "stop"
