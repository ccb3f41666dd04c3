"""The public surface is exactly what ``__all__`` says, sorted, typed, at home.

Public modules are found by walking the package (every module without a
``_`` in its dotted name), so a new public module is checked without being
listed here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from sse_starlette import EventSourceResponse

import rxstruct
import rxstruct.operators


def _public_modules() -> list[types.ModuleType]:
    names = ["rxstruct"] + [
        info.name
        for info in pkgutil.walk_packages(rxstruct.__path__, "rxstruct.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    return [importlib.import_module(name) for name in sorted(names)]


PUBLIC_MODULES = _public_modules()
PACKAGES = [module for module in PUBLIC_MODULES if hasattr(module, "__path__")]
PLAIN_MODULES = [module for module in PUBLIC_MODULES if module not in PACKAGES]


def _module_id(module: types.ModuleType) -> str:
    return module.__name__


def _exported(module: types.ModuleType) -> Iterator[tuple[str, Any]]:
    """Each ``(name, value)`` of ``module.__all__`` (lazy names are loaded)."""
    for name in module.__all__:
        yield name, getattr(module, name)


def _is_private(dotted: str) -> bool:
    return any(part.startswith("_") for part in dotted.split("."))


def test_the_walk_finds_the_public_modules() -> None:
    """The walk sees the known public modules and no private one."""
    names = {module.__name__ for module in PUBLIC_MODULES}
    assert {
        "rxstruct",
        "rxstruct.events",
        "rxstruct.exceptions",
        "rxstruct.json",
        "rxstruct.operators",
        "rxstruct.sinks",
        "rxstruct.sources",
        "rxstruct.structured",
        "rxstruct.testing",
        "rxstruct.viz",
        "rxstruct.web",
    } <= names
    assert not any(_is_private(name) for name in names)


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=_module_id)
def test_all_is_sorted_without_duplicates(module: types.ModuleType) -> None:
    """Every public module declares a sorted ``__all__`` of existing names."""
    exported = list(module.__all__)
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert hasattr(module, name), name


@pytest.mark.parametrize("package", PACKAGES, ids=_module_id)
def test_package_exports_exactly_all(package: types.ModuleType) -> None:
    """A package's non-underscore names are exactly its ``__all__`` (as httpx checks).

    Only two kinds of attribute are not exports: the ``annotations`` feature of
    ``from __future__ import annotations`` and the package's own submodules,
    which the import system sets on it.
    """
    dict(_exported(package))  # load the lazily imported names
    public = sorted(
        name
        for name, value in vars(package).items()
        if not name.startswith("_")
        and value is not annotations  # the __future__ feature, not an export
        and not (
            isinstance(value, types.ModuleType)
            and value.__name__ == f"{package.__name__}.{name}"
        )
    )
    assert public == list(package.__all__)


@pytest.mark.parametrize("module", PLAIN_MODULES, ids=_module_id)
def test_module_exports_every_public_definition(module: types.ModuleType) -> None:
    """A plain module's ``__all__`` lists every public class and function it defines."""
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__), defined - set(module.__all__)


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=_module_id)
def test_public_names_say_their_public_home(module: types.ModuleType) -> None:
    """``__module__`` of each exported class and function is a public module
    that really exports it under that name (no ``rxstruct._partial._base``)."""
    for name, value in _exported(module):
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        home = value.__module__
        if not home.startswith("rxstruct"):
            continue  # a re-exported third-party name
        assert not _is_private(home), f"{module.__name__}.{name}: {home}"
        assert getattr(importlib.import_module(home), value.__name__) is value


def _annotated(value: Any) -> Iterator[Any]:
    """The value itself, and for a class its public methods and ``__init__``."""
    yield value
    if inspect.isclass(value):
        for key, member in vars(value).items():
            if inspect.isfunction(member) and (
                not key.startswith("_") or key == "__init__"
            ):
                yield member


# Names from optional extras that public signatures use but modules import only
# when the feature runs (sse-starlette patches uvicorn when imported).
_OPTIONAL_NAMES = {"EventSourceResponse": EventSourceResponse}


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=_module_id)
def test_type_hints_resolve(module: types.ModuleType) -> None:
    """``typing.get_type_hints`` works on every public function, class and method."""
    for _name, value in _exported(module):
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        for target in _annotated(value):
            typing.get_type_hints(target, localns=_OPTIONAL_NAMES)


def test_new_list_items_hints_name_the_public_types() -> None:
    """The hints of an operator are the real public classes (the issue's case)."""
    hints = typing.get_type_hints(rxstruct.new_list_items)
    assert hints["on_invalid"] == typing.Literal["ignore", "error"]
    assert "rxstruct.events.ListItem" in repr(hints["return"])


def test_events_module_is_reexported() -> None:
    """The event types are one object under both names."""
    import rxstruct.events

    for name in rxstruct.events.__all__:
        event = getattr(rxstruct.events, name)
        assert getattr(rxstruct, name) is event
        if inspect.isclass(event):  # not StreamEvent, a union of them
            assert event.__module__ == "rxstruct.events"


def test_operators_are_reexported() -> None:
    """Every operator of rxstruct.operators is also rxstruct.<name>."""
    for name in rxstruct.operators.__all__:
        assert getattr(rxstruct, name) is getattr(rxstruct.operators, name)


def test_public_operators_have_docstring_examples() -> None:
    """Every public operator documents itself with an example and a marble."""
    for name in rxstruct.operators.__all__:
        doc = getattr(rxstruct.operators, name).__doc__ or ""
        assert "Example:" in doc and ">>>" in doc, name
        assert "|" in doc, f"{name}: no marble diagram"


def test_exceptions_share_a_base() -> None:
    """Every exception rxstruct exports derives from RxStructError."""
    for name in rxstruct.__all__:
        value = getattr(rxstruct, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, rxstruct.RxStructError), name
