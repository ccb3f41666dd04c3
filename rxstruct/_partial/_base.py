"""Runtime types of partial values: the model base, root containers, emission tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict

from ..json import JsonSnapshot, Path

__all__ = [
    "OPEN_SLOT",
    "SOURCE_SLOT",
    "Emission",
    "Partial",
    "PartialDict",
    "PartialList",
    "emission_of",
    "new_object",
    "new_partial",
    "set_dict",
    "set_extra",
    "set_fields_set",
    "set_private",
    "tag_setters",
]

_M = TypeVar("_M", bound=BaseModel)

OPEN_SLOT = "__rxstruct_open__"
"""Slot holding the open path of a partial value relative to it (None: complete)."""

SOURCE_SLOT = "__rxstruct_source__"
"""Slot holding the :class:`Emission` of a value emitted by ``to_partial``."""


class Partial(BaseModel, Generic[_M]):
    """Base class of every partial model; ``Partial[Recipe]`` is a partial Recipe.

    A partial model has the fields of its model, all optional, without
    constraints or validators (see :func:`~rxstruct.partial_model`). Instances
    are frozen: emissions share their completed sub-objects, so never mutate
    one (use ``model_copy(update=...)``). For type checkers any attribute of a
    ``Partial[M]`` is ``Any``; a ``Partial[Recipe]`` is deliberately *not* a
    ``Recipe``, so it cannot be passed where validated data is expected.

    Example:
        >>> import rxstruct as rs
        >>> from pydantic import BaseModel
        >>> class User(BaseModel):
        ...     name: str
        ...     age: int
        >>> PartialUser = rs.partial_model(User)
        >>> PartialUser(name="Ad")
        PartialUser(name='Ad', age=None)
        >>> issubclass(PartialUser, rs.Partial)
        True
    """

    __slots__ = ("__rxstruct_open__", "__rxstruct_source__")

    model_config = ConfigDict(
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        arbitrary_types_allowed=True,
        protected_namespaces=(),
        extra="ignore",
    )

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            """Fields of the model, typed ``Any`` (a partial field may be None)."""


# Filling partial instances without validation: object.__new__ plus the slot
# descriptors of BaseModel and Partial, called directly (what model_construct
# does, without its per-call checks and defaults).
new_object: Final[Any] = object.__new__
set_dict: Final[Any] = vars(BaseModel)["__dict__"].__set__
set_fields_set: Final[Any] = vars(BaseModel)["__pydantic_fields_set__"].__set__
set_extra: Final[Any] = vars(BaseModel)["__pydantic_extra__"].__set__
set_private: Final[Any] = vars(BaseModel)["__pydantic_private__"].__set__


_SETTERS: dict[type, tuple[Any, Any]] = {}


def tag_setters(cls: type) -> tuple[Any, Any]:
    """``(set_open, set_source)``: functions setting the two rxstruct slots.

    Looked up per class: a parametrized ``Partial[M]`` declares its own slots.
    """
    found = _SETTERS.get(cls)
    if found is not None:
        return found
    for klass in cls.__mro__:
        slots = vars(klass)
        if OPEN_SLOT in slots:
            found = _SETTERS[cls] = (
                slots[OPEN_SLOT].__set__,
                slots[SOURCE_SLOT].__set__,
            )
            return found
    raise TypeError(f"{cls.__name__} is not a partial type")  # pragma: no cover


def new_partial(
    cls: type[BaseModel],
    values: dict[str, Any],
    fields_set: set[str],
    extra: dict[str, Any] | None,
) -> Any:
    """A partial instance of ``cls`` holding ``values``, without validation.

    A complete pydantic instance (``repr``, ``==``, ``model_dump``,
    ``model_dump_json`` and ``model_copy`` work); the open slot is not set.
    """
    instance = new_object(cls)
    set_dict(instance, values)
    set_fields_set(instance, fields_set)
    set_extra(instance, extra)
    set_private(instance, None)
    return instance


class PartialList(list[Any]):
    """A top-level partial list, as ``to_partial(list[Item])`` emits it.

    A plain ``list`` in every respect; it only carries the completion state and
    the change information that :func:`~rxstruct.completed` and
    ``distinct_fields`` read.
    """

    __slots__ = ("__rxstruct_open__", "__rxstruct_source__")


class PartialDict(dict[Any, Any]):
    """A top-level partial dict, as ``to_partial(dict[str, Item])`` emits it."""

    __slots__ = ("__rxstruct_open__", "__rxstruct_source__")


class Emission(NamedTuple):
    """What ``to_partial`` knows about one of its emissions.

    A named tuple: one is made per emission, with ``tuple.__new__`` (a C call,
    not a Python ``__new__``).

    Attributes:
        seq: 0-based number of the emission in its subscription.
        snapshot: The decoder snapshot it was built from.
        changes: Paths (field names, indices, keys) of the partial value whose
            visible value or completion changed since the previous emission;
            ``()`` is the root.
        done: True on the last emission (the stream completed).
    """

    seq: int
    snapshot: JsonSnapshot
    changes: tuple[Path, ...]
    done: bool

    def __repr__(self) -> str:
        return f"<Emission #{self.seq} changes={self.changes!r} done={self.done}>"


def emission_of(value: Any) -> Emission | None:
    """The :class:`Emission` tag of a ``to_partial`` output, or None."""
    found = getattr(value, SOURCE_SLOT, None)
    return found if isinstance(found, Emission) else None
