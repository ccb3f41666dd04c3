"""rxstruct.to_sse: the frames of a pipeline's views, in order, and cleanup."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
import reactivex
from pydantic import BaseModel
from reactivex import operators as ops
from reactivex.scheduler import NewThreadScheduler
from reactivex.subject import Subject

import rxstruct as rs
from rxstruct.web import SSE_HEADERS, SseStream, error_body, to_sse
from tests.helpers import sse_frames

pytestmark = pytest.mark.anyio


class Idea(BaseModel):
    title: str
    blurb: str


class Ideas(BaseModel):
    ideas: list[Idea]


CHUNKS = [
    '{"ideas": [{"title": "Ta',
    'co", "blurb": "Crisp"}, {"ti',
    'tle": "Soup", "blurb": "W',
    'arm"}]}',
]


def views(chunks: list[str], *, patches: bool = False) -> dict[str, Any]:
    snapshots = reactivex.from_iterable(chunks).pipe(
        rs.accumulate_json(), ops.publish()
    )
    found: dict[str, Any] = {
        "items": snapshots.pipe(rs.new_list_items(Idea, "ideas")),
        "final": snapshots.pipe(rs.validate_final(Ideas)),
        "connect": snapshots,
    }
    if patches:
        found["patches"] = snapshots.pipe(rs.to_json_patch())
    else:
        found["partials"] = snapshots.pipe(rs.to_partial(Ideas))
    return found


async def collect(stream: SseStream) -> list[bytes]:
    return [frame async for frame in stream]


def parse(frames: list[bytes]) -> list[Any]:
    text = b"".join(frames).decode()
    return list(sse_frames(text.split("\n")))


async def test_partials_items_then_done_last() -> None:
    frames = await collect(to_sse(**views(CHUNKS), ping=0))
    assert all(f.endswith(b"\n\n") for f in frames)
    events = parse(frames)
    names = [e.event for e in events]
    assert names[-1] == "done"
    assert names.count("done") == 1
    assert [e.data["index"] for e in events if e.event == "item"] == [0, 1]
    # an item follows the partial that completed it, before the next chunk's
    assert names.index("item") == 2
    partials = [e.data for e in events if e.event == "message"]
    assert partials[0] == {"ideas": [{"title": "Ta", "blurb": None}]}
    final = events[-1].data
    assert Ideas.model_validate(final).ideas[1].blurb == "Warm"
    assert partials[-1] == final


async def test_patches_rebuild_the_final() -> None:
    events = parse(await collect(to_sse(**views(CHUNKS, patches=True), ping=0)))
    document: Any = {}
    for event in events:
        if event.event == "patch":
            assert event.data, "empty patch lists are not sent"
            document = rs.apply_patch(document, event.data)
    assert events[-1].event == "done"
    assert document == events[-1].data


async def test_frame_format_is_one_json_line() -> None:
    frames = await collect(to_sse(reactivex.of({"t": "a\nb"}), ping=0))
    assert frames == [
        b'data: {"t":"a\\nb"}\n\n',
        b"event: done\ndata: null\n\n",
    ]


async def test_errors_end_the_stream_with_a_typed_body() -> None:
    frames = await collect(to_sse(**views(['{"ideas": [{"title": "T"', "]"]), ping=0))
    events = parse(frames)
    assert [e.event for e in events][-1] == "error"
    body = events[-1].data
    assert body["type"] == "JsonStreamError"
    assert (body["line"], body["column"]) == (1, 25)
    assert "done" not in [e.event for e in events]


async def test_a_validation_failure_names_the_error_and_the_item() -> None:
    frames = await collect(to_sse(**views(['{"ideas": [{"title": 1}]}']), ping=0))
    body = parse(frames)[-1].data
    assert body["type"] == "ItemValidationError"
    assert body["index"] == 0
    assert body["path"] == ["ideas", 0]
    assert body["errors"][0]["loc"]


async def test_resets_have_their_own_event() -> None:
    resets = reactivex.of({"attempt": 2, "reason": "blurb missing"})
    frames = await collect(to_sse(reactivex.empty(), resets=resets, ping=0))
    assert frames[0] == (
        b'event: reset\ndata: {"attempt":2,"reason":"blurb missing"}\n\n'
    )


async def test_notifications_from_another_thread() -> None:
    """A sync client's reader thread: frames still arrive, in order."""
    source = reactivex.from_iterable(range(50)).pipe(
        ops.subscribe_on(NewThreadScheduler())
    )
    frames = await collect(to_sse(source, ping=0))
    assert [json.loads(f[6:]) for f in frames[:-1]] == list(range(50))


async def test_keep_alive_pings_when_idle() -> None:
    subject: Subject[int] = Subject()
    stream = to_sse(subject, ping=0.05)
    first = await stream.__anext__()
    second = await stream.__anext__()
    assert first == second == b": ping\n\n"
    subject.on_next(1)
    assert await stream.__anext__() == b"data: 1\n\n"
    await stream.aclose()


async def test_closing_disposes_the_subscriptions() -> None:
    disposed = anyio.Event()

    def subscribe(observer: Any, scheduler: Any = None) -> Any:
        observer.on_next({"n": 1})
        return reactivex.disposable.Disposable(disposed.set)

    stream = to_sse(reactivex.create(subscribe), ping=0)
    assert await stream.__anext__() == b'data: {"n":1}\n\n'
    await stream.aclose()
    assert disposed.is_set()


async def test_cancelling_the_reader_disposes_the_subscriptions() -> None:
    disposed = anyio.Event()
    stream = to_sse(reactivex.never().pipe(ops.finally_action(disposed.set)), ping=0)
    with anyio.move_on_after(0.05):
        await stream.__anext__()
    assert disposed.is_set()


async def test_an_sse_stream_is_read_once() -> None:
    stream = to_sse(reactivex.of(1), ping=0)
    await collect(stream)
    with pytest.raises(rs.UsageError, match="once"):
        stream.response()


def test_usage_errors() -> None:
    with pytest.raises(rs.UsageError, match="at least one view"):
        to_sse()
    with pytest.raises(rs.UsageError, match="ping"):
        to_sse(reactivex.of(1), ping=-1)


def test_response_headers() -> None:
    response = rs.to_sse(reactivex.of(1)).response()
    assert response.media_type == "text/event-stream"
    for name, value in SSE_HEADERS.items():
        assert response.headers[name] == value
    assert response.ping_interval == 15


def test_error_body_of_a_source_error() -> None:
    body = error_body(rs.SourceError("the model server said no", status_code=429))
    assert body == {
        "type": "SourceError",
        "message": "the model server said no",
        "status_code": 429,
    }


async def test_done_is_last_even_when_partials_lag_behind() -> None:
    """A delayed (debounced, throttled) partial view never lands after done."""
    found = views(CHUNKS)
    found["partials"] = found["partials"].pipe(ops.delay(0.05))
    events = parse(await collect(to_sse(**found, ping=0)))
    names = [e.event for e in events]
    assert names[-1] == "done"
    assert names.count("message") == len(CHUNKS) + 1


async def test_a_sync_client_over_real_http_and_closing_mid_stream() -> None:
    """The sync SDK reads on its own thread; closing the frames closes its request."""
    import openai

    from rxstruct.sources import from_chat_completion
    from rxstruct.testing import ScriptedLLMServer, ScriptedReply

    slow = ScriptedReply(deltas=["[", *['"word", '] * 100, '"end"]'], delay=0.05)
    with (
        ScriptedLLMServer([slow]) as server,
        openai.OpenAI(base_url=server.base_url, api_key="k") as client,
    ):
        tokens = from_chat_completion(client, model="m", messages=[])
        stream = to_sse(tokens.pipe(rs.accumulate_json()), ping=0)
        frames = [await stream.__anext__() for _ in range(3)]
        await stream.aclose()
        request = server.requests[0]
        assert await anyio.to_thread.run_sync(request.wait_finished, 5.0)
        assert request.client_disconnected
        assert request.deltas_sent < 20
    assert frames[0] == b"data: []\n\n"
