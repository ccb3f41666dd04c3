"""Marble diagrams as SVG: one lane per stage, time on x, a hover per marble."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from xml.sax.saxutils import escape

from ._model import Lane, Marble, StageSummary
from ._text import nice_step, seconds, summary_line

__all__ = ["svg_diagram"]

_PALETTE = ("#4C78A8", "#54A24B", "#B279A2", "#9D755D", "#72B7B2", "#EECA3B")
_ERROR, _RETRY, _INK, _RULE = "#E45756", "#F58518", "#222222", "#9A9A9A"
_LANE_HEIGHT = 46
_CHAR = 6.2  # average width of one 10-11px character, for layout only
_DETAIL_LIMIT = 160  # characters of a value in its hover text
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _attr(value: str) -> str:
    """An attribute value in single quotes (no escaping when stored as JSON)."""
    return "'" + escape(_NOT_XML.sub("\ufffd", value), {"'": "&apos;"}) + "'"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _title(marble: Marble) -> str:
    detail = marble.detail
    if len(detail) > _DETAIL_LIMIT:
        # Keep the end: in a growing document that is what just arrived.
        head = _DETAIL_LIMIT // 4
        detail = detail[:head] + " … " + detail[head - _DETAIL_LIMIT :]
    return f"<title>{_text(f'{seconds(marble.time)}s  {detail}')}</title>"


def _radius(xs: Sequence[float]) -> float:
    if len(xs) < 2:
        return 6.0
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False) if b > a]
    gap = statistics.median(gaps) if gaps else 0.0
    return max(2.0, min(6.0, gap * 0.42))


def svg_diagram(
    lanes: Sequence[Lane],
    summaries: Sequence[StageSummary],
    *,
    width: int = 960,
    title: str | None = None,
) -> str:
    """The lanes as an SVG document (a string), deterministic for equal input.

    Values are circles with their label above when there is room; every mark
    carries a ``<title>`` with its time and full value (shown on hover).
    Completion is a vertical bar, an error a red cross, a restart an orange
    diamond. The figures of each lane are written at its right end.

    Example:
        >>> from rxstruct.viz import Lane, Marble
        >>> lane = Lane(name="x", marbles=(Marble(time=0.5, label="a"),))
        >>> svg_diagram([lane], [lane.summary()]).startswith("<svg")
        True
    """
    duration = max(
        (marble.time for lane in lanes for marble in lane.marbles), default=0.0
    )
    duration = duration if duration > 0 else 1.0
    longest = max((len(lane.name) for lane in lanes), default=4)
    left = max(90.0, min(240.0, longest * 7.0 + 24))
    right_text = max((len(summary_line(s)) for s in summaries), default=10)
    right = max(120.0, min(300.0, right_text * _CHAR + 24))
    x0, x1 = left, max(left + 200.0, width - right)
    top = 40.0 if title else 14.0
    height = top + _LANE_HEIGHT * len(lanes) + 40

    def x(time: float) -> float:
        return x0 + time / duration * (x1 - x0)

    styles = "".join(
        f".rxs-v{i}{{fill:{color};stroke:#fff;stroke-width:.6}}"
        for i, color in enumerate(_PALETTE)
    )
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' "
        f"height='{_n(height)}' viewBox='0 0 {width} {_n(height)}' "
        "font-family='DejaVu Sans, Verdana, Arial, sans-serif' font-size='11'>",
        f"<style>{styles}.rxs-l{{font-size:10px;text-anchor:middle}}</style>",
        f"<rect width='{width}' height='{_n(height)}' fill='#ffffff'/>",
    ]
    if title:
        out.append(
            f"<text x='8' y='24' font-size='14' font-weight='bold' "
            f"fill='{_INK}'>{_text(title)}</text>"
        )
    for index, (lane, summary) in enumerate(zip(lanes, summaries, strict=True)):
        y = top + _LANE_HEIGHT * index + 28
        style = f"rxs-v{index % len(_PALETTE)}"
        out.append(f"<g class='lane' data-name={_attr(lane.name)}>")
        out.append(
            f"<text x='8' y='{_n(y + 4)}' fill='{_INK}'>{_text(lane.name)}"
            f"<title>{_text(lane.name + ': ' + summary_line(summary))}</title></text>"
        )
        start = x(lane.subscribed or 0.0)
        ends = [m.time for m in lane.marbles if m.kind in ("completed", "error")]
        end = x(max(ends)) if ends and lane.marbles[-1].kind != "retry" else x1
        out.append(
            f"<line x1='{_n(start)}' y1='{_n(y)}' x2='{_n(end)}' y2='{_n(y)}' "
            f"stroke='{_RULE}'/>"
        )
        values = [m for m in lane.marbles if m.kind == "next"]
        radius = _n(_radius([x(m.time) for m in values]))
        label_end = -1e9
        for marble in lane.marbles:
            cx = x(marble.time)
            if marble.kind == "next":
                out.append(
                    f"<circle class='{style}' cx='{_n(cx)}' cy='{_n(y)}' "
                    f"r='{radius}'>{_title(marble)}</circle>"
                )
            elif marble.kind == "completed":
                out.append(
                    f"<line class='completed' x1='{_n(cx)}' y1='{_n(y - 10)}' "
                    f"x2='{_n(cx)}' y2='{_n(y + 10)}' stroke='{_INK}' "
                    f"stroke-width='2.5'>{_title(marble)}</line>"
                )
            elif marble.kind == "error":
                d = 6.0
                out.append(
                    f"<path class='error' d='M{_n(cx - d)} {_n(y - d)} "
                    f"L{_n(cx + d)} {_n(y + d)} M{_n(cx - d)} {_n(y + d)} "
                    f"L{_n(cx + d)} {_n(y - d)}' stroke='{_ERROR}' "
                    f"stroke-width='3' fill='none'>{_title(marble)}</path>"
                )
            else:
                d = 7.0
                out.append(
                    f"<polygon class='retry' points='{_n(cx)},{_n(y - d)} "
                    f"{_n(cx + d)},{_n(y)} {_n(cx)},{_n(y + d)} {_n(cx - d)},{_n(y)}"
                    f"' fill='{_RETRY}'>{_title(marble)}</polygon>"
                )
            if marble.label and marble.kind != "completed":
                half = len(marble.label) * _CHAR / 2
                if cx - half > label_end + 4:
                    out.append(
                        f"<text class='rxs-l' x='{_n(cx)}' y='{_n(y - 11)}'>"
                        f"{_text(marble.label)}</text>"
                    )
                    label_end = cx + half
        out.append(
            f"<text x='{_n(x1 + 14)}' y='{_n(y + 4)}' fill='{_INK}'>"
            f"{_text(summary_line(summary))}</text>"
        )
        out.append("</g>")
    axis = top + _LANE_HEIGHT * len(lanes) + 10
    out.append(
        f"<line x1='{_n(x0)}' y1='{_n(axis)}' x2='{_n(x1)}' y2='{_n(axis)}' "
        f"stroke='{_INK}'/>"
    )
    step = nice_step(duration, max(1, int((x1 - x0) // 70)))
    for i in range(int(duration / step + 1e-9) + 1):
        tick = x(i * step)
        out.append(
            f"<line x1='{_n(tick)}' y1='{_n(axis)}' x2='{_n(tick)}' "
            f"y2='{_n(axis + 5)}' stroke='{_INK}'/>"
        )
        out.append(
            f"<text x='{_n(tick)}' y='{_n(axis + 18)}' text-anchor='middle' "
            f"fill='{_INK}'>{seconds(i * step)}s</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
