"""Helpers for operator tests over JSON text: where values close, chunked runs.

Independent of the decoder, :func:`value_spans` finds where each value of a
complete document ends with the standard library's ``json``, so "emitted on
the chunk that closed it" is checked against the text itself.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from hypothesis import strategies as st
from reactivex import Observable
from reactivex.testing import ReactiveTest, TestScheduler

import rxstruct as rs
from rxstruct.json import JsonSnapshot, Path
from rxstruct.testing import VirtualRun, run_in_virtual_time, token_marbles

on_next = ReactiveTest.on_next
on_completed = ReactiveTest.on_completed


_WS = " \t\n\r"


_RAW = json.JSONDecoder()


def value_spans(text: str) -> dict[Path, tuple[int, int]]:
    """``path -> (start, end)`` of every value in a complete JSON ``text``.

    Containers are walked by hand, scalars are read with ``json.raw_decode``.
    """
    spans: dict[Path, tuple[int, int]] = {}

    def skip(i: int) -> int:
        while i < len(text) and text[i] in _WS:
            i += 1
        return i

    def walk(i: int, path: Path) -> int:
        start = i = skip(i)
        if text[i] in "{[":
            closing = "}" if text[i] == "{" else "]"
            i = skip(i + 1)
            index = 0
            while text[i] != closing:
                if closing == "}":
                    key, i = _RAW.raw_decode(text, i)
                    i = skip(i)
                    assert text[i] == ":"
                    i = walk(i + 1, (*path, key))
                else:
                    i = walk(i, (*path, index))
                    index += 1
                i = skip(i)
                if text[i] == ",":
                    i = skip(i + 1)
            end = i + 1
        else:
            _, end = _RAW.raw_decode(text, i)
        spans[path] = (start, end)
        return end

    walk(0, ())
    return spans


def closing_offset(text: str, span: tuple[int, int]) -> int | None:
    """The offset of the character that makes a value complete.

    Its last character, except for a number: the character after it (``4``
    may go on as ``42``); ``None`` for a number that only the end of text
    closes.
    """
    start, end = span
    if text[start] not in "-0123456789":
        return end - 1
    return end if end < len(text) else None


def chunk_of(chunks: Sequence[str], offset: int | None) -> int:
    """Index of the chunk holding ``offset``; ``len(chunks)`` for the close."""
    if offset is None:
        return len(chunks)
    ends: list[int] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        ends.append(total)
    return bisect.bisect_right(ends, offset)


def closing_chunks(
    text: str, chunks: Sequence[str], paths: Iterable[Path]
) -> list[int]:
    """For each path, the index of the chunk holding the end of its value in ``text``.

    What an operator that emits a value "on the chunk that closed it" must
    match: compare with :func:`emitted_at`.
    """
    spans = value_spans(text)
    return [chunk_of(chunks, closing_offset(text, spans[path])) for path in paths]


def run_chunks(
    chunks: Sequence[str],
    operator: Callable[[Observable[JsonSnapshot]], Observable[Any]],
    *,
    complete: bool = True,
) -> VirtualRun[Any]:
    """Feed chunk ``k`` at virtual time 201 + k; completion (if any) right after.

    So an output at time ``t`` was caused by chunk ``t - 201``, and the
    ``done`` snapshot of the close arrives at ``201 + len(chunks)``.
    """

    def build(scheduler: TestScheduler) -> Observable[Any]:
        messages = [on_next(1 + k, chunk) for k, chunk in enumerate(chunks)]
        if complete:
            messages.append(on_completed(1 + len(chunks)))
        source = scheduler.create_cold_observable(messages)
        return source.pipe(rs.accumulate_json(), operator)

    return run_in_virtual_time(build, disposed=max(1000.0, 300.0 + len(chunks)))


def marbles_run(
    diagram: str,
    chunks: dict[str, str],
    *operators: Callable[[Observable[Any]], Observable[Any]],
) -> VirtualRun[Any]:
    """Run the chunks of a marble ``diagram`` through ``accumulate_json()``, then
    ``operators``, in virtual time (``token_marbles`` timing: tick 1.0 from 200).
    """
    return run_in_virtual_time(
        token_marbles(diagram, chunks).pipe(rs.accumulate_json(), *operators)
    )


def emitted_at(run: VirtualRun[Any]) -> list[int]:
    """For each value of ``run`` (fed by :func:`run_chunks`), its chunk index."""
    return [int(t) - 201 for t in run.times()]


def docstring_marble(
    function: Callable[..., Any], namespace: dict[str, Any]
) -> tuple[str, str, str, dict[str, str], dict[str, Any]]:
    """The marble of a façade docstring: its three rows and both legends.

    Returns the source row, the ``[ operator ]`` row, the output row, the chunk
    of each source name and the value of each output name (evaluated in
    ``namespace``). The directive is ``.. marble::`` with ``:alt:`` naming the
    function.
    """
    doc = function.__doc__ or ""
    block = doc.split(".. marble::", 1)[1].splitlines()
    rows = [line.strip() for line in block[1:] if line.strip()]
    assert rows[0] == f":alt: {function.__name__}", rows[0]
    source, operator, output = rows[1:4]
    chunks: dict[str, str] = {}
    values: dict[str, Any] = {}
    for row in rows[4:]:
        for name, text in re.findall(r"(?:^|\s)(\w) = ('(?:[^'\\]|\\.)*')", row):
            chunks[name] = ast.literal_eval(text)
        found = re.search(r"(\w) = (\w+\(.*\))$", row)
        if found:
            values[found[1]] = eval(found[2], namespace)  # our own docstring
    return source, operator, output, chunks, values


class Replayed(NamedTuple):
    """A façade docstring's marble and the run that drew its output row."""

    source: str
    chunks: dict[str, str]
    values: dict[str, Any]
    run: VirtualRun[Any]


def replay_docstring_marble(
    function: Callable[..., Any],
    namespace: dict[str, Any],
    operator: str,
    run: Callable[[str, dict[str, str]], VirtualRun[Any]],
    *,
    chunks: int,
    values: int,
) -> Replayed:
    """Replay the marble of ``function``'s docstring (see :func:`docstring_marble`).

    Checks that the operator row is ``[ operator ]`` and that the legends name
    ``chunks`` chunks and ``values`` values, then that ``run`` of the source row
    and its chunks draws exactly the output row.
    """
    source, row, output, legend_chunks, legend_values = docstring_marble(
        function, namespace
    )
    assert row == f"[ {operator} ]", row
    assert len(legend_chunks) == chunks, legend_chunks
    assert len(legend_values) == values, legend_values
    replayed = run(source, legend_chunks)
    assert replayed.marbles(legend_values) == output
    return Replayed(source, legend_chunks, legend_values, replayed)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
)


_json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def list_documents(draw: st.DrawFn) -> tuple[str, list[str], str | None, Path]:
    """A JSON document holding a list, its chunks, the list's path pattern and
    its concrete path."""
    elements = draw(st.lists(_json_values, max_size=8))
    where = draw(st.sampled_from(["root", "field", "nested"]))
    document: Any
    path: Path
    if where == "root":
        document, pattern, path = elements, None, ()
    elif where == "field":
        document = {"before": [1, {"x": "y"}], "items": elements, "after": "z"}
        pattern, path = "items", ("items",)
    else:
        document = {"groups": [{"items": ["q"]}, {"items": elements}]}
        pattern, path = "groups[*].items", ("groups", 1, "items")
    indent = draw(st.sampled_from([None, 0, 2]))
    text = json.dumps(document, indent=indent, ensure_ascii=draw(st.booleans()))
    cuts = draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=30))
    bounds = [0, *sorted(c for c in cuts if c < len(text)), len(text)]
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    return text, chunks, pattern, path
