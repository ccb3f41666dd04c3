"""The rxstruct operators: the whole public contract in one file.

Each operator is a function returning ``Callable[[Observable[A]], Observable[B]]``
for use in ``Observable.pipe``. Bodies import their implementation lazily from
``rxstruct._operators``. Marble legend: ``-`` one tick, ``|`` completion, ``#``
error, letters are values.
"""

from __future__ import annotations

__all__: list[str] = []

# --- JSON (accumulate_json) ---------------------------------------------------

# --- partial objects (to_partial, distinct_fields, validate_final) -----------

# --- lists and fields (new_list_items, completed_fields) ---------------------

# --- timing (debounce) ---------------------------------------------------------
