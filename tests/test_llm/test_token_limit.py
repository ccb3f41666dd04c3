"""A real ``length`` finish: the model stops at ``max_tokens`` inside the JSON."""

from __future__ import annotations

import threading
from typing import Any

import openai
from pydantic import BaseModel, Field
from reactivex import operators as ops

import rxstruct as rs
from rxstruct.sources import StreamEnded, from_chat_completion
from rxstruct.testing import LlamaServer

WAIT = 120.0


class Dish(BaseModel):
    name: str = Field(min_length=3, max_length=30)
    ingredients: list[str] = Field(min_length=4, max_length=4)


class Menu(BaseModel):
    dishes: list[Dish] = Field(min_length=4, max_length=4)


def test_length_finish_is_an_incomplete_json_error(
    client: openai.OpenAI, llama_server: LlamaServer
) -> None:
    """max_tokens=12 cuts the menu: finish_reason 'length', IncompleteJsonError.

    The source reports the token limit (``StreamEnded.truncated``, just before
    completion); the decoder reports where the JSON was cut, positioned at the
    end of the text.
    """
    ended: list[StreamEnded] = []
    deltas: list[str] = []
    outcome: dict[str, Any] = {}
    finished = threading.Event()
    tokens = from_chat_completion(
        client,
        model=llama_server.model,
        messages=[{"role": "user", "content": "A menu of four dishes, as JSON."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "menu", "schema": Menu.model_json_schema()},
        },
        max_tokens=12,
        temperature=0,
        stream_options={"include_usage": True},
        on_finish=ended.append,
    )
    tokens.pipe(
        ops.do_action(deltas.append),
        rs.accumulate_json(),
        rs.validate_final(Menu),
    ).subscribe(
        on_next=lambda value: outcome.setdefault("value", value),
        on_error=lambda error: (outcome.setdefault("error", error), finished.set()),
        on_completed=finished.set,
    )
    assert finished.wait(WAIT), "the stream did not end"
    [end] = ended
    assert end.finish_reason == "length" and end.truncated
    assert end.usage.completion_tokens == 12  # the server's count: at the limit
    error = outcome.get("error")
    assert isinstance(error, rs.IncompleteJsonError), outcome
    assert "value" not in outcome
    assert str(error).startswith("the stream ended inside")
    assert error.open_path is not None and error.open_path[:1] == ("dishes",)
    assert error.offset == len("".join(deltas))  # the cut is at the very end
    assert end.deltas == len(deltas) >= 5
