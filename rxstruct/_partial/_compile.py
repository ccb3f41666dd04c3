"""Compiling types into shapes: type forms and pydantic models in, shapes out.

Everything here runs once per type and is cached for the life of the process:
one shape per type, one :class:`ModelShape` (with its partial class, built by
``_models``) per model.
"""

from __future__ import annotations

import collections.abc
import copy
import enum
import threading
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, RootModel, Tag
from pydantic import Discriminator as PydanticDiscriminator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ..exceptions import UsageError
from ._base import Partial
from ._markers import Atomic, HoldUntilPresent
from ._models import (
    PartialField,
    build_partial_class,
    partial_class_ref,
    rebuild_pending,
)
from ._nodes import FieldSpec
from ._shapes import (
    ANY,
    AtomicShape,
    DictShape,
    Discriminator,
    HeldShape,
    ListShape,
    ModelShape,
    NullableShape,
    Shape,
    StrShape,
    UnionShape,
)

__all__ = ["model_shape", "partial_model", "type_shape"]

_M = TypeVar("_M", bound=BaseModel)
_R = TypeVar("_R")

_LOCK = threading.RLock()
_MODELS: dict[type[BaseModel], ModelShape] = {}
_TYPES: dict[Any, Shape] = {}
_depth = 0  # nesting of compile calls holding _LOCK

_STR = StrShape()
_LIST_ORIGINS = frozenset(
    {list, collections.abc.Sequence, collections.abc.MutableSequence}
)
_DICT_ORIGINS = frozenset(
    {dict, collections.abc.Mapping, collections.abc.MutableMapping}
)
_REBUILD_ORIGINS = frozenset(
    {
        list,
        dict,
        set,
        frozenset,
        tuple,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
        collections.abc.Mapping,
        collections.abc.MutableMapping,
        collections.abc.Set,
        collections.abc.MutableSet,
    }
)
_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, enum.Enum)


class _Options:
    """Model-wide settings that change how a completed value converts."""

    __slots__ = ("config",)

    def __init__(self, config: ConfigDict | None) -> None:
        self.config = config


_NO_OPTIONS = _Options(None)


def _options_for(model: type[BaseModel]) -> _Options:
    if model.model_config.get("use_enum_values"):
        return _Options(ConfigDict(use_enum_values=True))
    return _NO_OPTIONS


# --- entry points ----------------------------------------------------------------


def partial_model(model: type[_M]) -> type[Partial[_M]]:
    """The partial model of ``model``: every field optional, no validation.

    One class per model, built on first use and cached; named ``Partial`` +
    the model's name. Each field has the model's name and alias and is
    ``Optional``, defaulting to ``None`` or to the field's own default. Nested
    models are replaced by their partial models (recursively, also inside
    ``list``, ``dict`` and unions); constraints (``max_length``, ``ge``...),
    ``field_validator``, ``model_validator``, computed fields and methods are
    not carried over. ``to_partial`` builds instances without validating
    them; calling the class or ``model_validate`` on it validates types only.

    Args:
        model: A pydantic model class (not a ``RootModel``: its partial is the
            partial of its root type, use ``to_partial`` directly).

    Returns:
        The partial class, a subclass of :class:`~rxstruct.Partial`.

    Raises:
        UsageError: ``model`` is not a pydantic model class.

    Example:
        >>> from pydantic import BaseModel, Field
        >>> import rxstruct as rs
        >>> class Recipe(BaseModel):
        ...     name: str = Field(max_length=40)
        ...     minutes: int = Field(ge=1)
        ...     tags: list[str] = []
        >>> rs.partial_model(Recipe)()
        PartialRecipe(name=None, minutes=None, tags=[])
    """
    if (
        not isinstance(model, type)
        or not issubclass(model, BaseModel)
        or issubclass(model, RootModel)
    ):
        raise UsageError(f"partial_model() takes a pydantic model class, got {model!r}")
    cls = model_shape(model).cls
    if cls is None:  # pragma: no cover - set by model_shape
        raise UsageError(f"could not build a partial model of {model!r}")
    return cls  # type: ignore[return-value]  # built as a subclass of Partial[model]


def model_shape(model: type[BaseModel]) -> ModelShape:
    """The (cached) shape of a model; builds its partial class on first use."""
    found = _MODELS.get(model)
    if found is not None and found.cls is not None:
        return found
    return _compiling(lambda: _model_shape(model))


def type_shape(tp: Any) -> Shape:
    """The (cached) shape of a type: a model, ``list[Model]``, a union...

    Raises:
        UsageError: pydantic cannot build the type (e.g. undefined names).
    """
    try:
        found = _TYPES.get(tp)
    except TypeError:  # an unhashable type form
        found = None
    if found is not None:
        return found
    try:
        shape = _compiling(lambda: compile_type(tp, _NO_OPTIONS))
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(f"cannot stream {tp!r} as partial values: {exc}") from exc
    try:
        _TYPES[tp] = shape
    except TypeError:
        pass
    return shape


def _compiling(build: Callable[[], _R]) -> _R:
    """Run ``build`` under the lock; rebuild pending classes at the outermost level."""
    global _depth
    with _LOCK:
        _depth += 1
        try:
            result = build()
        finally:
            _depth -= 1
        if _depth == 0:
            rebuild_pending()
        return result


# --- types -------------------------------------------------------------------------


def compile_type(
    tp: Any,
    options: _Options,
    metadata: typing.Sequence[Any] = (),
    discriminator: Any = None,
) -> Shape:
    """The shape of ``tp`` with ``Annotated`` metadata (markers, discriminators)."""
    meta = list(metadata)
    while typing.get_origin(tp) is Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        meta.extend(args[1:])
    for item in meta:
        if isinstance(item, PydanticDiscriminator):
            discriminator = item
        elif isinstance(item, FieldInfo) and item.discriminator is not None:
            discriminator = item.discriminator
    shape = _compile_bare(tp, options, discriminator)
    if any(item is Atomic for item in meta):
        shape = HeldShape(shape)
    return shape


def _compile_bare(tp: Any, options: _Options, discriminator: Any) -> Shape:
    if tp is Any or tp is object or isinstance(tp, TypeVar):
        return ANY
    if tp is str:
        return _STR
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if issubclass(tp, RootModel):
            root = tp.model_fields["root"]
            return compile_type(
                root.annotation, _options_for(tp), root.metadata, root.discriminator
            )
        return _model_shape(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return _compile_union(args, options, discriminator)
    if tp is list or origin in _LIST_ORIGINS:
        item = compile_type(args[0], options) if args else ANY
        return ListShape(item)
    if tp is dict or origin in _DICT_ORIGINS:
        key_type = args[0] if args else str
        value = compile_type(args[1], options) if len(args) > 1 else ANY
        key_shape = None if key_type in (str, Any) else _atomic(key_type, options)
        return DictShape(key_shape, value)
    return _atomic(tp, options)


def _atomic(tp: Any, options: _Options) -> AtomicShape:
    exact: tuple[type, ...] = ()
    literals: dict[tuple[type, Any], Any] | None = None
    use_values = options.config is not None
    if tp is int or tp is bool:
        exact = (tp,)
    elif tp is float:
        exact = (float,)
    elif tp is type(None) or tp is None:
        tp = type(None)
        exact = (type(None),)
    elif typing.get_origin(tp) is Literal:
        literals = {}
        for value in typing.get_args(tp):
            if isinstance(value, enum.Enum):
                literals[(type(value.value), value.value)] = (
                    value.value if use_values else value
                )
            else:
                literals[(type(value), value)] = value
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        literals = {
            (type(member.value), member.value): member.value if use_values else member
            for member in tp
        }
    return AtomicShape(tp, strip, exact=exact, literals=literals, config=options.config)


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    meta: list[Any] = []
    while typing.get_origin(tp) is Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        meta.extend(args[1:])
    return tp, meta


def _compile_union(
    args: tuple[Any, ...], options: _Options, discriminator: Any
) -> Shape:
    arms: list[Shape] = []
    sources: list[Any] = []  # the user's arm types, for the scalar union
    tags: dict[Any, Shape] = {}
    nullable = False
    pending = list(args)
    while pending:
        arm = pending.pop(0)
        bare, meta = _unwrap(arm)
        if bare is type(None) or bare is None:
            nullable = True
            continue
        if typing.get_origin(bare) in (Union, types.UnionType) and not meta:
            pending[0:0] = list(typing.get_args(bare))
            continue
        shape = compile_type(arm, options)
        arms.append(shape)
        sources.append(arm)
        for item in meta:
            if isinstance(item, Tag):
                tags[item.tag] = shape
    if not arms:
        return _atomic(type(None), options)
    if len(arms) == 1 and discriminator is None:
        return NullableShape(arms[0]) if nullable else arms[0]
    scalar_sources = [
        source
        for source, shape in zip(sources, arms, strict=True)
        if isinstance(shape, AtomicShape | StrShape)
    ]
    scalar_shape: AtomicShape | None = None
    if any(isinstance(shape, AtomicShape) for shape in arms):
        scalar_shape = _atomic(Union[tuple(scalar_sources)], options)  # noqa: UP007 - a runtime union
    return UnionShape(
        arms,
        nullable=nullable,
        find_discriminator=lambda union: _find_discriminator(
            union, discriminator, tags
        ),
        scalar_shape=scalar_shape,
    )


def _find_discriminator(
    union: UnionShape, explicit: Any, tags: dict[Any, Shape]
) -> Discriminator | None:
    """The union's discriminator: declared, or implied by distinct Literal tags."""
    if isinstance(explicit, PydanticDiscriminator):
        if callable(explicit.discriminator):
            return Discriminator(keys=(), tags=tags, function=explicit.discriminator)
        explicit = explicit.discriminator
    arms = union.model_arms
    if len(arms) < 2:
        return None
    if isinstance(explicit, str):
        return _tag_field(arms, explicit, explicit=True)
    common = set(arms[0].static_defaults)
    for arm in arms[1:]:
        common &= set(arm.static_defaults)
    for name in arms[0].static_defaults:  # field order of the first arm
        if name in common:
            found = _tag_field(arms, name, explicit=False)
            if found is not None:
                return found
    return None


def _tag_field(
    arms: list[ModelShape], name: str, *, explicit: bool
) -> Discriminator | None:
    """A discriminator on field ``name`` if every arm types it as a Literal."""
    keys: list[str] = []
    tags: dict[Any, Shape] = {}
    for arm in arms:
        specs = [(key, spec) for key, spec in arm.keys.items() if spec.name == name]
        if not specs:
            return None
        shape = specs[0][1].shape
        if not isinstance(shape, AtomicShape) or shape._literals is None:
            return None
        if typing.get_origin(shape.source) is not Literal:
            return None
        for tag in shape._literals:
            if tag[1] in tags:
                return None  # not distinct: not a discriminator
            tags[tag[1]] = arm
        keys.extend(key for key, _spec in specs if key not in keys)
    return Discriminator(keys=tuple(keys), tags=tags, explicit=explicit)


def strip(tp: Any) -> Any:
    """``tp`` without ``Annotated`` metadata, models replaced by partial models."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return strip(typing.get_args(tp)[0])
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if issubclass(tp, RootModel):
            return strip(tp.model_fields["root"].annotation)
        return _model_shape(tp).annotation
    if origin is Union or origin is types.UnionType:
        return Union[tuple(strip(arg) for arg in typing.get_args(tp))]  # noqa: UP007 - runtime
    if origin in _REBUILD_ORIGINS:
        args = tuple(
            arg if arg is Ellipsis else strip(arg) for arg in typing.get_args(tp)
        )
        if args:
            try:
                return origin[args]
            except TypeError:  # pragma: no cover - an unusual generic
                return tp
    return tp


# --- models --------------------------------------------------------------------------


def _json_keys(name: str, info: FieldInfo, by_name: bool, by_alias: bool) -> list[str]:
    keys: list[str] = []
    if by_alias:
        alias = info.validation_alias
        if alias is None:
            alias = info.alias
        choices: list[Any]
        if isinstance(alias, AliasChoices):
            choices = list(alias.choices)
        else:
            choices = [alias]
        for choice in choices:
            if isinstance(choice, AliasPath):
                path = choice.path
                if len(path) == 1 and isinstance(path[0], str):
                    keys.append(path[0])
            elif isinstance(choice, str):
                keys.append(choice)
    if not keys or by_name or not by_alias:
        keys.append(name)
    return keys


def _default_factory(info: FieldInfo) -> Callable[[], Any]:
    def factory() -> Any:
        try:
            return info.get_default(call_default_factory=True, validated_data={})
        except Exception:  # a factory that needs validated data
            return None

    return factory


def _copier(default: Any) -> Callable[[], Any]:
    def factory() -> Any:
        return copy.deepcopy(default)

    return factory


def _model_shape(model: type[BaseModel]) -> ModelShape:
    found = _MODELS.get(model)
    if found is not None:
        return found  # built, or being built (a recursive reference)
    if not model.__pydantic_complete__:
        try:
            model.model_rebuild()
        except Exception as exc:
            raise UsageError(
                f"{model.__name__} is not fully defined ({exc}); define the types "
                f"it refers to, then call {model.__name__}.model_rebuild()"
            ) from exc
    shape = ModelShape(model, partial_class_ref(model))
    _MODELS[model] = shape
    try:
        _fill_model_shape(shape, model)
    except BaseException:
        del _MODELS[model]
        raise
    return shape


def _fill_model_shape(shape: ModelShape, model: type[BaseModel]) -> None:
    config = model.model_config
    options = _options_for(model)
    by_name = bool(config.get("validate_by_name") or config.get("populate_by_name"))
    by_alias = config.get("validate_by_alias", True) is not False
    extra = config.get("extra") or "ignore"
    keys: dict[str, FieldSpec] = {}
    static: dict[str, Any] = {}
    dynamic: list[tuple[str, Callable[[], Any]]] = []
    required: set[str] = set()
    held: set[str] = set()
    partial_fields: list[PartialField] = []
    for name, info in model.model_fields.items():
        field_shape = compile_type(
            info.annotation, options, info.metadata, info.discriminator
        )
        json_keys = _json_keys(name, info, by_name, by_alias)
        for rank, key in enumerate(json_keys):
            priority = rank if len(json_keys) > 1 else -1
            keys.setdefault(key, FieldSpec(name, field_shape, priority=priority))
        if any(item is HoldUntilPresent for item in info.metadata):
            held.add(name)
        static[name] = None
        if info.is_required():
            required.add(name)
        elif info.default_factory is not None:
            dynamic.append((name, _default_factory(info)))
        elif info.default is not PydanticUndefined:
            default = info.default
            if isinstance(default, _IMMUTABLE):
                static[name] = default
            else:
                dynamic.append((name, _copier(default)))
        partial_fields.append(PartialField(name, info, field_shape.annotation))
    shape.keys = keys
    shape.static_defaults = static
    shape.unset = dict.fromkeys(static)
    shape.dynamic_defaults = tuple(dynamic)
    shape.required = frozenset(required)
    shape.hold_until_present = frozenset(held)
    shape.extra = extra if extra in ("allow", "forbid") else "ignore"
    shape.cls = build_partial_class(
        model, partial_fields, ref=shape.ref, allow_extra=shape.extra == "allow"
    )
