"""What a recording holds: marbles on lanes, and the figures drawn from them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel

from ..events import FieldCompleted, ListItem
from ..json import JsonSnapshot, format_path

__all__ = [
    "Describe",
    "Lane",
    "Marble",
    "MarbleKind",
    "StageSummary",
    "describe",
    "shorten",
]

MarbleKind: TypeAlias = Literal["next", "error", "completed", "retry"]
"""What a marble marks: a value, the error or completion that ends a lane, or a
restart (a re-subscription after an error, or an in-band retry event)."""

_RETRY_PREFIX = "retry"
"""Events whose ``kind`` discriminator starts with this (``"retrying"``) are
drawn as a restart, not as a value."""

_CLOSERS = "]}\"' \n"


def shorten(text: str, width: int, *, tail: bool = False) -> str:
    """``text`` in at most ``width`` characters, with an ellipsis where cut.

    Example:
        >>> shorten("Pork Sausage", 8), shorten("Pork Sausage", 8, tail=True)
        ('Pork Sa…', '…Sausage')
    """
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return "…" + text[-(width - 1) :] if tail else text[: width - 1] + "…"


def _json(value: Any) -> str:
    """Compact JSON for ``value``, or its ``repr`` when it is not JSON."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def _model_json(model: BaseModel) -> str:
    """A (partial) model as compact JSON, leaving out fields not yet seen."""
    return _json(model.model_dump(mode="json", exclude_none=True))


def _written_so_far(compact: str, width: int) -> str:
    """The end of a growing document, without the brackets that close it."""
    return shorten(compact.rstrip(_CLOSERS) or compact, width, tail=True)


def _headline(value: Any) -> str:
    """A short name for a value: a model's first text field, else its JSON."""
    if isinstance(value, BaseModel):
        for field_value in value.__dict__.values():
            if isinstance(field_value, str):
                return field_value
        return _model_json(value)
    if isinstance(value, str):
        return value
    return _json(value)


Describe: TypeAlias = Callable[[Any, int], tuple[MarbleKind, str, str]]
"""``(value, label_width) -> (kind, label, detail)``: how a value is drawn."""


def describe(value: Any, width: int = 12) -> tuple[MarbleKind, str, str]:
    """How a value is drawn: its marble kind, a short label and the full text.

    Growing documents (snapshots, partial models) are labelled with the end of
    what has been written so far; list items with their index and first text
    field; completed fields with their path; text chunks with their ``repr``.
    An event whose ``kind`` discriminator starts with ``"retry"`` (such as the
    ``Retrying`` event of a structured call, ``kind="retrying"``) is drawn as a
    restart marble, labelled with its ``attempt`` and detailed with its
    ``error``.

    Args:
        value: The value of an ``on_next``.
        width: The longest label, in characters.

    Returns:
        ``(kind, label, detail)``.

    Example:
        >>> import rxstruct as rs
        >>> describe(rs.ListItem(index=0, value="soup", path=("menu", 0)))
        ('next', '#0 soup', "ListItem(index=0, value='soup', path=('menu', 0), ...)")
        >>> describe("ork")
        ('next', "'ork'", "'ork'")
    """
    kind = getattr(value, "kind", None)
    if isinstance(kind, str) and kind.startswith(_RETRY_PREFIX):
        attempt = getattr(value, "attempt", None)
        error = getattr(value, "error", None)
        label = "retry" if attempt is None else f"retry {attempt}"
        detail = repr(value) if error is None else f"{label}: {error}"
        return "retry", shorten(label, width), detail
    if isinstance(value, str):
        text = repr(value)
        return "next", shorten(text, width), text
    if isinstance(value, JsonSnapshot):
        compact = _json(value.value)
        detail = compact + ("  (done)" if value.done else "")
        return "next", _written_so_far(compact, width), detail
    if isinstance(value, ListItem):
        label = f"#{value.index} {_headline(value.value)}"
        detail = (
            f"ListItem(index={value.index}, value={value.value!r}, "
            f"path={value.path!r}, ...)"
        )
        return "next", shorten(label, width), detail
    if isinstance(value, FieldCompleted):
        path = format_path(value.path)
        detail = f"{path} = {_json(value.value)}"
        return "next", shorten(path, width, tail=True), detail
    if isinstance(value, BaseModel):
        compact = _model_json(value)
        return "next", _written_so_far(compact, width), repr(value)
    text = repr(value)
    return "next", shorten(text, width), text


@dataclass(frozen=True, kw_only=True, slots=True)
class Marble:
    """One notification on a lane, with its time.

    A restart (``kind="retry"``) does not end its lane: the values after it
    belong to the next attempt. A ``Retrying`` event emitted in-band is drawn
    this way (see :func:`rxstruct.viz.describe`), and so is a re-subscription
    after an error (e.g. by ``ops.retry``), which the recorder notices itself.

    Example:
        >>> Marble(time=0.5, label="'{'", detail="'{'", value="{")
        Marble(time=0.5, kind='next', label="'{'", detail="'{'", value='{')
    """

    time: float
    """Seconds since the recording started (on the recording's own time axis
    when a replay was sped up)."""

    kind: MarbleKind = "next"
    """What it marks; ``"next"`` for a value."""

    label: str = ""
    """Short text drawn next to the marble."""

    detail: str = ""
    """The full value, for a hover or a legend."""

    value: Any = None
    """The value itself (the exception for an error), or None."""


@dataclass(frozen=True, kw_only=True, slots=True)
class StageSummary:
    """Figures for one lane of a diagram.

    Example:
        >>> summary = StageSummary(name="debounce", emissions=3, first_value=0.1)
        >>> summary.dropped, summary.ended
        (None, 'running')
    """

    name: str
    """The lane's name."""

    emissions: int
    """How many values the stage emitted."""

    first_value: float | None
    """Seconds from the stage's subscription to its first value (None: none)."""

    input: str | None = None
    """The lane this stage reads from, when known."""

    dropped: int | None = None
    """Values of the input lane that this stage did not pass on
    (``max(0, inputs - emissions)``); None without an input lane."""

    retries: int = 0
    """Restarts seen on the lane (re-subscriptions and retry events)."""

    ended: Literal["completed", "error", "running"] = "running"
    """How the lane ended: completed, with an error, or not (yet)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Lane:
    """The notifications of one stage of a pipeline, in time order.

    Example:
        >>> lane = Lane(name="tokens", marbles=(
        ...     Marble(time=0.1, value="a"), Marble(time=0.4, kind="completed")))
        >>> lane.values(), lane.completed_at
        (['a'], 0.4)
    """

    name: str
    """What the stage is called on the diagram."""

    marbles: tuple[Marble, ...] = ()
    """Everything the stage emitted, in time order."""

    input: str | None = None
    """The name of the lane this stage reads from (for the drop count)."""

    subscribed: float | None = None
    """When the stage was first subscribed, in seconds since the start."""

    def values(self) -> list[Any]:
        """The values, in order.

        Example:
            >>> Lane(name="x", marbles=(Marble(time=0, value=1),)).values()
            [1]
        """
        return [m.value for m in self.marbles if m.kind == "next"]

    def times(self) -> list[float]:
        """The times of the values, aligned with :meth:`values`.

        Example:
            >>> Lane(name="x", marbles=(Marble(time=2.5, value=1),)).times()
            [2.5]
        """
        return [m.time for m in self.marbles if m.kind == "next"]

    @property
    def completed_at(self) -> float | None:
        """The time of the completion, or None.

        Example:
            >>> Lane(name="x").completed_at is None
            True
        """
        for marble in self.marbles:
            if marble.kind == "completed":
                return marble.time
        return None

    @property
    def error(self) -> BaseException | None:
        """The last error on the lane, or None.

        Example:
            >>> Lane(name="x", marbles=(
            ...     Marble(time=1, kind="error", value=ValueError("bad")),)).error
            ValueError('bad')
        """
        errors = [m.value for m in self.marbles if m.kind == "error"]
        return errors[-1] if errors else None

    def summary(self, input_lane: Lane | None = None) -> StageSummary:
        """The lane's figures; ``input_lane`` gives the drop count.

        Example:
            >>> Lane(name="x", subscribed=0.0, marbles=(
            ...     Marble(time=0.3, value=1),)).summary().first_value
            0.3
        """
        times = self.times()
        start = self.subscribed or 0.0
        last = self.marbles[-1].kind if self.marbles else None
        ended: Literal["completed", "error", "running"] = "running"
        if last == "completed" or last == "error":
            ended = last
        dropped = (
            None if input_lane is None else max(0, len(input_lane.times()) - len(times))
        )
        return StageSummary(
            name=self.name,
            emissions=len(times),
            first_value=None if not times else round(times[0] - start, 6),
            input=self.input,
            dropped=dropped,
            retries=sum(1 for m in self.marbles if m.kind == "retry"),
            ended=ended,
        )
