"""Partial pydantic models: derivation, snapshot conversion, completion state.

Private package; the public names are re-exported by :mod:`rxstruct`, and the
operators use only what this ``__init__`` exports. Modules, in data-flow
order:

- ``_markers``: ``Atomic`` / ``HoldUntilPresent``, the ``Annotated`` markers;
- ``_base``: runtime types of partial values (``Partial``, ``PartialList``,
  ``PartialDict``) and the :class:`Emission` tag;
- ``_models``: building the partial pydantic class of a model;
- ``_context``: the per-snapshot conversion context and the "no value"
  markers;
- ``_nodes``: per-subscription state of the values still being written;
- ``_shapes``: how each type streams, compiled once per type;
- ``_compile``: type forms and models -> shapes (cached);
- ``_recycle``: emitted lists reused once nothing holds them;
- ``_builder``: ``PartialBuilder``, snapshots in, partial values out;
- ``_completion``: ``completed()`` / ``is_complete()``.

Why every emission carries a hidden slot back to its snapshot
(``__rxstruct_source__``, read with :func:`emission_of`) instead of an explicit
envelope: ``to_partial`` emits the user's own types (a ``Partial[M]``
instance, a list, a dict) that they render, compare and dump directly; an
envelope (``(partial, info)``) would make every user unwrap every value and
make ``debounce`` / ``filter`` / ``map`` stages in between see envelopes. The
slot costs one attribute store per emission, is invisible to ``==``,
``repr`` and ``model_dump`` of the value, and lets
``distinct_fields`` and ``validate_final`` work on the partials as they are.
Its limit: a scalar root (``to_partial(str)``) has no slot; those emissions
carry no change information (``distinct_fields`` lets them through), and
``validate_final`` takes the last one as the final value when the stream
completes (:func:`emits_untagged` says which types can show such values).
"""

from __future__ import annotations

from ._base import Emission, Partial, PartialDict, PartialList, emission_of
from ._builder import OnInvalid, PartialBuilder, emits_untagged
from ._compile import partial_model
from ._completion import completed, is_complete
from ._markers import Atomic, HoldUntilPresent

__all__ = [
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
    "emits_untagged",
    "is_complete",
    "partial_model",
]
