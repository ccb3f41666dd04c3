"""Rendering: plain text, SVG (well-formed, one mark per notification), PNG."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import reactivex as rx
from PIL import Image
from reactivex import compose
from reactivex import operators as ops
from reactivex.testing import TestScheduler

import rxstruct as rs
from rxstruct import viz
from rxstruct.sources import replay
from rxstruct.testing import token_marbles
from tests.helpers import MODELS, load
from tests.helpers.models import Idea

SVG = "{http://www.w3.org/2000/svg}"


def _ideas_diagram() -> viz.MarbleDiagram:
    scheduler = TestScheduler()
    partials = compose(rs.accumulate_json(), rs.to_partial(MODELS["ideas"]))
    return viz.record(
        replay(load("ideas"), scheduler=scheduler),
        {
            "partials": partials,
            "debounce(1.0)": compose(partials, rs.debounce(1.0, scheduler=scheduler)),
            "items": compose(rs.accumulate_json(), rs.new_list_items(Idea, "ideas")),
        },
        branches=True,
        scheduler=scheduler,
        source_name="tokens",
        title="ideas-3",
    )


def _lanes(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.attrib["data-name"]: g for g in root.iter(f"{SVG}g")}


# --- text ----------------------------------------------------------------------


def test_text_rendering_of_a_small_run_is_exact() -> None:
    scheduler = TestScheduler()
    diagram = viz.record(
        token_marbles("-a-b-c---d-#", timespan=0.5),
        {"debounce(2)": rs.debounce(2.0, scheduler=scheduler)},
        scheduler=scheduler,
        source_name="chunks",
    )
    assert diagram.text(width=23) == (
        "              0s      2s      4s\n"
        "              |-------|-------|------\n"
        "chunks        --o---o---o-------o---#   4 values, first 0.5s\n"
        "debounce(2)   --o-------o-------o---#   3 values, first 0.5s, 1 dropped"
    )
    assert [s.ended for s in diagram.summary()] == ["error", "error"]


def test_text_marks_counts_completion_restarts_and_unstarted_time() -> None:
    lane = viz.Lane(
        name="x",
        subscribed=1.0,
        marbles=(
            *(viz.Marble(time=2.0, value=i) for i in range(3)),
            *(viz.Marble(time=3.0, value=i) for i in range(12)),
            viz.Marble(time=4.0, kind="error", value=ValueError("bad")),
            viz.Marble(time=5.0, kind="retry"),
            viz.Marble(time=6.0, value="late"),
            viz.Marble(time=6.0, kind="completed"),
        ),
    )
    row = viz.MarbleDiagram(lanes=(lane,)).text(width=7).splitlines()[2]
    assert row.startswith("x    -3*#Ro|")
    assert row.endswith("16 values, first 1s, 1 restart")


def test_text_of_a_fixture_has_one_row_per_lane_and_the_figures() -> None:
    diagram = _ideas_diagram()
    lines = diagram.text().splitlines()
    assert lines[0] == "ideas-3"
    assert [line.split()[0] for line in lines[3:]] == [
        "tokens",
        "partials",
        "debounce(1.0)",
        "items",
    ]
    assert lines[6].split()[1].count("o") == 3  # the three ideas
    assert "3 values" in lines[6] and "dropped" in lines[6]
    assert str(diagram) == diagram.text()
    assert diagram.summary_text().splitlines()[0].split() == [
        "stage",
        "values",
        "first",
        "value",
        "dropped",
        "restarts",
        "ended",
    ]
    assert diagram.legend("items").count("next  ListItem(index=") == 3
    assert diagram.legend("tokens", limit=2).endswith(
        f"... {len(load('ideas').deltas) - 1} more"
    )
    with pytest.raises(rs.UsageError):
        diagram.text(width=1)


# --- SVG -----------------------------------------------------------------------


def test_svg_is_well_formed_with_one_mark_per_notification() -> None:
    diagram = _ideas_diagram()
    svg = diagram.svg()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert float(root.attrib["height"]) > 4 * 46
    lanes = _lanes(svg)
    assert list(lanes) == ["tokens", "partials", "debounce(1.0)", "items"]
    for lane in diagram.lanes:
        group = lanes[lane.name]
        circles = group.findall(f"{SVG}circle")
        assert len(circles) == len(lane.values())
        # Left to right in time order, each with its full value on hover.
        xs = [float(c.attrib["cx"]) for c in circles]
        assert xs == sorted(xs)
        titles = [c.find(f"{SVG}title") for c in circles]
        assert all(t is not None and t.text for t in titles)
        assert len(group.findall(f"{SVG}line[@class='completed']")) == 1
    items = lanes["items"]
    hover = [c.find(f"{SVG}title").text or "" for c in items.findall(f"{SVG}circle")]
    assert all("title='Notes on the Go'" in text for text in hover)
    labels = [t.text for t in items.findall(f"{SVG}text") if t.text]
    assert labels[0] == "items"
    assert labels[1:4] == ["#0 Notes on…", "#1 Notes on…", "#2 Notes on…"]
    assert labels[4].startswith("3 values")


def test_svg_marks_errors_and_restarts_and_escapes_any_text() -> None:
    nasty = 'a<b>&"c\x00\x1b'
    lane = viz.Lane(
        name="<lane & co>",
        marbles=(
            viz.Marble(time=0.5, label=nasty, detail=nasty, value=nasty),
            viz.Marble(time=1.0, kind="error", label="E", detail="ValueError: <x>"),
            viz.Marble(time=1.5, kind="retry", label="attempt 2", detail="again"),
            viz.Marble(time=2.0, kind="completed", detail="completed"),
        ),
    )
    svg = viz.MarbleDiagram(lanes=(lane,), title="t & <t>").svg()
    root = ET.fromstring(svg)  # well-formed despite the control characters
    (group,) = root.iter(f"{SVG}g")
    assert group.attrib["data-name"] == "<lane & co>"
    (error,) = group.findall(f"{SVG}path[@class='error']")
    assert error.find(f"{SVG}title").text == "1s  ValueError: <x>"
    assert len(group.findall(f"{SVG}polygon[@class='retry']")) == 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "t & <t>" in texts and 'a<b>&"c\ufffd\ufffd' in texts


def test_jupyter_bundle_has_text_and_html_and_honours_include() -> None:
    diagram = _ideas_diagram()
    bundle = diagram._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == diagram.text()
    html = bundle["text/html"]
    assert html.startswith("<div class='rxstruct-marbles'><svg")
    assert "<table>" in html and "<td>items</td><td>3</td>" in html
    only_svg = diagram._repr_mimebundle_(include=["text/plain", "image/svg+xml"])
    assert set(only_svg) == {"text/plain", "image/svg+xml"}
    ET.fromstring(only_svg["image/svg+xml"])


# --- PNG and files -------------------------------------------------------------


def test_svg_rendered_to_png_headlessly_is_the_right_size_and_not_blank(
    tmp_path: Path,
) -> None:
    diagram = _ideas_diagram()
    root = ET.fromstring(diagram.svg())
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    path = diagram.save(tmp_path / "ideas.png", scale=2.0)
    image = Image.open(path).convert("RGB")
    assert image.size == (round(width * 2), round(height * 2))
    pixels = list(image.get_flattened_data())
    ink = sum(1 for p in pixels if p != (255, 255, 255))
    assert ink > 0.02 * len(pixels)  # lanes, marbles, text: well above blank
    # The marbles are drawn in colour (the first lane's blue is there).
    blue = sum(1 for r, g, b in pixels if b > 140 and r < 110 and g < 150)
    assert blue > 100
    assert image.getpixel((0, 0)) == (255, 255, 255)


def test_save_writes_svg_png_and_text_and_refuses_other_suffixes(
    tmp_path: Path,
) -> None:
    diagram = viz.record(rx.of("a", "b"), {"upper": ops.map(str.upper)})
    assert diagram.save(tmp_path / "d.svg").read_text().startswith("<svg")
    assert diagram.save(tmp_path / "d.txt").read_text() == diagram.text() + "\n"
    png = diagram.save(tmp_path / "d.png").read_bytes()
    assert Image.open(io.BytesIO(png)).format == "PNG"
    with pytest.raises(rs.UsageError):
        diagram.save(tmp_path / "d.jpg")
