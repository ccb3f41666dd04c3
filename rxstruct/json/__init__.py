"""The incremental partial-JSON decoder, usable without Rx.

The decoder -> builder contract: the partial builder (``rxstruct._partial``)
and the operators read a decoder only through the snapshots it returns. Any
decoder (this one, or another implementation of the same interface) works with
them if ``feed(text)`` and ``close()`` return :class:`JsonSnapshot` objects,
built with :meth:`JsonSnapshot.create` (keyword arguments), on which these
read-only members hold:

- ``index``: the snapshot's 0-based number in its stream (consecutive numbers
  mean nothing was skipped, so ``changed`` covers everything since the last);
- ``done``: the stream completed (``close()``);
- ``has_value``: any part of the top-level value is visible;
- ``open_path``: path of the deepest value being written, None once the
  top-level value is complete (then ``value`` is the whole value);
- ``open_containers``: the open objects and arrays, outermost first, as
  :class:`OpenContainer` tuples whose ``items[:n_closed]`` are the closed
  children, shared by reference and never changed afterwards; the decoder
  hands out the *same* tuple object while no container opened, closed or
  gained a child (the builder compares it by identity);
- ``open_string``: the visible text of the string being written, or None;
- ``open_value(level)``: the partial value of ``open_containers[level]``;
- ``changed``: the deepest paths whose visible value changed in this chunk;
- ``value``, ``complete``, ``text``: the whole partial value, whether it is
  complete, and all text received (``validate_final``).

Nothing else (no private slot) is read outside this package.

Example:
    >>> from rxstruct.json import PartialJsonDecoder
    >>> dec = PartialJsonDecoder()
    >>> for chunk in ['{"ti', 'tle": "Hel', 'lo"}']:
    ...     print(dec.feed(chunk).value)
    {}
    {'title': 'Hel'}
    {'title': 'Hello'}
    >>> dec.close().value
    {'title': 'Hello'}
"""

from __future__ import annotations

from .._public import publish as _publish
from ._decoder import JsonKind, PartialJsonDecoder
from ._paths import WILDCARD, Path, PathPattern, format_path, parse_pattern
from ._snapshot import Completed, JsonSnapshot, JsonValue, OpenContainer

__all__ = [
    "Completed",
    "JsonKind",
    "JsonSnapshot",
    "JsonValue",
    "OpenContainer",
    "PartialJsonDecoder",
    "Path",
    "PathPattern",
    "WILDCARD",
    "format_path",
    "parse_pattern",
]

# Classes and functions from private modules show their public home.
_publish(globals(), __all__)
