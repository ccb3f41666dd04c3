"""Draw the README's marble diagram: ``docs/marbles.svg`` and ``docs/marbles.png``.

Usage: ``.venv/bin/python docs/marbles.py`` from the repository root. The
diagram is the one the README's "Seeing a stream" example builds: the bundled
recipes recording, replayed in virtual time, through ``distinct_fields``,
``debounce(1.0)`` and ``new_list_items`` side by side.
``tests/test_viz/test_docs_image.py`` fails when the committed SVG drifts from
what this draws.
"""

from __future__ import annotations

from pathlib import Path

from reactivex import compose
from reactivex.testing import TestScheduler

import rxstruct as rs
from rxstruct import viz
from rxstruct.demo import Recipe, Recipes
from rxstruct.sources import demo_recording_path, load_recording, replay

HERE = Path(__file__).resolve().parent
SVG = HERE / "marbles.svg"
PNG = HERE / "marbles.png"
SCALE = 1.5


def build() -> viz.MarbleDiagram:
    """The diagram, recorded in virtual time (the same on every run)."""
    scheduler = TestScheduler()
    partials = compose(
        rs.accumulate_json(), rs.to_partial(Recipes), rs.distinct_fields()
    )
    return viz.record(
        replay(load_recording(demo_recording_path()), scheduler=scheduler),
        {
            "distinct_fields": partials,
            "debounce(1.0)": compose(partials, rs.debounce(1.0, scheduler=scheduler)),
            "new_list_items": compose(
                rs.accumulate_json(), rs.new_list_items(Recipe, path="recipes")
            ),
        },
        branches=True,
        scheduler=scheduler,
        source_name="tokens",
        title="recipes-3 (Gemma 3 270M): one token stream, three operators",
    )


def main() -> None:
    """Write docs/marbles.svg and docs/marbles.png."""
    diagram = build()
    diagram.save(SVG)
    diagram.save(PNG, scale=SCALE)
    print(f"wrote {SVG.name} and {PNG.name}")


if __name__ == "__main__":
    main()
