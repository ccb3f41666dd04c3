"""The incremental partial-JSON decoder, usable without Rx.

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
