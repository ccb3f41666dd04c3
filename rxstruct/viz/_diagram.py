"""The marble diagram object: text, SVG, PNG, and rich display in Jupyter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from ..exceptions import UsageError
from ._model import Lane, StageSummary
from ._svg import svg_diagram
from ._text import seconds, text_diagram

__all__ = ["MarbleDiagram", "svg_to_png"]


def svg_to_png(svg: str, *, scale: float = 1.0) -> bytes:
    r"""Render an SVG document to PNG bytes with resvg (the ``[viz]`` extra).

    resvg is a self-contained SVG renderer: its wheel needs no system library
    (no cairo, no browser). Text uses the system's fonts.

    Args:
        svg: The SVG document.
        scale: Zoom factor (2.0 doubles the pixel size).

    Returns:
        The PNG file's bytes.

    Raises:
        ImportError: ``resvg-py`` is not installed.

    Example:
        >>> png = svg_to_png(
        ...     '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"/>'
        ... )
        >>> png[:8] == b"\x89PNG\r\n\x1a\n"
        True
    """
    try:
        import resvg_py
    except ImportError as error:
        raise ImportError(
            'PNG output needs resvg-py: pip install "rxstruct[viz]"'
        ) from error
    return bytes(
        resvg_py.svg_to_bytes(svg_string=svg, zoom=scale, background="#ffffff")
    )


@dataclass(frozen=True, kw_only=True)
class MarbleDiagram:
    """Recorded lanes drawn on one time axis: one lane per stage of a pipeline.

    In Jupyter it displays as SVG (hover a marble for its full value) with a
    table of figures; ``print`` gives the plain text diagram. :meth:`save`
    writes ``.svg``, ``.png`` or ``.txt``.

    Example:
        >>> from rxstruct.viz import Lane, Marble
        >>> diagram = MarbleDiagram(lanes=(Lane(name="x", marbles=(
        ...     Marble(time=1.0, value="a", label="a"),
        ...     Marble(time=2.0, kind="completed"))),))
        >>> diagram.counts()
        {'x': 1}
        >>> print(diagram.text(width=11))
            0s        2s
            |---------|
        x   -----o----|   1 value, first 1s
    """

    lanes: tuple[Lane, ...]
    """The lanes, top to bottom."""

    title: str | None = None
    """A title drawn above the lanes."""

    def __getitem__(self, name: str) -> Lane:
        for lane in self.lanes:
            if lane.name == name:
                return lane
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        """The number of values on each lane.

        Example:
            >>> MarbleDiagram(lanes=(Lane(name="x"),)).counts()
            {'x': 0}
        """
        return {lane.name: len(lane.times()) for lane in self.lanes}

    def summary(self) -> list[StageSummary]:
        """Figures per lane: emissions, time to first value, values dropped.

        The drop count compares a lane with the lane it reads from (given when
        it was recorded): the input values that produced no output.

        Example:
            >>> MarbleDiagram(lanes=(Lane(name="x"),)).summary()[0].emissions
            0
        """
        by_name = {lane.name: lane for lane in self.lanes}
        return [
            lane.summary(by_name.get(lane.input) if lane.input else None)
            for lane in self.lanes
        ]

    def summary_text(self) -> str:
        """The figures as an aligned text table.

        Example:
            >>> print(MarbleDiagram(lanes=(Lane(name="x"),)).summary_text())
            stage  values  first value  dropped  restarts  ended
            x      0       -            -        0         running
        """
        rows = [("stage", "values", "first value", "dropped", "restarts", "ended")]
        for s in self.summary():
            rows.append(
                (
                    s.name,
                    str(s.emissions),
                    "-" if s.first_value is None else f"{seconds(s.first_value)}s",
                    "-" if s.dropped is None else str(s.dropped),
                    str(s.retries),
                    s.ended,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        return "\n".join(
            "  ".join(
                cell.ljust(w) for cell, w in zip(row, widths, strict=True)
            ).rstrip()
            for row in rows
        )

    def legend(self, lane: str, *, limit: int = 50) -> str:
        """Every mark of one lane with its time and full value, one per line.

        Args:
            lane: The lane's name.
            limit: Show at most this many marks (the first ones).

        Example:
            >>> from rxstruct.viz import Marble
            >>> diagram = MarbleDiagram(lanes=(Lane(name="x", marbles=(
            ...     Marble(time=0.25, value=1, detail="1"),)),))
            >>> print(diagram.legend("x"))
            0.25s  next  1
        """
        marbles = self[lane].marbles
        lines = [
            f"{seconds(m.time)}s  {m.kind}  {m.detail}".rstrip()
            for m in marbles[:limit]
        ]
        if len(marbles) > limit:
            lines.append(f"... {len(marbles) - limit} more")
        return "\n".join(lines)

    def text(self, *, width: int = 72) -> str:
        """The diagram as plain text (see :func:`text_diagram` for the marks).

        Args:
            width: Columns for the time axis.

        Raises:
            UsageError: ``width`` is below 2.

        Example:
            >>> print(MarbleDiagram(lanes=(Lane(name="x"),)).text(width=3))
                0s
                |--
            x   ---   0 values, not ended
        """
        if width < 2:
            raise UsageError(f"width must be at least 2, got {width!r}")
        return text_diagram(self.lanes, self.summary(), width=width, title=self.title)

    def svg(self, *, width: int = 960) -> str:
        """The diagram as an SVG document.

        Example:
            >>> MarbleDiagram(lanes=()).svg().endswith("</svg>")
            True
        """
        return svg_diagram(self.lanes, self.summary(), width=width, title=self.title)

    def html(self) -> str:
        """The SVG followed by a table of the figures, for notebooks.

        Example:
            >>> "<table" in MarbleDiagram(lanes=(Lane(name="x"),)).html()
            True
        """
        head = "".join(
            f"<th>{escape(h)}</th>"
            for h in ("stage", "values", "first value", "dropped", "restarts")
        )
        rows = []
        for s in self.summary():
            first = "-" if s.first_value is None else f"{seconds(s.first_value)} s"
            dropped = "-" if s.dropped is None else str(s.dropped)
            rows.append(
                f"<tr><td>{escape(s.name)}</td><td>{s.emissions}</td>"
                f"<td>{first}</td><td>{dropped}</td><td>{s.retries}</td></tr>"
            )
        table = f"<table><tr>{head}</tr>{''.join(rows)}</table>"
        return f"<div class='rxstruct-marbles'>{self.svg()}\n{table}</div>"

    def to_png(self, *, scale: float = 2.0) -> bytes:
        r"""The diagram as PNG bytes (needs the ``[viz]`` extra).

        Example:
            >>> MarbleDiagram(lanes=()).to_png()[:4]
            b'\x89PNG'
        """
        return svg_to_png(self.svg(), scale=scale)

    def save(self, path: str | Path, *, scale: float = 2.0) -> Path:
        """Write the diagram to ``path``: ``.svg``, ``.png`` or ``.txt``.

        Args:
            path: The file; its suffix picks the format.
            scale: PNG only: zoom factor.

        Returns:
            The path written.

        Raises:
            UsageError: The suffix is not one of the three.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     saved = MarbleDiagram(lanes=()).save(Path(folder) / "d.svg")
            ...     saved.read_text().startswith("<svg")
            True
        """
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".svg":
            target.write_text(self.svg(), encoding="utf-8")
        elif suffix == ".png":
            target.write_bytes(self.to_png(scale=scale))
        elif suffix == ".txt":
            target.write_text(self.text() + "\n", encoding="utf-8")
        else:
            raise UsageError(
                f"cannot save a diagram as {target.name!r}: use .svg, .png or .txt"
            )
        return target

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(
        self,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        """Jupyter's rich display: text/plain and text/html (inline SVG)."""
        bundle = {"text/plain": self.text()}
        wanted = [
            mime
            for mime in ("text/html", "image/svg+xml")
            if (include is None or mime in include)
            and (exclude is None or mime not in exclude)
        ]
        if "text/html" in wanted:
            bundle["text/html"] = self.html()
        elif "image/svg+xml" in wanted:
            bundle["image/svg+xml"] = self.svg()
        return bundle
