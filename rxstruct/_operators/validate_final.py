"""``validate_final``: the complete value, fully validated, once."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_json
from reactivex import Observable, abc

from .._partial import emission_of, emits_untagged
from ..exceptions import FinalValidationError, IncompleteJsonError, UsageError
from ..json import JsonSnapshot, format_path
from ._gate import Gate, no_snapshots

__all__ = ["PARTIAL_FLAG", "validate_final_"]

PARTIAL_FLAG = "rxstruct_partial"
"""The validation-context key telling validators partial (True) from final (False)."""


def _validator(
    model: Any, context: Any, strict: bool | None
) -> tuple[Callable[[str], Any], str]:
    """A function validating JSON text against ``model``, and the model's name."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        model_cls = model

        def validate_model(text: str) -> Any:
            return model_cls.model_validate_json(text, strict=strict, context=context)

        return validate_model, model.__name__
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(model)
    except Exception as exc:
        raise UsageError(f"validate_final() cannot validate {model!r}: {exc}") from exc
    name = (
        repr(model)
        if typing.get_origin(model)
        else getattr(model, "__name__", repr(model))
    )

    def validate_adapter(text: str) -> Any:
        return adapter.validate_json(text, strict=strict, context=context)

    return validate_adapter, name


def _final_context(context: Any) -> Any:
    if context is None:
        return {PARTIAL_FLAG: False}
    if isinstance(context, Mapping):
        return {PARTIAL_FLAG: False, **context}
    return context


def _snapshot_of(item: Any) -> JsonSnapshot:
    if isinstance(item, JsonSnapshot):
        return item
    emission = emission_of(item)
    if emission is not None:
        return emission.snapshot
    raise UsageError(
        f"validate_final() expects JsonSnapshot (from rs.accumulate_json()) or the "
        f"output of rs.to_partial(), got {type(item).__name__}"
    )


def _incomplete(last: JsonSnapshot | None) -> Exception:
    if last is None:
        return no_snapshots("validate_final")
    if not last.has_value:
        text = last.text
        return IncompleteJsonError(
            "the stream ended before any JSON value", text, len(text)
        )
    text = last.text
    open_path = last.open_path
    where = format_path(open_path) if open_path is not None else "(root)"
    return IncompleteJsonError(
        f"the stream ended inside the value at {where}",
        text,
        len(text),
        open_path=open_path,
    )


def validate_final_(
    model: Any, context: Any, strict: bool | None
) -> Callable[[Observable[Any]], Observable[Any]]:
    validate, name = _validator(model, _final_context(context), strict)
    # to_partial(model) may emit plain scalars (no snapshot attached): the last
    # one, at completion, is the final value (e.g. to_partial(str)).
    untagged = emits_untagged(model)

    def operator(source: Observable[Any]) -> Observable[Any]:
        def subscribe(
            observer: abc.ObserverBase[Any],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            last: JsonSnapshot | None = None
            scalar: tuple[Any] | None = None  # the last untagged scalar partial
            gate = Gate(observer)

            def finish(snapshot: JsonSnapshot | None) -> None:
                raw = snapshot.text if snapshot is not None else ""
                try:
                    if snapshot is None:
                        raw = text = to_json(scalar[0] if scalar else None).decode()
                    else:
                        text = json.dumps(snapshot.value, ensure_ascii=False)
                    result = validate(text)
                except ValidationError as exc:
                    gate.error(
                        FinalValidationError(
                            f"the final value is not a valid {name}: {exc}",
                            exc,
                            raw=raw,
                            model_name=name,
                        )
                    )
                    return
                except Exception as exc:  # a validator raising something else
                    gate.error(exc)
                    return
                gate.last(result)  # nothing from upstream may follow the result

            def on_next(item: Any) -> None:
                nonlocal last, scalar
                if not gate.is_open:
                    return
                if (
                    untagged
                    and not isinstance(item, JsonSnapshot | BaseModel | list | dict)
                    and emission_of(item) is None
                ):
                    scalar = (item,)
                    return
                try:
                    snapshot = _snapshot_of(item)
                except UsageError as exc:
                    gate.error(exc)
                    return
                last = snapshot
                if snapshot.done:
                    finish(snapshot)

            def on_completed() -> None:
                if not gate.is_open:
                    return
                if last is not None and last.complete:
                    finish(last)
                    return
                if last is None and scalar is not None:
                    finish(None)
                    return
                gate.error(_incomplete(last))

            return source.subscribe(
                on_next, gate.error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return operator
