"""Partial pydantic models: derivation, snapshot conversion, completion state.

Private package; the public names are re-exported by :mod:`rxstruct`.
"""

from __future__ import annotations

from ._base import Emission, Partial, PartialDict, PartialList, emission_of
from ._builder import OnInvalid, PartialBuilder
from ._compile import partial_model
from ._completion import completed, is_complete
from ._markers import Atomic, HoldUntilPresent
from ._shapes import HIDDEN

__all__ = [
    "HIDDEN",
    "Atomic",
    "Emission",
    "HoldUntilPresent",
    "OnInvalid",
    "Partial",
    "PartialBuilder",
    "PartialDict",
    "PartialList",
    "completed",
    "emission_of",
    "is_complete",
    "partial_model",
]
