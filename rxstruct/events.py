"""The events rxstruct emits, for code that reacts to them.

One public home for every event type: what the item operators emit
(:class:`ListItem`, :class:`FieldCompleted`), what the structured call's
``events`` stream carries (:class:`PartialUpdate`, :class:`Finished`,
:class:`FinalResult`, :class:`Retrying`, :class:`ItemsDropped`; their union is
:data:`StreamEvent`), and how a model stream ended (:class:`StreamEnded`, given
to the sources' ``on_finish``). Each is a frozen, keyword-only dataclass with a
``kind`` discriminator, so streams that mix event types can be told apart with
a ``match`` or a ``kind`` check. They are re-exported by :mod:`rxstruct` (and
by the modules that emit them: :mod:`rxstruct.structured`,
:mod:`rxstruct.sources`).

This module imports nothing from rxstruct but the JSON path type: the operator
implementations, the sources and the structured call import it, so it sits low
in the import graph although users see it as part of the public face.

Example:
    >>> import reactivex as rx
    >>> import rxstruct as rs
    >>> from rxstruct.events import FieldCompleted, ListItem
    >>> chunks = rx.of('{"menu": ["taco", "so', 'up"]}')
    >>> events = chunks.pipe(rs.accumulate_json(), rs.completed_fields()).run()
    >>> isinstance(events, FieldCompleted), events.path, events.kind
    (True, ('menu',), 'field_completed')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from .json import Path

__all__ = [
    "FieldCompleted",
    "FinalResult",
    "Finished",
    "ItemsDropped",
    "ListItem",
    "PartialUpdate",
    "Retrying",
    "StreamEnded",
    "StreamEvent",
]

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldCompleted:
    """A value in the document became final: its last character arrived.

    Emitted by :func:`rxstruct.completed_fields`.

    Example:
        >>> FieldCompleted(path=("title",), value="Pasta")
        FieldCompleted(path=('title',), value='Pasta', kind='field_completed')
    """

    path: Path
    """Where the value sits, e.g. ``("title",)`` or ``("recipes", 0, "name")``."""

    value: Any
    """The complete JSON value (not validated). It is shared with the
    snapshots: treat it as read-only."""

    kind: Literal["field_completed"] = "field_completed"
    """Discriminator, for streams that mix event types."""


# Not slots=True: on Python 3.11 a frozen, slotted, generic dataclass cannot be
# built through its alias (``ListItem[int](...)`` raises TypeError).
@dataclass(frozen=True, kw_only=True)
class ListItem(Generic[_T]):
    """One complete, validated element of a streamed list.

    Emitted by :func:`rxstruct.new_list_items`.

    Example:
        >>> ListItem(index=2, value="soup", path=("menu", 2))
        ListItem(index=2, value='soup', path=('menu', 2), indices=(), kind='list_item')
    """

    index: int
    """Position of the element in its list (0-based)."""

    value: _T
    """The element, validated as the item type given to ``new_list_items``."""

    path: Path
    """Full path of the element from the root, e.g. ``("recipes", 2)``."""

    indices: tuple[int, ...] = ()
    """The list indices matched by the ``[*]`` wildcards of the list path,
    outermost first: for ``"sections[*].paragraphs"``, the element at
    ``("sections", 1, "paragraphs", 4)`` has ``indices == (1,)`` and
    ``index == 4``. Empty when the list path has no wildcard."""

    kind: Literal["list_item"] = "list_item"
    """Discriminator, for streams that mix event types."""


# --- the structured call's events stream -----------------------------------------


@dataclass(frozen=True, kw_only=True)
class PartialUpdate(Generic[_T]):
    """A new partial value, on the events stream.

    Example:
        >>> PartialUpdate(value=["Ad"])
        PartialUpdate(value=['Ad'], kind='partial')
    """

    value: _T
    """The partial value (a ``Partial[Model]``, or a list of them)."""

    kind: Literal["partial"] = "partial"
    """Discriminator."""


@dataclass(frozen=True, kw_only=True)
class Finished:
    """How the request ended: finish reason, token usage and timing.

    Example:
        >>> f = Finished(finish_reason="stop", chunks=12, deltas=10, duration=2.0,
        ...              time_to_first_token=0.5)
        >>> f.truncated, round(f.deltas_per_second, 2)
        (False, 6.67)
    """

    finish_reason: str | None
    """``"stop"``, ``"length"`` (the token limit cut it), ``"tool_calls"``,
    ``"content_filter"``, ...; ``None`` if the server sent none. Responses API
    endings are mapped to the same words."""

    chunks: int
    """How many stream events (SSE messages) arrived."""

    deltas: int
    """How many text deltas fed the decoder."""

    duration: float
    """Seconds from sending the request to the end of the stream."""

    time_to_first_token: float | None = None
    """Seconds from sending the request to the first text delta."""

    usage: Any = None
    """The provider's token usage object, when it sent one."""

    model: str | None = None
    """The model the server says answered."""

    response_id: str | None = None
    """The ``id`` of the completion or response."""

    other_tool_calls: int = 0
    """Tool mode: how many further tool calls the model made in parallel
    (ignored: only the first call's arguments are decoded)."""

    kind: Literal["finished"] = "finished"
    """Discriminator."""

    @property
    def truncated(self) -> bool:
        """The model stopped at its token limit."""
        return self.finish_reason == "length"

    @property
    def deltas_per_second(self) -> float:
        """Text deltas (about one token each) per second of generation."""
        start = self.time_to_first_token or 0.0
        span = self.duration - start
        return self.deltas / span if span > 0 else 0.0


@dataclass(frozen=True, kw_only=True)
class FinalResult(Generic[_T]):
    """The validated final value, the last event of a successful run.

    Example:
        >>> FinalResult(value=42)
        FinalResult(value=42, kind='final')
    """

    value: _T
    """The response model instance, fully validated."""

    kind: Literal["final"] = "final"
    """Discriminator."""


@dataclass(frozen=True, kw_only=True)
class Retrying:
    """An attempt failed and another one starts: the views are reset.

    On the events stream it comes after everything of the failed attempt and
    before anything of the next one (and before the backoff wait). The partial
    view then receives an empty partial (the reset), and the list items and
    completed fields of the new attempt follow the rule of
    :class:`ItemsDropped`. With ``rs.stream(..., max_retries=1)`` and a first
    answer that fails validation (``tests/test_retry`` replays this)::

        server:   '{"name": "Al' '", "age": "x"}'|    '{"name": "Bo"' ', "age": 3}'|
                  [ rs.stream(client, response_model=User, max_retries=1) ]
        partials: Al ----- Al ---------------- ∅ ------- Bo ---------- Bo,3 -|
        events:   P ------ P - F F - Retrying - P ------- P - F -------- P - F -
                  Finished - Final|

    (``P``: ``PartialUpdate``, ``F``: ``FieldCompleted``, ``∅``: the reset.)

    Example:
        >>> from rxstruct import SourceError
        >>> event = Retrying(attempt=2, reason="transport", delay=0.5,
        ...                  error=SourceError("HTTP 429", status_code=429))
        >>> event.kind, event.attempt, event.delay
        ('retrying', 2, 0.5)
    """

    attempt: int
    """The number of the attempt that starts now (2 for the first retry)."""

    reason: Literal["reask", "transport", "restart"]
    """``"reask"``: the answer was unusable and the model is told why;
    ``"transport"``: the request failed before the first token and is sent
    again; ``"restart"``: the connection failed after tokens and the request
    is sent again from the start (only with ``restart_after_tokens=True``)."""

    error: Exception
    """What went wrong with the previous attempt."""

    raw: str = ""
    """The text the previous attempt produced (empty before the first token)."""

    delay: float = 0.0
    """Seconds waited before the new attempt is sent."""

    finished: Any = None
    """How the previous attempt ended (a ``Finished``) when its stream ended,
    else ``None``."""

    kind: Literal["retrying"] = "retrying"
    """Discriminator."""


@dataclass(frozen=True, kw_only=True)
class ItemsDropped:
    """List items shown by an earlier attempt that the final answer does not have.

    The rule for list items (and completed fields) across attempts: after a
    :class:`Retrying`, a value of the new attempt equal to the one already
    emitted at the same path is not emitted again; a different one is emitted
    (same path and index: it replaces the old one). When the last attempt
    ends, the paths shown earlier that it did not emit are announced by one
    ``ItemsDropped`` on the events stream, before ``Finished``: the UI drops
    them.

    Example:
        >>> ItemsDropped(paths=(("items", 2),))
        ItemsDropped(paths=(('items', 2),), kind='items_dropped')
    """

    paths: tuple[tuple[str | int, ...], ...]
    """The full paths of the items to drop, in the order they were shown."""

    kind: Literal["items_dropped"] = "items_dropped"
    """Discriminator."""


StreamEvent = (
    PartialUpdate[Any]
    | ListItem[Any]
    | FieldCompleted
    | Finished
    | FinalResult[Any]
    | Retrying
    | ItemsDropped
)
"""Everything the events stream carries, told apart by ``kind``."""


# --- how a model stream ended ---------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StreamEnded:
    """How a model stream ended; given to ``on_finish`` just before completion.

    Example:
        >>> StreamEnded(finish_reason="length", chunks=12, deltas=10).truncated
        True
    """

    finish_reason: str | None
    """``"stop"``, ``"length"`` (cut by the token limit), ``"tool_calls"``,
    ``"content_filter"``, ...; ``None`` if the server never sent one. Responses
    API streams are mapped to the same words: ``"stop"`` for a completed
    response, ``"length"`` for one incomplete at ``max_output_tokens``."""

    chunks: int
    """How many stream events (SSE messages) arrived."""

    deltas: int
    """How many text deltas were emitted."""

    response_id: str | None = None
    """The ``id`` the server gave the completion or response."""

    model: str | None = None
    """The model the server says answered."""

    usage: Any = None
    """The token usage object, when the server sent one (Chat Completions:
    with ``stream_options={"include_usage": True}``)."""

    kind: Literal["stream_ended"] = "stream_ended"
    """Discriminator, for streams that mix event types."""

    @property
    def truncated(self) -> bool:
        """The model stopped at its token limit: the text is cut short."""
        return self.finish_reason == "length"
