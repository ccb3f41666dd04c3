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

from types import FunctionType

from ._decoder import PartialJsonDecoder
from ._paths import WILDCARD, Path, PathPattern, format_path, parse_pattern
from ._snapshot import Completed, JsonSnapshot, JsonValue, OpenContainer

__all__ = [
    "Completed",
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

# Classes and functions defined in private modules show their public home
# (as httpx does): ``rxstruct.json.PathPattern`` in reprs, tracebacks and docs.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, (type, FunctionType)) and "._" in _value.__module__:
        _value.__module__ = __name__
del _name, _value
