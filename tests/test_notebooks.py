"""The notebooks run top to bottom and still show what they show.

Outputs are kept in git (a reader sees them without running anything) and
checked: each notebook is executed with a fresh kernel (from ``notebooks/``, as
Jupyter would), and every code cell's text output, and its rich outputs (the
HTML/SVG of marble diagrams and live views), must equal what the stored
notebook holds. A notebook cannot silently go stale. After a deliberate change,
refresh the outputs with ``cd notebooks && ../.venv/bin/jupyter-execute
--inplace NAME.ipynb``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _text(cell: Any) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


RICH = ("text/html", "image/svg+xml")


def _rich(cell: Any) -> list[dict[str, str]]:
    return [
        {mime: output["data"][mime] for mime in RICH if mime in output["data"]}
        for output in cell.get("outputs", [])
        if "data" in output
    ]


def test_there_are_notebooks() -> None:
    """The quickstart, stream-behaviour and failure-and-retry notebooks exist."""
    names = {path.name for path in NOTEBOOKS}
    expected = {
        "01_quickstart.ipynb",
        "02_stream_behaviour.ipynb",
        "03_failure_and_retry.ipynb",
    }
    assert expected <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_and_matches_its_outputs(path: Path) -> None:
    """Run the notebook; each cell prints exactly what the stored notebook shows."""
    stored = nbformat.read(path, as_version=4)
    fresh = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        fresh,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    code_cells = [
        (old, new)
        for old, new in zip(stored.cells, fresh.cells, strict=True)
        if old.cell_type == "code"
    ]
    assert code_cells
    for number, (old, new) in enumerate(code_cells):
        assert not any(o.get("output_type") == "error" for o in new.outputs), _text(new)
        assert _text(new) == _text(old), f"{path.name}: cell {number} output changed"
        # Compared without a diff: an SVG is one long line.
        same = _rich(new) == _rich(old)
        assert same, f"{path.name}: cell {number} rich output (HTML/SVG) changed"
