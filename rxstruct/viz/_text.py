"""Marble diagrams as plain text, for terminals and CI logs."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ._model import Lane, StageSummary

__all__ = ["nice_step", "seconds", "summary_line", "text_diagram"]

_EMPTY, _TICK = " ", "-"


def seconds(value: float) -> str:
    """A time in seconds, short: ``0.13``, ``1``, ``12.5``.

    Example:
        >>> seconds(0.130), seconds(1.0), seconds(12.5)
        ('0.13', '1', '12.5')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def nice_step(duration: float, max_ticks: int) -> float:
    """The smallest 1-2-5 step that cuts ``duration`` into at most ``max_ticks``.

    Example:
        >>> nice_step(8.9, 10), nice_step(8.9, 4), nice_step(0.03, 5)
        (1.0, 5.0, 0.01)
    """
    if duration <= 0 or max_ticks < 1:
        return 1.0
    raw = duration / max_ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        step = factor * magnitude
        if step >= raw - 1e-12:
            return round(step, 12)
    return round(10.0 * magnitude, 12)


def summary_line(summary: StageSummary) -> str:
    """The figures of one lane in a few words.

    Example:
        >>> summary_line(StageSummary(name="x", emissions=3, first_value=0.5,
        ...                           input="y", dropped=4, ended="completed"))
        '3 values, first 0.5s, 4 dropped'
    """
    parts = [f"{summary.emissions} value" + ("" if summary.emissions == 1 else "s")]
    if summary.first_value is not None:
        parts.append(f"first {seconds(summary.first_value)}s")
    if summary.dropped is not None:
        parts.append(f"{summary.dropped} dropped")
    if summary.retries:
        parts.append(
            f"{summary.retries} restart" + ("s" if summary.retries > 1 else "")
        )
    if summary.ended == "running":
        parts.append("not ended")
    return ", ".join(parts)


def _column(time: float, duration: float, width: int) -> int:
    return max(0, min(width - 1, round(time / duration * (width - 1))))


def _free(cells: list[str], column: int) -> int:
    """The first column at or after ``column`` holding no mark."""
    while column < len(cells) and cells[column] not in (_TICK, _EMPTY):
        column += 1
    if column >= len(cells):
        cells.append(_TICK)
    return column


def _lane_cells(lane: Lane, duration: float, width: int) -> list[str]:
    start = _column(lane.subscribed or 0.0, duration, width)
    cells = [_EMPTY] * start + [_TICK] * (width - start)
    counts = [0] * width
    for marble in lane.marbles:
        if marble.kind == "next":
            counts[_column(marble.time, duration, width)] += 1
    for column, count in enumerate(counts):
        if count:
            cells[column] = "o" if count == 1 else str(count) if count < 10 else "*"
    for marble in lane.marbles:
        if marble.kind == "next":
            continue
        column = _free(cells, _column(marble.time, duration, width))
        mark = {"completed": "|", "error": "#", "retry": "R"}[marble.kind]
        cells[column] = mark
        # A lane is blank after its end, and runs again after a restart.
        before, after = (_TICK, _EMPTY) if mark != "R" else (_EMPTY, _TICK)
        for later in range(column + 1, len(cells)):
            if cells[later] == before:
                cells[later] = after
    return cells


def _axis(duration: float, width: int, indent: int) -> list[str]:
    step = nice_step(duration, max(1, width // 6))
    labels = [" "] * (width + 8)
    ticks = [_TICK] * width
    ticks_at = [i * step for i in range(int(duration / step + 1e-9) + 1)]
    end = -1
    for tick in ticks_at:
        column = _column(tick, duration, width)
        ticks[column] = "|"
        text = seconds(tick) + "s"
        if column > end:
            labels[column : column + len(text)] = text
            end = column + len(text)
    pad = " " * indent
    return [(pad + "".join(labels)).rstrip(), pad + "".join(ticks)]


def text_diagram(
    lanes: Sequence[Lane],
    summaries: Sequence[StageSummary],
    *,
    width: int = 72,
    title: str | None = None,
) -> str:
    """The lanes drawn on a shared time axis, one row each, with their figures.

    Each column is a slice of time: ``o`` one value, ``2``-``9`` that many,
    ``*`` ten or more, ``|`` completion, ``#`` error, ``R`` a restart; a blank
    lane has not started or has ended.

    Example:
        >>> from rxstruct.viz import Lane, Marble
        >>> lane = Lane(name="x", subscribed=0.0, marbles=(
        ...     Marble(time=0.0, value=1), Marble(time=1.0, value=2),
        ...     Marble(time=1.0, kind="completed")))
        >>> print(text_diagram([lane], [lane.summary()], width=11))
            0s        1s
            |---------|
        x   o---------o|   2 values, first 0s
    """
    duration = max(
        (marble.time for lane in lanes for marble in lane.marbles), default=0.0
    )
    duration = duration if duration > 0 else 1.0
    names = max((len(lane.name) for lane in lanes), default=0) + 3
    rows = [_lane_cells(lane, duration, width) for lane in lanes]
    plot = max((len(cells) for cells in rows), default=width) + 3
    lines = [title] if title else []
    lines += _axis(duration, width, names)
    for lane, cells, summary in zip(lanes, rows, summaries, strict=True):
        lines.append(
            lane.name.ljust(names) + "".join(cells).ljust(plot) + summary_line(summary)
        )
    return "\n".join(line.rstrip() for line in lines)
