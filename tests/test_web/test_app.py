"""The example app over real HTTP: httpx -> uvicorn (127.0.0.1) -> the app ->
the real openai SDK -> ScriptedLLMServer (127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import rxstruct as rs
from examples.web.app import CANNED, Ideas, canned_deltas, create_app
from rxstruct.testing import ScriptedLLMServer, ScriptedReply
from tests.helpers import Frame, serve, sse_frames

BODY = {"topic": "weekend projects", "count": 4}


@pytest.fixture
def llm() -> Iterator[ScriptedLLMServer]:
    replies = [
        ScriptedReply(deltas=canned_deltas(), delay=0.002),  # patch mode
        ScriptedReply(deltas=canned_deltas(), delay=0.002),  # partial mode
        ScriptedReply(deltas=['{"ideas": [{"title": "Half', '", "blurb" "x"}]}']),
        ScriptedReply(deltas=['{"ideas": [{"title": "", "blurb": "b"}]}']),
        ScriptedReply(deltas=['{"idea', '": []', "}"]),  # no "ideas"
        ScriptedReply.error(500, "the model is down"),
        ScriptedReply(deltas=canned_deltas(), delay=0.1),  # slow: for disconnects
    ]
    with ScriptedLLMServer(replies) as server:
        yield server


@pytest.fixture
def app_url(llm: ScriptedLLMServer) -> Iterator[str]:
    with serve(create_app(llm.base_url, model="scripted")) as url:
        yield url


def post(url: str, body: dict[str, Any]) -> tuple[httpx.Response, list[Frame]]:
    with httpx.stream("POST", f"{url}/ideas", json=body, timeout=30) as response:
        frames = list(sse_frames(response.iter_lines()))
    return response, frames


def test_streams_patches_items_and_the_validated_final(
    app_url: str, llm: ScriptedLLMServer
) -> None:
    response, frames = post(app_url, BODY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    names = [f.event for f in frames]
    assert set(names) == {"patch", "item", "done"}
    assert names[-1] == "done" and names.count("done") == 1
    # cards come while the list is still growing, one per idea, in order
    items = [f.data for f in frames if f.event == "item"]
    assert [item["index"] for item in items] == [0, 1, 2, 3]
    assert names.index("item") < len(names) - 5
    document: Any = {}
    for frame in frames:
        if frame.event == "patch":
            document = rs.apply_patch(document, frame.data)
        elif frame.event == "item":  # the card matches what the patches built
            assert document["ideas"][frame.data["index"]] == frame.data["value"]
    assert Ideas.model_validate(frames[-1].data) == CANNED
    assert document == frames[-1].data
    request = llm.requests[0]
    assert request.body["stream"] is True
    assert "weekend projects" in request.messages[-1]["content"]


def test_partial_mode_sends_whole_partials(app_url: str) -> None:
    post(app_url, BODY)  # the first scripted reply
    _, frames = post(app_url, {**BODY, "mode": "partial"})
    partials = [f.data for f in frames if f.event == "message"]
    assert len(partials) == len(canned_deltas()) + 1  # one per chunk, plus the close
    assert partials[0] == {"ideas": None}  # the key has not arrived yet
    assert partials[-1] == frames[-1].data == CANNED.model_dump()
    raw = [f.raw for f in frames if f.event == "message"]
    assert all(r.startswith("data: {") and "\n" not in r for r in raw)


def skip_to(app_url: str, count: int) -> None:
    for _ in range(count):
        post(app_url, BODY)


def error_event(app_url: str, reply: int) -> tuple[dict[str, Any], list[Frame]]:
    """Post with the scripted reply number ``reply``: its stream ends in an error.

    Returns the error event's data and all the frames.
    """
    skip_to(app_url, reply)
    _, frames = post(app_url, BODY)
    assert frames[-1].event == "error"
    return frames[-1].data, frames


def test_invalid_json_is_an_error_event(app_url: str) -> None:
    body, frames = error_event(app_url, 2)
    assert body["type"] == "JsonStreamError"
    assert "expected ':'" in body["message"]
    assert body["column"] == 38  # the 'x' after "blurb"
    assert "done" not in [f.event for f in frames]


def test_an_invalid_item_is_an_error_event(app_url: str) -> None:
    body, _ = error_event(app_url, 3)
    assert body["type"] == "ItemValidationError"
    assert body["path"] == ["ideas", 0]
    assert body["errors"][0]["loc"] == ["title"]


def test_an_invalid_final_is_an_error_event(app_url: str) -> None:
    body, _ = error_event(app_url, 4)
    assert body["type"] == "FinalValidationError"
    assert body["errors"][0]["loc"] == ["ideas"]


def test_a_model_server_failure_is_an_error_event(app_url: str) -> None:
    body, _ = error_event(app_url, 5)
    assert body["type"] == "SourceError"
    assert body["status_code"] == 500


def test_the_request_body_is_validated(app_url: str, llm: ScriptedLLMServer) -> None:
    response = httpx.post(f"{app_url}/ideas", json={"topic": "", "count": 99})
    assert response.status_code == 422
    assert {e["loc"][-1] for e in response.json()["detail"]} == {"topic", "count"}
    assert llm.requests == []


def test_client_disconnect_closes_the_model_request(
    app_url: str, llm: ScriptedLLMServer
) -> None:
    skip_to(app_url, 6)
    with httpx.stream("POST", f"{app_url}/ideas", json=BODY, timeout=30) as response:
        for frame in sse_frames(response.iter_lines()):
            if frame.event == "patch" and len(json.dumps(frame.data)) > 0:
                break  # the first frame: hang up
    request = llm.requests[-1]
    assert request.wait_finished(5)
    assert request.client_disconnected
    assert request.deltas_sent < len(canned_deltas()) // 2


def test_the_page_is_served(app_url: str) -> None:
    page = httpx.get(app_url)
    assert page.status_code == 200
    assert "fetch" in httpx.get(f"{app_url}/static/app.js").text
    assert 'id="cards"' in page.text
