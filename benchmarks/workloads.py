"""Benchmark inputs: the same final JSON text, cut into the same chunks, for all.

Documents are generated deterministically (seeded) from pydantic models:

- ``recipes``: ``{"recipes": [Recipe, ...]}``, the seed's list-of-models shape
  (a list in each item), at 1 KB, 10 KB, 100 KB and 1 MB;
- ``document``: ``{"title", "body"}`` with one long string being written;
- ``nested``: a chain of 40 objects, each holding a list before its child and
  a summary after it, so the open path is deep for most of the stream.

Chunkings: fixed 1, 4 (about one token) and 16 characters, and ``llm``, which
replays the delta lengths of the recorded streams in ``tests/fixtures`` over a
synthetic document. The recorded streams themselves are workloads too, cut as
they arrived.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ForwardRef, Literal, Union, get_args, get_origin

from pydantic import BaseModel, create_model

# The recorded streams' models are the tests' own (defined once).
from tests.helpers.models import (
    Idea,
    Ideas,
    LongText,
    Meeting,
    Numbers,
    Outline,
    Person,
    RecipeItem,
    Recipes,
    Row,
    Section,
    Translation,
    Translations,
    Tree,
    UserCase,
)

__all__ = [
    "FIXTURES",
    "SIZES",
    "Workload",
    "fixture_workload",
    "optional_mirror",
    "synthetic_workload",
]

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

SIZES: dict[str, int] = {
    "1KB": 1_000,
    "10KB": 10_000,
    "100KB": 100_000,
    "1MB": 1_000_000,
}

# --- models ---------------------------------------------------------------------


class Document(BaseModel):
    title: str
    body: str


class Node(BaseModel):
    name: str
    level: int
    notes: list[str]
    child: Node | None = None
    summary: str


# case -> (model, list field, item model); the truncated recordings (movies,
# escapes) are left out: the limit and the final validation need valid JSON.
_FIXTURE_MODELS: dict[
    str, tuple[type[BaseModel], str | None, type[BaseModel] | None]
] = {
    "recipes": (Recipes, "recipes", RecipeItem),
    "ideas": (Ideas, "ideas", Idea),
    "meeting": (Meeting, "users", Person),
    "user": (UserCase, None, None),
    "unicode": (Translations, "translations", Translation),
    "outline": (Outline, "sections", Section),
    "longtext": (LongText, None, None),
    "numbers": (Numbers, "rows", Row),
    "tree": (Tree, None, None),
}


def optional_mirror(model: type[BaseModel]) -> type[BaseModel]:
    """The same model with every field optional (default None), recursively.

    What a user writes to validate partial JSON with pydantic alone: nested
    models are replaced by their mirrors, in lists and unions too.
    """
    return _mirror(model)


@cache
def _mirror(model: type[BaseModel]) -> type[BaseModel]:
    building: dict[type[BaseModel], str] = {}
    made: dict[str, type[BaseModel]] = {}

    def rewrite(annotation: Any) -> Any:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return build(annotation)
        origin = get_origin(annotation)
        if origin is None or origin is Literal:
            return annotation
        original = get_args(annotation)
        args = tuple(rewrite(a) for a in original)
        if all(a is b for a, b in zip(args, original, strict=True)):
            return annotation  # no model inside
        if origin is list:
            return list[args[0]]  # type: ignore[valid-type]
        if origin is dict:
            return dict[args[0], args[1]]  # type: ignore[valid-type]
        return Union[args]  # noqa: UP007 - built at run time from a tuple

    def build(cls: type[BaseModel]) -> Any:
        name = f"Optional{cls.__name__}"
        if cls in building:
            return made.get(name) or ForwardRef(name)
        building[cls] = name
        fields: dict[str, Any] = {
            key: (rewrite(info.annotation) | None, None)
            for key, info in cls.model_fields.items()
        }
        mirror = create_model(name, **fields)
        made[name] = mirror
        return mirror

    root = build(model)
    for mirror in made.values():
        mirror.model_rebuild(_types_namespace=made)
    return root  # type: ignore[no-any-return]


# --- documents ------------------------------------------------------------------

_WORDS = (
    "garlic butter pasta tomato basil onion pepper chicken rice beans lemon thyme "
    "cheese spinach ginger soy noodle curry coconut lentil mushroom cream paprika "
    "oregano parsley potato carrot celery honey mustard vinegar salmon tofu egg"
).split()
_VERBS = "boil chop fry stir bake roast simmer whisk toss season serve grill".split()
_PROSE = (
    "the stream arrives token by token and the interface redraws the partial "
    "object after each one so every word counts when the document grows large "
    "résumé naïve café — “quoted” text\ttab"
).split(" ")


def _recipe(rng: random.Random) -> dict[str, Any]:
    return {
        "name": " ".join(rng.choices(_WORDS, k=rng.randint(2, 4))).title(),
        "prep_time_minutes": rng.randint(5, 120),
        "ingredients": rng.sample(_WORDS, k=rng.randint(3, 6)),
        "instructions": " ".join(
            f"{rng.choice(_VERBS)} the {rng.choice(_WORDS)}"
            for _ in range(rng.randint(3, 8))
        ).capitalize()
        + ".",
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _recipes_text(target: int, seed: int) -> tuple[str, list[int]]:
    """``{"recipes": [...]}`` of about ``target`` characters; item end offsets."""
    rng = random.Random(seed)
    head = '{"recipes": ['
    parts: list[str] = []
    ends: list[int] = []
    length = len(head)
    while length + 2 < target or not parts:
        item = _dumps(_recipe(rng))
        length += (2 if parts else 0) + len(item)
        parts.append(item)
        ends.append(length - 1)  # offset of the item's closing brace
    return head + ", ".join(parts) + "]}", ends


def _prose(rng: random.Random, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(_PROSE)
        if rng.random() < 0.04:
            word += ".\n\n"
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length]


def _document_text(target: int, seed: int) -> str:
    rng = random.Random(seed)
    title = "Notes on streaming"
    body = _prose(rng, max(1, target - 32))
    text = _dumps({"title": title, "body": body})
    while len(text) > target and len(body) > 1:  # escapes made it longer
        body = body[: len(body) - (len(text) - target)]
        text = _dumps({"title": title, "body": body})
    return text


def _nested_text(target: int, seed: int, depth: int = 40) -> str:
    rng = random.Random(seed)
    per_node = max(20, target // depth - 90)

    def node(level: int) -> dict[str, Any]:
        notes: list[str] = []
        size = 0
        while size < per_node * 2 // 3:
            note = _prose(rng, rng.randint(10, 40))
            notes.append(note)
            size += len(note) + 4
        value: dict[str, Any] = {"name": f"level {level}", "level": level}
        value["notes"] = notes
        value["child"] = node(level + 1) if level + 1 < depth else None
        value["summary"] = _prose(rng, per_node // 3)
        return value

    return _dumps(node(0))


# --- chunkings ------------------------------------------------------------------


def _fixed(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@cache
def _recorded_lengths() -> tuple[int, ...]:
    lengths: list[int] = []
    for case in sorted(_FIXTURE_MODELS):
        _header, deltas, _times = _read_fixture(case)
        lengths.extend(len(d) for d in deltas if d)
    return tuple(lengths)


def _llm(text: str) -> list[str]:
    """Cut ``text`` with the delta lengths of the recorded streams, cycled."""
    chunks: list[str] = []
    i = 0
    for length in itertools.cycle(_recorded_lengths()):
        if i >= len(text):
            break
        chunks.append(text[i : i + length])
        i += length
    return chunks


def _chunk(text: str, chunking: str) -> list[str]:
    if chunking == "llm":
        return _llm(text)
    if chunking.endswith("ch") and chunking[:-2].isdigit():
        return _fixed(text, int(chunking[:-2]))
    raise ValueError(f"unknown chunking {chunking!r}")


# --- workloads ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Workload:
    """One final text, its chunks, and the models it validates as."""

    shape: str
    """``recipes``, ``document``, ``nested`` or ``fixture:<case>``."""
    size: str
    """Nominal size label (``1KB`` ... ``1MB``), or ``rec`` for recordings."""
    chunking: str
    """``1ch``, ``4ch``, ``16ch``, ``llm`` or ``recorded``."""
    text: str
    chunks: tuple[str, ...]
    model: type[BaseModel]
    list_path: str | None = None
    """The streamed list's field, for item latency."""
    item_model: type[BaseModel] | None = None
    item_ends: tuple[int, ...] = ()
    """Character offset of each list item's closing brace."""
    seconds_per_chunk: float = 0.01
    """Virtual time between chunks for the debounced pipelines (100 tokens/s)."""
    times: tuple[float, ...] = field(default=(), repr=False)
    """Recorded arrival time of each chunk (recordings only)."""

    @property
    def name(self) -> str:
        return f"{self.shape} {self.size} {self.chunking}"

    @property
    def chars(self) -> int:
        return len(self.text)

    def chunk_ends(self) -> list[int]:
        """Buffer length after each chunk."""
        return list(itertools.accumulate(len(c) for c in self.chunks))


_SEED = 20240601


@cache
def synthetic_workload(shape: str, size: str, chunking: str) -> Workload:
    target = SIZES[size]
    ends: Sequence[int] = ()
    list_path: str | None = None
    item_model: type[BaseModel] | None = None
    model: type[BaseModel]
    if shape == "recipes":
        text, ends = _recipes_text(target, _SEED)
        model, list_path, item_model = Recipes, "recipes", RecipeItem
    elif shape == "document":
        text, model = _document_text(target, _SEED), Document
    elif shape == "nested":
        text, model = _nested_text(target, _SEED), Node
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return Workload(
        shape=shape,
        size=size,
        chunking=chunking,
        text=text,
        chunks=tuple(_chunk(text, chunking)),
        model=model,
        list_path=list_path,
        item_model=item_model,
        item_ends=tuple(ends),
    )


@cache
def _read_fixture(case: str) -> tuple[dict[str, Any], list[str], list[float]]:
    lines = (FIXTURES / f"{case}-3.jsonl").read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    records = [json.loads(line) for line in lines[1:] if line.strip()]
    return header, [r["delta"] for r in records], [float(r["t"]) for r in records]


_JSON = json.JSONDecoder()


def _item_ends(text: str, list_path: str) -> list[int]:
    """Offsets of the closing braces of the items of ``text[list_path]``.

    Each item is read by the standard library's decoder (``raw_decode`` tells
    where it ends), so strings holding brackets or quotes need no care here.
    """
    opening = re.search(rf'"{re.escape(list_path)}"\s*:\s*\[', text)
    if opening is None:
        raise ValueError(f"no list {list_path!r} in the recorded text")
    ends: list[int] = []
    position = _after_space(text, opening.end())
    while text[position] != "]":
        item, end = _JSON.raw_decode(text, position)
        if isinstance(item, dict):
            ends.append(end - 1)
        position = _after_space(text, end)
        if text[position] == ",":
            position = _after_space(text, position + 1)
    return ends


def _after_space(text: str, position: int) -> int:
    while text[position] in " \t\n\r":
        position += 1
    return position


@cache
def fixture_workload(case: str) -> Workload:
    header, deltas, times = _read_fixture(case)
    model, list_path, item_model = _FIXTURE_MODELS[case]
    kept = [(d, t) for d, t in zip(deltas, times, strict=True) if d]
    text = "".join(d for d, _ in kept)
    interval = (kept[-1][1] - kept[0][1]) / max(1, len(kept) - 1)
    return Workload(
        shape=f"fixture:{case}",
        size="rec",
        chunking="recorded",
        text=text,
        chunks=tuple(d for d, _ in kept),
        model=model,
        list_path=list_path,
        item_model=item_model,
        item_ends=tuple(_item_ends(text, list_path)) if list_path else (),
        seconds_per_chunk=interval,
        times=tuple(t for _, t in kept),
    )


def fixture_cases() -> list[str]:
    return sorted(_FIXTURE_MODELS)
