"""A FastAPI app streaming a list of ideas to the browser as Server-Sent Events.

``POST /ideas`` takes ``{"topic": ..., "count": ..., "mode": "patch"|"partial"}``
and answers ``text/event-stream``: the growing list (JSON-Patch deltas, or
whole partials), an ``item`` event per completed idea, then ``done`` with the
validated ``Ideas`` (or ``error``). ``GET /`` serves a page that renders it.

The model: any OpenAI-compatible endpoint when ``RXSTRUCT_WEB_BASE_URL`` is set
(with ``RXSTRUCT_WEB_MODEL`` and ``OPENAI_API_KEY``); otherwise rxstruct's own
``ScriptedLLMServer`` on 127.0.0.1, replaying a canned answer at a model-like
pace, so the app runs with no key and no network::

    python examples/web/app.py            # or: make web
    # then open http://127.0.0.1:8000/

Scaling: each stream is independent (one request upstream, one response
downstream, no shared state), so run more ASGI workers behind the usual
server, e.g. ``uvicorn app:app --workers 4`` or gunicorn with uvicorn workers,
behind a proxy that does not buffer ``text/event-stream``.
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import openai
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from reactivex import operators as ops
from sse_starlette import EventSourceResponse

import rxstruct as rs
from rxstruct.sources import from_chat_completion
from rxstruct.testing import ScriptedLLMServer, ScriptedReply

STATIC = Path(__file__).resolve().parent / "static"


class Idea(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    blurb: str = Field(min_length=1)


class Ideas(BaseModel):
    ideas: list[Idea]


class IdeasRequest(BaseModel):
    topic: str = Field(min_length=1, max_length=200)
    count: int = Field(default=3, ge=1, le=10)
    mode: Literal["patch", "partial"] = "patch"


# --- the canned answer of the scripted model ---------------------------------------

CANNED = Ideas(
    ideas=[
        Idea(
            title="Tiny greenhouse from old windows",
            blurb="Frame four salvaged windows with cedar, add a hinged roof "
            "pane for airflow, and start tomatoes a month early.",
        ),
        Idea(
            title="Neighbourhood tool library",
            blurb="Catalogue the drills and ladders on your street in a shared "
            "sheet, lend them by the weekend, and meet the neighbours.",
        ),
        Idea(
            title="Bicycle-powered phone charger",
            blurb="Mount a hub dynamo on a trainer stand, regulate it to five "
            "volts, and charge a phone while you pedal through a podcast.",
        ),
        Idea(
            title="Backyard star map",
            blurb="Paint the summer constellations on stepping stones with "
            "glow-in-the-dark paint so the path lights up after dusk.",
        ),
    ]
)


def canned_deltas(answer: Ideas = CANNED) -> list[str]:
    """The answer as a model streams it: a few characters per token."""
    text = answer.model_dump_json()
    deltas: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + 4)
        while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
            end += 1  # whole words where the text allows
            if end - start >= 9:
                break
        deltas.append(text[start:end])
        start = end
    return deltas


def scripted_server(replies: int = 1000, delay: float = 0.02) -> ScriptedLLMServer:
    """A local OpenAI-compatible server answering ``replies`` requests."""
    reply = ScriptedReply(deltas=canned_deltas(), delay=delay)
    return ScriptedLLMServer([reply] * replies)


# --- the pipeline ------------------------------------------------------------------


def idea_views(
    client: openai.AsyncOpenAI, model: str, request: IdeasRequest
) -> dict[str, Any]:
    """The views of one model request: patches or partials, items, final."""
    tokens = from_chat_completion(
        client,
        model=model,
        messages=[
            {
                "role": "system",
                "content": "Answer with JSON only: "
                + json.dumps(Ideas.model_json_schema()),
            },
            {
                "role": "user",
                "content": f"Give {request.count} project ideas about: {request.topic}",
            },
        ],
        response_format={"type": "json_object"},
    )
    snapshots = tokens.pipe(rs.accumulate_json(), ops.publish())
    views: dict[str, Any] = {
        "items": snapshots.pipe(rs.new_list_items(Idea, "ideas")),
        "final": snapshots.pipe(rs.validate_final(Ideas)),
        "connect": snapshots,
    }
    if request.mode == "patch":
        views["patches"] = snapshots.pipe(rs.to_json_patch())
    else:
        views["partials"] = snapshots.pipe(rs.to_partial(Ideas))
    return views


def create_app(
    base_url: str | None = None,
    *,
    model: str | None = None,
    api_key: str | None = None,
    replies: int = 1000,
    delay: float = 0.02,
) -> FastAPI:
    """The app; the model is ``base_url`` (or the environment, or a scripted one)."""
    base_url = base_url or os.environ.get("RXSTRUCT_WEB_BASE_URL")
    model = model or os.environ.get("RXSTRUCT_WEB_MODEL", "scripted")
    llm: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            url = base_url
            if url is None:
                server = stack.enter_context(scripted_server(replies, delay))
                url = server.base_url
                app.state.scripted = server
            client = openai.AsyncOpenAI(
                base_url=url,
                api_key=api_key or os.environ.get("OPENAI_API_KEY", "local"),
                max_retries=0,
            )
            await stack.enter_async_context(client)
            llm["client"] = client
            yield

    app = FastAPI(title="rxstruct ideas", lifespan=lifespan)

    @app.post("/ideas")
    async def ideas(request: IdeasRequest) -> EventSourceResponse:
        return rs.to_sse(**idea_views(llm["client"], model, request)).response()

    @app.get("/")
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def main() -> None:
    import uvicorn

    port = int(os.environ.get("PORT", "8000"))
    print(f"rxstruct ideas: http://127.0.0.1:{port}/")
    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
