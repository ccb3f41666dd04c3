"""rs.stream with a sync client: iteration, the final, views on one request."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import reactivex
from pydantic import BaseModel, Field, ValidationInfo, field_validator
from reactivex import operators as ops

import rxstruct as rs
from rxstruct.testing import ScriptedDelta, ScriptedReply
from tests.helpers import ask

MESSAGES: Any = [{"role": "user", "content": "Three ideas, as JSON."}]


class Idea(BaseModel):
    title: str
    blurb: str = Field(max_length=140)


class Ideas(BaseModel):
    ideas: list[Idea]


class User(BaseModel):
    name: str
    age: int


IDEAS = {"ideas": [{"title": f"Idea {n}", "blurb": f"blurb {n}"} for n in range(3)]}


def chunks(value: Any, size: int = 7) -> list[str]:
    text = json.dumps(value)
    return [text[i : i + size] for i in range(0, len(text), size)]


class TestIteration:
    def test_partials_then_final(self, serve: Any) -> None:
        """for partial in stream, then get_final_response(): one request."""
        with serve([chunks(IDEAS)]) as (server, client):
            stream = ask(client, Ideas, MESSAGES)
            partials = list(stream)
            final = stream.get_final_response()
        assert final == Ideas.model_validate(IDEAS)
        assert len(server.requests) == 1
        assert all(isinstance(p, rs.Partial) for p in partials)
        titles = [[i.title for i in p.ideas or []] for p in partials]
        assert titles[-1] == ["Idea 0", "Idea 1", "Idea 2"]
        # The end of the text (no new character) brings no extra partial.
        assert partials.count(partials[-1]) <= 3

    def test_list_response_model_is_unwrapped(self, serve: Any) -> None:
        """list[Model]: {"items": [...]} on the wire, a list for the user."""
        with serve([chunks({"items": IDEAS["ideas"]})]) as (server, client):
            stream = ask(client, list[Idea], MESSAGES)
            partials = list(stream)
            final = stream.get_final_response()
        assert final == [Idea.model_validate(i) for i in IDEAS["ideas"]]
        assert all(isinstance(p, list) for p in partials)
        assert [i.title for i in partials[-1]] == ["Idea 0", "Idea 1", "Idea 2"]
        schema = server.requests[0].body["response_format"]["json_schema"]
        assert schema["name"] == "Idea_list"
        assert schema["strict"] is True
        assert schema["schema"]["required"] == ["items"]

    def test_result_only(self, serve: Any) -> None:
        """result() reads everything and returns the final."""
        with serve([chunks({"name": "Ada", "age": 38})]) as (_, client):
            stream = ask(client, User, MESSAGES)
            assert stream.result() == User(name="Ada", age=38)
            assert stream.result() == User(name="Ada", age=38)  # no new request

    def test_reading_twice_is_refused(self, serve: Any) -> None:
        """A stream is one request: a second loop says so."""
        with serve([chunks({"name": "Ada", "age": 38})]) as (server, client):
            stream = ask(client, User, MESSAGES)
            list(stream)
            with pytest.raises(rs.RxStructError, match="already been read"):
                list(stream)
            assert len(server.requests) == 1

    def test_validators_and_context_run_on_the_final(self, serve: Any) -> None:
        """The final is validated with the model's validators and the context."""
        seen: list[Any] = []

        class Shouted(BaseModel):
            name: str

            @field_validator("name")
            @classmethod
            def shout(cls, name: str, info: ValidationInfo) -> str:
                seen.append(info.context)
                return name.upper() + info.context["suffix"]

        with serve([chunks({"name": "ada"})]) as (_, client):
            stream = ask(client, Shouted, MESSAGES, context={"suffix": "!"})
            assert stream.result().name == "ADA!"
        assert seen == [{"rxstruct_partial": False, "suffix": "!"}]

    def test_request_fields(self, serve: Any) -> None:
        """Typed parameters become the request's fields; extra_body is merged."""
        with serve([chunks({"name": "Ada", "age": 38})]) as (server, client):
            ask(
                client,
                User,
                MESSAGES,
                model="gemma",
                max_tokens=64,
                temperature=0.2,
                extra_body={"top_k": 5},
            ).result()
        body = server.requests[0].body
        assert body["model"] == "gemma"
        assert body["messages"] == MESSAGES
        assert body["max_tokens"] == 64
        assert body["temperature"] == 0.2
        assert body["top_k"] == 5
        assert body["stream"] is True
        assert body["stream_options"] == {"include_usage": True}

    def test_latest_gives_the_newest_partial(self, serve: Any) -> None:
        """latest=True: a slow loop skips to the newest partial, final intact."""
        with serve([chunks(IDEAS, 3)]) as (_, client):
            stream = ask(client, Ideas, MESSAGES, latest=True)
            seen = []
            for partial in stream:
                seen.append(partial)
                stream._run.done.wait(5)  # a loop body slower than the stream
            final = stream.get_final_response()
        assert final == Ideas.model_validate(IDEAS)
        assert len(seen) <= 2
        assert [i.title for i in seen[-1].ideas] == ["Idea 0", "Idea 1", "Idea 2"]


class TestModes:
    def test_tools_mode_forces_one_tool_call(self, serve: Any) -> None:
        """mode="tools": the schema is a forced function; its arguments stream."""
        reply = ScriptedReply(
            deltas=[
                ScriptedDelta(text=text, tool_call=0)
                for text in chunks({"name": "Ada", "age": 38})
            ]
        )
        with serve([reply]) as (server, client):
            stream = ask(client, User, MESSAGES, mode="tools")
            assert stream.result() == User(name="Ada", age=38)
            assert stream.finished is not None
            assert stream.finished.finish_reason == "tool_calls"
        body = server.requests[0].body
        assert "response_format" not in body
        (tool,) = body["tools"]
        assert tool["function"]["name"] == "User"
        assert tool["function"]["strict"] is True
        assert tool["function"]["parameters"]["additionalProperties"] is False
        assert body["tool_choice"] == {"type": "function", "function": {"name": "User"}}

    def test_responses_mode(self, serve: Any) -> None:
        """mode="responses": text.format json_schema on /v1/responses."""
        with serve([chunks({"name": "Ada", "age": 38})]) as (server, client):
            stream = ask(client, User, MESSAGES, mode="responses", max_tokens=50)
            assert stream.result() == User(name="Ada", age=38)
            assert stream.finished is not None
            assert stream.finished.finish_reason == "stop"
            assert stream.finished.usage.output_tokens > 0
        request = server.requests[0]
        assert request.path == "/v1/responses"
        assert request.body["input"] == MESSAGES
        assert request.body["max_output_tokens"] == 50
        text_format = request.body["text"]["format"]
        assert text_format["type"] == "json_schema"
        assert text_format["name"] == "User"
        assert text_format["schema"]["required"] == ["name", "age"]

    def test_unknown_mode(self, serve: Any) -> None:
        with serve([]) as (_, client):
            with pytest.raises(rs.UsageError, match="mode must be one of"):
                ask(client, User, MESSAGES, mode="xml")


class TestViews:
    def test_views_share_one_request(self, serve: Any) -> None:
        """partials, items, fields, finish, final, events: one request."""
        with serve([chunks(IDEAS)]) as (server, client):
            stream = ask(client, Ideas, MESSAGES, items="ideas")
            got: dict[str, list[Any]] = {
                name: [] for name in ("partial", "item", "field", "finish", "final")
            }
            events: list[Any] = []
            stream.partials.subscribe(got["partial"].append)
            stream.items.subscribe(got["item"].append)
            stream.fields("ideas[*].title").subscribe(got["field"].append)
            stream.finish.subscribe(got["finish"].append)
            stream.final.subscribe(got["final"].append)
            stream.events.subscribe(events.append)
            final = stream.result()
        assert len(server.requests) == 1
        assert [item.value for item in got["item"]] == final.ideas
        assert [f.value for f in got["field"]] == ["Idea 0", "Idea 1", "Idea 2"]
        assert got["final"] == [final]
        (finished,) = got["finish"]
        assert finished.finish_reason == "stop"
        assert finished.usage.completion_tokens == len(chunks(IDEAS))
        assert finished.time_to_first_token is not None
        assert 0 < finished.time_to_first_token <= finished.duration
        kinds = [event.kind for event in events]
        assert kinds[-2:] == ["finished", "final"]
        assert kinds.count("list_item") == 3
        assert kinds.count("partial") == len(got["partial"])

    def test_final_is_last_even_after_a_debounced_partial_view(
        self, serve: Any
    ) -> None:
        """A debounce on the partial view flushes before the final arrives."""
        with serve([chunks(IDEAS)]) as (_, client):
            stream = ask(client, Ideas, MESSAGES)
            ui: list[tuple[str, Any]] = []
            reactivex.merge(
                stream.partials.pipe(
                    rs.debounce(3600.0), ops.map(lambda p: ("partial", p))
                ),
                stream.final.pipe(ops.map(lambda f: ("final", f))),
            ).subscribe(ui.append)
            stream.result()
        assert [kind for kind, _ in ui] == ["partial", "partial", "final"]
        assert ui[1][1].ideas[-1].blurb == "blurb 2"  # the flushed last partial

    def test_items_of_a_nested_path_are_typed_from_the_model(self, serve: Any) -> None:
        """items='ideas' finds Idea from the model's annotations."""
        with serve([chunks(IDEAS)]) as (_, client):
            stream = ask(client, Ideas, MESSAGES, items="ideas")
            items: list[Any] = []
            stream.items.subscribe(items.append)
            stream.result()
        assert all(isinstance(item.value, Idea) for item in items)
        assert [item.index for item in items] == [0, 1, 2]

    def test_bad_items_path(self, serve: Any) -> None:
        with serve([]) as (_, client):
            with pytest.raises(rs.UsageError, match="has no field 'idea'"):
                ask(client, Ideas, MESSAGES, items="idea")
            stream = ask(client, User, MESSAGES)
            with pytest.raises(rs.UsageError, match="no list"):
                _ = stream.items

    def test_a_view_subscribed_after_the_end_gets_the_outcome(self, serve: Any) -> None:
        """Late subscribers learn how it ended, not a spurious error."""
        with serve([chunks({"name": "Ada", "age": 38})]) as (server, client):
            stream = ask(client, User, MESSAGES)
            final = stream.result()
            assert stream.final.run() == final
            assert stream.finish.run().finish_reason == "stop"
            assert stream.partials.pipe(ops.to_list()).run() == []
            events = stream.events.pipe(ops.to_list()).run()
            assert [e.kind for e in events] == ["finished", "final"]
            assert len(server.requests) == 1

    def test_connect_reads_on_a_background_thread(self, serve: Any) -> None:
        """connect(): views get their values on the reader thread."""
        with serve([chunks(IDEAS)]) as (server, client):
            stream = ask(client, Ideas, MESSAGES)
            threads: set[str] = set()
            done = threading.Event()
            finals: list[Ideas] = []
            stream.partials.subscribe(
                lambda _: threads.add(threading.current_thread().name)
            )
            stream.final.subscribe(finals.append, on_completed=done.set)
            stream.connect()
            assert done.wait(10)
            assert stream.result() == finals[0]
        assert threads == {"rxstruct-stream"}
        assert len(server.requests) == 1
