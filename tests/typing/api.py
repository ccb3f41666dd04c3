"""The public API as a user's type checker sees it: checked by mypy --strict.

``make typecheck`` runs mypy on this module (never executed by pytest: the
checks sit in a function nobody calls). Each ``assert_type`` states the type a
user's editor shows for a pipeline stage; a change of the public signatures
that loses precision fails the type check, not a user's code.

What typing can express: a model class gives ``Partial[Model]``; ``list[Model]``
and ``dict[str, Model]`` give a list / dict of ``Partial[Model]``; any other
type (a union, ``list[int]`` of scalars...) falls back to ``Any``. The final
value and list items carry the exact type given.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, assert_type

import reactivex as rx
from pydantic import BaseModel, TypeAdapter
from reactivex import Observable
from reactivex import operators as ops

import rxstruct as rs
from rxstruct import operators as rxs
from rxstruct.events import FieldCompleted, ListItem
from rxstruct.json import JsonSnapshot


class Idea(BaseModel):
    title: str
    score: int


class Ideas(BaseModel):
    ideas: list[Idea]


def check_public_api() -> None:
    text: Observable[str] = rx.of('{"ideas": []}')
    snapshots = text.pipe(rs.accumulate_json(), ops.share())
    assert_type(snapshots, Observable[JsonSnapshot])

    # to_partial: the model's partial class, also inside lists and dicts
    assert_type(snapshots.pipe(rs.to_partial(Ideas)), Observable[rs.Partial[Ideas]])
    assert_type(
        snapshots.pipe(rs.to_partial(Ideas, on_invalid="error")),
        Observable[rs.Partial[Ideas]],
    )
    assert_type(
        snapshots.pipe(rs.to_partial(list[Idea])), Observable[list[rs.Partial[Idea]]]
    )
    assert_type(
        snapshots.pipe(rs.to_partial(dict[str, Idea])),
        Observable[dict[str, rs.Partial[Idea]]],
    )
    assert_type(snapshots.pipe(rs.to_partial(Idea | None)), Observable[Any])

    # distinct_fields and debounce keep the type they are given
    partials = snapshots.pipe(rs.to_partial(Ideas))
    assert_type(
        partials.pipe(rs.distinct_fields("ideas[*].title"), rs.debounce(0.1)),
        Observable[rs.Partial[Ideas]],
    )
    assert_type(
        snapshots.pipe(rxs.distinct_fields(), rxs.debounce(timedelta(seconds=1))),
        Observable[JsonSnapshot],
    )

    # validate_final: the exact type, from snapshots or from partials
    assert_type(snapshots.pipe(rs.validate_final(Ideas)), Observable[Ideas])
    assert_type(partials.pipe(rs.validate_final(Ideas)), Observable[Ideas])
    assert_type(snapshots.pipe(rs.validate_final(list[Idea])), Observable[list[Idea]])

    # events
    items = snapshots.pipe(rs.new_list_items(Idea, "ideas"))
    assert_type(items, Observable[ListItem[Idea]])
    assert_type(
        snapshots.pipe(rs.new_list_items(TypeAdapter(int), on_invalid="ignore")),
        Observable[ListItem[int]],
    )
    fields = snapshots.pipe(rs.completed_fields("title"))
    assert_type(fields, Observable[FieldCompleted])


def check_on_invalid_vocabulary() -> None:
    """One pair of words: the old "skip" is a type error."""
    rs.to_partial(Ideas, on_invalid="skip")  # type: ignore[call-overload]
    rs.new_list_items(Idea, on_invalid="skip")  # type: ignore[call-overload]
