"""The marbles of the façade docstrings that name their values replay exactly.

One row per operator: its ``[ operator ]`` row, the operators that replay the
source row after ``accumulate_json()``, and how many chunks and values the
legends name (:func:`tests.helpers.replay_docstring_marble`). Then what some
replays must also show: the values and times written out, the types emitted.
``accumulate_json``, ``debounce`` and ``to_json_patch`` draw their marbles
without such legends; their own test modules replay them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from reactivex import Observable

import rxstruct as rs
from tests.helpers import Replayed, marbles_run, replay_docstring_marble


class User(BaseModel):
    """The docstrings' ``User``."""

    name: str
    age: int


class Post(BaseModel):
    """The ``distinct_fields`` docstring's model of title, body and tags."""

    title: str
    body: str
    tags: list[str]


PartialUser = rs.partial_model(User)
PartialPost = rs.partial_model(Post)

# The names the legends use.
NAMESPACE: dict[str, Any] = {
    "FieldCompleted": rs.FieldCompleted,
    "ListItem": rs.ListItem,
    "PartialPost": PartialPost,
    "PartialUser": PartialUser,
    "User": User,
}

Operator = Callable[[Observable[Any]], Observable[Any]]

# name: (façade function, operator row, the operators replaying it, chunks, values)
MARBLES: dict[str, tuple[Callable[..., Any], str, list[Operator], int, int]] = {
    "completed_fields": (
        rs.completed_fields,
        "completed_fields()",
        [rs.completed_fields()],
        3,
        3,
    ),
    "distinct_fields": (
        rs.distinct_fields,
        'distinct_fields("title")',
        [rs.to_partial(Post), rs.distinct_fields("title")],
        5,
        3,
    ),
    "new_list_items": (
        rs.new_list_items,
        "new_list_items(str)",
        [rs.new_list_items(str)],
        3,
        3,
    ),
    "to_partial": (rs.to_partial, "to_partial(User)", [rs.to_partial(User)], 3, 3),
    "validate_final": (
        rs.validate_final,
        "validate_final(User)",
        [rs.validate_final(User)],
        3,
        1,
    ),
}


def replayed(name: str) -> Replayed:
    """Replay the marble of the operator ``name`` (a key of MARBLES)."""
    function, operator, operators, chunks, values = MARBLES[name]
    return replay_docstring_marble(
        function,
        NAMESPACE,
        operator,
        lambda source, legend: marbles_run(source, legend, *operators),
        chunks=chunks,
        values=values,
    )


@pytest.mark.parametrize("name", sorted(MARBLES))
def test_marble_in_docstring_is_what_the_operator_does(name: str) -> None:
    """The diagram and legends of the façade docstring replay exactly."""
    replayed(name)


# Each row: the source row and its chunks as the docstring draws them, then
# every value, its time, and the completion time (rulers number the columns).
WRITTEN_OUT = [
    pytest.param(
        "completed_fields",
        # 0123456789012345678
        "-a---b----c-------|",
        {"a": '{"title": "Pas', "b": 'ta", "tags": ["x"', "c": '], "n": 42}'},
        [
            rs.FieldCompleted(path=("title",), value="Pasta"),
            rs.FieldCompleted(path=("tags",), value=["x"]),
            rs.FieldCompleted(path=("n",), value=42),
        ],
        [205.0, 210.0, 210.0],
        218.0,
        id="completed_fields",
    ),
    pytest.param(
        # Several items in one chunk come out together, at that chunk's time.
        "new_list_items",
        # 0123456789012345
        "-a--b--c------|",
        {"a": '["ta', "b": 'co", "pi', "c": 'zza", "soup"]'},
        [
            rs.ListItem(index=0, value="taco", path=(0,)),
            rs.ListItem(index=1, value="pizza", path=(1,)),
            rs.ListItem(index=2, value="soup", path=(2,)),
        ],
        [204.0, 207.0, 207.0],
        214.0,
        id="new_list_items",
    ),
]


@pytest.mark.parametrize(
    ("name", "source", "chunks", "values", "times", "completed_at"), WRITTEN_OUT
)
def test_same_marble_written_out(
    name: str,
    source: str,
    chunks: dict[str, str],
    values: list[Any],
    times: list[float],
    completed_at: float,
) -> None:
    marble = replayed(name)
    assert marble.source == source
    assert marble.chunks == chunks
    assert marble.run.values() == values
    assert marble.run.times() == times
    assert marble.run.completed_at == completed_at


def test_to_partial_emits_the_partial_model() -> None:
    assert all(
        type(value) is PartialUser for value in replayed("to_partial").run.values()
    )


def test_validate_final_emits_the_model() -> None:
    [user] = replayed("validate_final").run.values()
    assert type(user) is User


def test_distinct_fields_drops_what_to_partial_emitted() -> None:
    """Upstream, every chunk made a partial and the done snapshot one more: E
    and its copy come together at the end."""
    marble = replayed("distinct_fields")
    every = marbles_run(marble.source, marble.chunks, rs.to_partial(Post))
    assert len(every.values()) == 6
    assert every.values()[-1] == marble.values["E"]
