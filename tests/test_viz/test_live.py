"""The live view: in place in a real Jupyter kernel, plain text elsewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import nbclient
import nbformat
import pytest
import reactivex as rx

import rxstruct as rs
from rxstruct import viz

SETUP = """
from reactivex import operators as ops
from reactivex.testing import TestScheduler

import rxstruct as rs
from rxstruct import viz
from rxstruct.demo import Recipe, Recipes
from rxstruct.sources import demo_recording_path, load_recording, replay
"""

LIVE = """
scheduler = TestScheduler()
snapshots = replay(load_recording(demo_recording_path()), scheduler=scheduler).pipe(
    rs.accumulate_json(), ops.share()
)
view = viz.live(
    snapshots.pipe(
        rs.to_partial(Recipes),
        rs.distinct_fields(),
        rs.debounce(1.0, scheduler=scheduler),
    ),
    items=snapshots.pipe(rs.new_list_items(Recipe, path="recipes")),
    title="recipes",
)
scheduler.start()
print(view.status, view.updates, len(view.items))
"""


class _Recording(nbclient.NotebookClient):
    """A notebook client that keeps every IOPub message the kernel sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[dict[str, Any]] = []

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        self.seen.append(msg)
        return super().process_message(msg, cell, cell_index)


@pytest.mark.slow
def test_live_view_updates_one_output_in_place_in_a_real_kernel() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(SETUP), nbformat.v4.new_code_cell(LIVE)]
    client = _Recording(notebook, timeout=120, kernel_name="python3")
    client.execute()
    cell = notebook.cells[1]
    kinds = [m["msg_type"] for m in client.seen if m["parent_header"]["msg_id"]]
    assert kinds.count("display_data") == 1
    displayed = next(m for m in client.seen if m["msg_type"] == "display_data")
    display_id = displayed["content"]["transient"]["display_id"]
    updates = [m for m in client.seen if m["msg_type"] == "update_display_data"]
    assert {m["content"]["transient"]["display_id"] for m in updates} == {display_id}
    # What the cell printed at the end: completed, one update per change.
    streams = [o for o in cell.outputs if o.output_type == "stream"]
    printed = "".join(o.text for o in streams)
    status, count, items = printed.split()
    assert (status, items) == ("completed", "3")
    assert int(count) == len(updates) > 10
    texts = [m["content"]["data"]["text/plain"] for m in updates]
    item_counts = [
        int(found.group(1)) if (found := re.search(r"items \((\d+)\)", t)) else 0
        for t in texts
    ]
    assert item_counts == sorted(item_counts) and item_counts[-1] == 3
    assert len(set(item_counts)) == 4  # the items arrived one by one: 0, 1, 2, 3
    assert texts[0].startswith("recipes (streaming)")
    assert texts[-1].startswith("recipes (completed)")
    # The growing partial: the first recipe's name is written before it closes.
    assert any('"name": "Pork Sausage"' in t and "items" not in t for t in texts)
    # In the saved notebook, the view is one output holding the final state.
    (display,) = [o for o in cell.outputs if o.output_type == "display_data"]
    assert display.data["text/plain"] == texts[-1]
    assert "<ol start='0'>" in display.data["text/html"]


def test_outside_a_notebook_the_final_state_is_printed_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = viz.live(
        rx.of({"title": "Le"}, {"title": "Leek"}),
        items=rx.of(rs.ListItem(index=0, value="leek", path=("items", 0))),
        title="soup",
    )
    assert not view.show()
    assert view.status == "completed" and view.updates == 4
    assert capsys.readouterr().out == (
        'soup (completed)\n{\n  "title": "Leek"\n}\nitems (1):\n  0: \'leek\'\n'
    )


def test_an_error_ends_the_view_and_is_shown() -> None:
    view = viz.LiveView(title="numbers")
    snapshots = rx.of('{"n": 1', "2x}").pipe(rs.accumulate_json())
    view.observe(snapshots)
    assert view.wait(1)
    assert view.status == "error"
    assert isinstance(view.error, rs.JsonStreamError)
    assert view.text().splitlines()[0] == "numbers (error)"
    assert "error: JsonStreamError: " in view.text()
    assert view.partial.value == {}
    assert "color:#c00" in view._repr_mimebundle_()["text/html"]


def test_importing_viz_does_not_import_ipython() -> None:
    code = "import sys, rxstruct.viz; print('IPython' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_an_error_on_one_stream_ends_the_view_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = viz.live(
        rx.throw(rs.SourceError("connection reset")),
        items=rx.of(1, 2),
        title="t",
    )
    assert view.status == "error" and view.items == [1, 2]
    out = capsys.readouterr().out
    assert out.count("t (error)") == 1
    assert "error: SourceError: connection reset" in out
    with pytest.raises(rs.UsageError):
        viz.LiveView().observe()
