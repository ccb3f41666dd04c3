"""Properties of to_partial over random documents and real LLM recordings.

Every emitted partial must be consistent with the final object: a field is
None (or its default), equal to its final value, or for strings and lists a
prefix of it. Emissions never take back what they showed, their type never
changes, and every path ``rs.completed`` lists already holds its final value.
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any, Literal

import pytest
import reactivex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

import rxstruct as rs
from rxstruct.json import parse_pattern
from rxstruct.sources import Recording
from tests.helpers import MODELS, load, truncated
from tests.helpers.models import Cat, Dog, Numbers

# --- checks --------------------------------------------------------------------


def _default(model: type[BaseModel], name: str) -> Any:
    info = model.model_fields[name]
    if info.is_required():
        return None
    return info.get_default(call_default_factory=True, validated_data={})


def check_prefix(before: Any, after: Any, where: str = "") -> None:
    """``before`` shows nothing that ``after`` contradicts.

    ``after`` is a later partial or the final (validated) object.
    """
    if before is None:
        return
    if isinstance(before, BaseModel):
        assert isinstance(after, BaseModel), where
        assert type(before).__name__ in (
            type(after).__name__,
            "Partial" + type(after).__name__,
        ), where
        for name in type(before).model_fields:
            value = getattr(before, name)
            if name not in before.model_fields_set:
                fields = type(before).model_fields
                assert value is None or value == _default(type(before), name), (
                    where,
                    name,
                    fields[name],
                )
                continue
            check_prefix(value, getattr(after, name), f"{where}.{name}")
    elif isinstance(before, str) and not isinstance(before, enum.Enum):
        assert isinstance(after, str), where
        assert after.startswith(before), (where, before, after)
    elif isinstance(before, list):
        assert isinstance(after, list), where
        assert len(before) <= len(after), where
        for i, (b, a) in enumerate(zip(before, after, strict=False)):
            check_prefix(b, a, f"{where}[{i}]")
    elif isinstance(before, dict):
        assert isinstance(after, dict), where
        assert set(before) <= set(after), where
        for key, value in before.items():
            check_prefix(value, after[key], f"{where}[{key!r}]")
    else:  # numbers, bools, literals, enums, dates: shown only when final
        assert before == after, (where, before, after)
        assert type(before) is type(after), (where, before, after)


def resolve(value: Any, path: str) -> Any:
    for part in parse_pattern(path):
        value = getattr(value, part) if isinstance(value, BaseModel) else value[part]  # type: ignore[index]
    return value


def dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {name: dump(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list):
        return [dump(item) for item in value]
    if isinstance(value, dict):
        return {key: dump(item) for key, item in value.items()}
    return value


def check_stream(emissions: list[Any], final: Any) -> None:
    """Type stability, consistency with ``final``, monotonic completion."""
    assert emissions, "nothing emitted"
    kind = type(emissions[0])
    previous_complete: frozenset[str] = frozenset()
    for before, after in zip(emissions, emissions[1:], strict=False):
        check_prefix(before, after)
    for emission in emissions:
        assert type(emission) is kind
        check_prefix(emission, final)
        complete = rs.completed(emission)
        assert previous_complete <= complete
        previous_complete = complete
        for path in complete:
            assert dump(resolve(emission, path)) == dump(resolve(final, path)), path


def run_builder(model: Any, chunks: list[str]) -> list[Any]:
    decoder = rs.PartialJsonDecoder()
    builder = rs.PartialBuilder(model)
    out = [builder.feed(decoder.feed(chunk)) for chunk in chunks]
    out.append(builder.feed(decoder.close()))
    return [value for value in out if value is not None]


def run_pipeline(
    model: Any, chunks: list[str]
) -> tuple[list[Any], Any, Exception | None]:
    """(partials, final, error) of one stream through to_partial and validate_final."""
    snapshots = reactivex.from_iterable(chunks).pipe(rs.accumulate_json())
    partials: list[Any] = []
    finals: list[Any] = []
    errors: list[Exception] = []
    snapshots.pipe(rs.to_partial(model)).subscribe(partials.append, lambda e: None)
    snapshots.pipe(rs.validate_final(model)).subscribe(finals.append, errors.append)
    return partials, (finals[0] if finals else None), (errors[0] if errors else None)


# --- a model with every type family ---------------------------------------------


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Weighted(BaseModel):
    label: str
    weight: float


class Node(BaseModel):
    name: str
    value: int | None = None
    children: list[Node] = []


class Profile(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str
    age: int
    score: float
    active: bool
    role: Literal["admin", "user", "guest"]
    color: Color
    nickname: str | None
    website: Annotated[str, rs.Atomic]
    display: str = Field(alias="displayName")
    either: int | str
    tags: list[Weighted]
    words: list[str]
    numbers: list[int]
    meta: dict[str, int]
    pets: list[Annotated[Cat | Dog, Field(discriminator="kind")]]
    best: Cat | Dog
    tree: Node
    note: str = "none"


texts = st.text(max_size=12)
ints = st.integers(-(2**53), 2**53)
floats = st.floats(allow_nan=False, allow_infinity=False)
cats = st.fixed_dictionaries(
    {"kind": st.just("cat"), "name": texts}, optional={"lives": ints}
)
dogs = st.fixed_dictionaries(
    {"kind": st.just("dog"), "name": texts}, optional={"good": st.booleans()}
)
nodes = st.recursive(
    st.fixed_dictionaries({"name": texts}, optional={"value": st.none() | ints}),
    lambda inner: st.fixed_dictionaries(
        {"name": texts, "children": st.lists(inner, max_size=3)}
    ),
    max_leaves=6,
)
profiles = st.fixed_dictionaries(
    {
        "name": texts,
        "age": ints,
        "score": floats,
        "active": st.booleans(),
        "role": st.sampled_from(["admin", "user", "guest"]),
        "color": st.sampled_from(["red", "green"]),
        "nickname": st.none() | texts,
        "website": texts,
        "displayName": texts,
        "either": ints | texts,
        "tags": st.lists(
            st.fixed_dictionaries({"label": texts, "weight": floats}), max_size=3
        ),
        "words": st.lists(texts, max_size=4),
        "numbers": st.lists(ints, max_size=4),
        "meta": st.dictionaries(texts, ints, max_size=3),
        "pets": st.lists(cats | dogs, max_size=3),
        "best": cats | dogs,
        "tree": nodes,
    },
    optional={"note": texts},
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A Profile as JSON text (random key order, spacing, escaping) in chunks."""
    data = draw(profiles)
    keys = draw(st.permutations(list(data)))
    text = json.dumps(
        {key: data[key] for key in keys},
        ensure_ascii=draw(st.booleans()),
        indent=draw(st.sampled_from([None, 1])),
    )
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=60)))
    chunks = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return text, [chunk for chunk in chunks if chunk]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_every_partial_is_consistent_with_the_final_object(
    document: tuple[str, list[str]],
) -> None:
    """Random documents in random chunks: partials never contradict the final."""
    text, chunks = document
    final = Profile.model_validate_json(text)
    emissions = run_builder(Profile, chunks)
    check_stream(emissions, final)
    assert dump(emissions[-1]) == dump(final)


@settings(max_examples=30, deadline=None)
@given(documents())
def test_pipeline_matches_builder(document: tuple[str, list[str]]) -> None:
    """The operators agree with the builder and with pydantic."""
    text, chunks = document
    partials, final, error = run_pipeline(Profile, chunks)
    assert error is None
    assert final == Profile.model_validate_json(text)
    assert [dump(p) for p in partials] == [
        dump(p) for p in run_builder(Profile, chunks)
    ]


@settings(max_examples=100, deadline=None)
@given(documents(), st.integers(2, 7))
def test_skipped_snapshots_end_the_same(
    document: tuple[str, list[str]], every: int
) -> None:
    """Converting only every n-th snapshot (after a debounce) stays consistent."""
    text, chunks = document
    decoder = rs.PartialJsonDecoder()
    builder = rs.PartialBuilder(Profile)
    emissions = []
    for i, chunk in enumerate(chunks):
        snapshot = decoder.feed(chunk)
        if i % every == 0:
            emissions.append(builder.feed(snapshot))
    emissions.append(builder.feed(decoder.close()))
    final = Profile.model_validate_json(text)
    check_stream([e for e in emissions if e is not None], final)
    assert dump(emissions[-1]) == dump(final)


def test_a_tag_being_written_keeps_the_arm_the_keys_chose() -> None:
    """``best: Cat | Dog`` (tag implied by ``kind``): once ``lives`` has named the
    arm, the tag's open string does not hide it again, chunk by chunk or afresh.

    Found by the property below (hypothesis): incremental showed ``PartialCat``
    while a conversion from scratch of the same prefix showed ``None``.
    """
    text = '{"best": {"name": "q", "lives": 0, "kind": "cat"}}'
    cut = text.index('"kind": "') + len('"kind": "')
    incremental = rs.PartialBuilder(Profile)
    decoder = rs.PartialJsonDecoder()
    incremental.feed(decoder.feed(text[: text.index('"kind"')]))
    shown = incremental.feed(decoder.feed(text[text.index('"kind"') : cut]))
    afresh = rs.PartialBuilder(Profile).feed(rs.PartialJsonDecoder().feed(text[:cut]))
    assert shown is not None and afresh is not None
    assert dump(shown) == dump(afresh)
    assert type(shown.best) is rs.partial_model(Cat)
    assert (shown.best.name, shown.best.lives, shown.best.kind) == ("q", 0, None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_incremental_equals_converting_each_prefix_afresh(
    document: tuple[str, list[str]],
) -> None:
    """Chunk by chunk shows what a new builder shows for the same text at once.

    The builder rebuilds only the open path (and, when just the open string
    grew, only the chain of open nodes); this checks those shortcuts against a
    conversion from scratch of every prefix, completion state included.
    """
    text, chunks = document
    decoder = rs.PartialJsonDecoder()
    builder = rs.PartialBuilder(Profile)
    seen = ""
    for chunk in chunks:
        seen += chunk
        incremental = builder.feed(decoder.feed(chunk))
        afresh = rs.PartialBuilder(Profile).feed(rs.PartialJsonDecoder().feed(seen))
        assert dump(incremental) == dump(afresh), seen
        if incremental is not None:
            assert rs.completed(incremental) == rs.completed(afresh), seen


def keep_some(
    model: Any, chunks: list[str], data: st.DataObject
) -> tuple[list[tuple[Any, Any]], Any]:
    """Convert ``chunks``, keeping a random subset of the emissions as shown then.

    Returns the kept ``(emission, dump at emission time)`` pairs and the
    final emission; every emission not kept is dropped at once.
    """
    keep = data.draw(
        st.lists(st.booleans(), min_size=len(chunks), max_size=len(chunks))
    )
    decoder = rs.PartialJsonDecoder()
    builder = rs.PartialBuilder(model)
    kept: list[tuple[Any, Any]] = []
    for chunk, keep_it in zip(chunks, keep, strict=True):
        partial = builder.feed(decoder.feed(chunk))
        if keep_it and partial is not None:
            kept.append((partial, dump(partial)))
        del partial
    return kept, builder.feed(decoder.close())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.data())
def test_emissions_kept_by_a_consumer_never_change(
    document: tuple[str, list[str]], data: st.DataObject
) -> None:
    """Lists are reused only once nothing holds them: a kept emission never changes.

    The consumer keeps a random subset of the emissions (as a UI keeps the
    latest, a debounce one more, a ``to_list()`` all) and drops the rest.
    """
    _, chunks = document
    kept, _ = keep_some(Profile, chunks, data)
    for partial, shown in kept:
        assert dump(partial) == shown


class Entry(BaseModel):
    word: str
    tags: list[str]


class Entries(BaseModel):
    entries: list[Entry]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.text(max_size=6), st.lists(st.text(max_size=3), max_size=3)),
        min_size=64,
        max_size=90,
    ),
    st.integers(1, 9),
    st.data(),
)
def test_wide_lists_kept_by_a_consumer_never_change(
    entries: list[tuple[str, list[str]]], size: int, data: st.DataObject
) -> None:
    """Lists long enough to be recycled: kept emissions never change either."""
    text = json.dumps({"entries": [{"word": w, "tags": t} for w, t in entries]})
    chunks = [text[i : i + size] for i in range(0, len(text), size)]
    kept, final = keep_some(Entries, chunks, data)
    assert dump(final) == dump(Entries.model_validate_json(text))
    for partial, shown in kept:
        assert dump(partial) == shown


# --- real recordings ------------------------------------------------------------


def chunkings(recording: Recording) -> dict[str, list[str]]:
    return {"recorded": list(recording.deltas), "chars": list(recording.text)}


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("how", ["recorded", "chars"])
def test_recordings(name: str, how: str) -> None:
    """Real streams, as recorded and in 1-char chunks: no value ever flips."""
    recording = load(name)
    model = MODELS[name]
    chunks = chunkings(recording)[how]
    partials, final, error = run_pipeline(model, chunks)
    assert partials
    if truncated(recording):
        assert final is None
        assert isinstance(error, rs.IncompleteJsonError)
        check_stream(partials, partials[-1])
        return
    assert error is None, error
    check_stream(partials, final)
    assert dump(partials[-1]) == dump(final)


def test_recording_numbers_appear_whole() -> None:
    """numbers: every id/price/qty/ratio shown equals the final one, as recorded."""
    recording = load("numbers")
    partials, final, _ = run_pipeline(Numbers, recording.deltas)
    shown = {
        (i, field)
        for p in partials
        for i, row in enumerate(p.rows or [])
        for field in ("id", "price", "qty", "ratio", "active")
        if getattr(row, field) is not None
    }
    assert len(shown) == 5 * len(final.rows)
    assert isinstance(partials[-1].rows[1].price, float)  # JSON 5 for a float


@pytest.mark.parametrize("name", sorted(MODELS))
def test_recordings_incremental_equals_afresh(name: str) -> None:
    """Real token cuts: chunk by chunk shows what converting the prefix at once shows.

    Checked at up to 200 evenly spaced points of each recording (a conversion
    from scratch costs the whole prefix).
    """
    recording = load(name)
    model = MODELS[name]
    decoder = rs.PartialJsonDecoder()
    builder = rs.PartialBuilder(model)
    step = max(1, len(recording.deltas) // 200)
    seen = ""
    for i, delta in enumerate(recording.deltas):
        seen += delta
        incremental = builder.feed(decoder.feed(delta))
        if i % step:
            continue
        afresh = rs.PartialBuilder(model).feed(rs.PartialJsonDecoder().feed(seen))
        assert dump(incremental) == dump(afresh), (i, seen[-40:])
        if incremental is not None:
            assert rs.completed(incremental) == rs.completed(afresh), (i, seen[-40:])
