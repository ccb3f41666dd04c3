"""The README's diagram image is what the code draws today."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "docs" / "marbles.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_marbles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations there
    spec.loader.exec_module(module)
    return module


def test_the_committed_svg_is_what_the_script_draws() -> None:
    script = _script()
    drawn = script.build().svg()
    assert script.SVG.read_text(encoding="utf-8") == drawn, (
        "docs/marbles.svg is stale: run .venv/bin/python docs/marbles.py"
    )
    assert "](docs/marbles.png)" in (ROOT / "README.md").read_text()


def test_the_committed_png_matches_the_svg_in_size_and_is_not_blank() -> None:
    script = _script()
    root = ET.parse(script.SVG).getroot()
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    image = Image.open(script.PNG).convert("L")
    assert image.size == (round(width * script.SCALE), round(height * script.SCALE))
    dark = sum(1 for value in image.get_flattened_data() if value < 128)
    assert dark > 0.01 * image.size[0] * image.size[1]
