"""The public surface is exactly what ``__all__`` says, sorted."""

from __future__ import annotations

import types

import pytest

import rxstruct
import rxstruct.json
import rxstruct.operators
import rxstruct.sources
import rxstruct.testing
import rxstruct.web

MODULES = [
    rxstruct,
    rxstruct.operators,
    rxstruct.json,
    rxstruct.sources,
    rxstruct.testing,
    rxstruct.web,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_is_sorted_and_complete(module: types.ModuleType) -> None:
    """__all__ is sorted and lists every public name the module defines."""
    exported = list(module.__all__)
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and _defined_under(value, module)
    }
    assert public <= set(exported), public - set(exported)
    for name in exported:
        assert hasattr(module, name), name


def _defined_under(value: object, module: types.ModuleType) -> bool:
    """Defined by the module itself, or by a private module it fronts for."""
    origin = getattr(value, "__module__", None)
    if not isinstance(origin, str) or not origin.startswith("rxstruct"):
        return False
    if origin == module.__name__:
        return True
    if module is rxstruct:  # the top façade re-exports from private modules
        return any(part.startswith("_") for part in origin.split("."))
    return origin.startswith(module.__name__ + "._")


def test_operators_are_reexported() -> None:
    """Every operator of rxstruct.operators is also rxstruct.<name>."""
    for name in rxstruct.operators.__all__:
        assert getattr(rxstruct, name) is getattr(rxstruct.operators, name)


def test_public_operators_have_docstring_examples() -> None:
    """Every public operator documents itself with an example or a marble."""
    for name in rxstruct.operators.__all__:
        doc = getattr(rxstruct.operators, name).__doc__ or ""
        assert "Example" in doc or ">>>" in doc, name
        assert "|" in doc, f"{name}: no marble diagram"


def test_exceptions_share_a_base() -> None:
    """Every exception rxstruct exports derives from RxStructError."""
    for name in rxstruct.__all__:
        value = getattr(rxstruct, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, rxstruct.RxStructError), name
