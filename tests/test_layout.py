"""The README's "How the code is laid out" table is true: imports run downward.

Each table row names modules (``rxstruct/json/_paths.py``, or a package as
``rxstruct/sources/``; a bare ``_name.py`` after the first path is a sibling of
it). A module may import only from its own row or rows above it; the face
(``rxstruct/__init__.py``, the last row) re-exports everything. Every module of
the package must appear in the table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rxstruct"


def _rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    rows: list[list[str]] = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        paths = re.findall(r"`([^`]+)`", cell)
        paths = [re.sub(r"<\w+>\.py$", "", path) for path in paths]  # a family
        first = paths[0]
        folder = (
            first.rstrip("/").rsplit("/", 1)[0] if not first.endswith("/") else first
        )
        rows.append(
            [
                path if path.startswith("rxstruct/") else f"{folder}/{path}"
                for path in paths
            ]
        )
    return rows


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _row_of(rows: list[list[str]]) -> dict[str, int]:
    """Dotted module (or package) name -> its row."""
    found: dict[str, int] = {}
    for index, paths in enumerate(rows):
        for path in paths:
            dotted = path.removesuffix(".py").rstrip("/").replace("/", ".")
            dotted = dotted.removesuffix(".__init__")
            found[dotted] = index
    return found


def _row(name: str, rows: dict[str, int]) -> int | None:
    while name:
        if name in rows:
            return rows[name]
        name = name.rpartition(".")[0]
    return None


def _imports(path: Path) -> list[str]:
    """Every rxstruct module ``path`` imports, absolute and dotted."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            if node.module:
                names.append(".".join([*base, node.module]))
            else:
                names.extend(".".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "rxstruct"
        ):
            names.append(node.module or "")
    return names


def test_every_module_is_in_the_table() -> None:
    """A newcomer finds every module of the package in the README's table."""
    rows = _row_of(_rows())
    missing = [
        _module(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if _row(_module(path), rows) is None
    ]
    assert missing == []


def test_imports_run_downward() -> None:
    """No module imports from a row below its own (the face excepted)."""
    rows = _row_of(_rows())
    upward: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        if module == "rxstruct":
            continue
        own = _row(module, rows)
        assert own is not None, module
        for imported in _imports(path):
            row = _row(imported, rows)
            if row is not None and row > own:
                upward.append(f"{module} imports {imported}")
    assert upward == []


def test_the_table_is_read_as_written() -> None:
    """The parser sees the rows (a check on the test itself)."""
    rows = _rows()
    assert rows[0] == ["rxstruct/exceptions.py"]
    assert rows[-1] == ["rxstruct/__init__.py"]
    assert len(rows) > 10
