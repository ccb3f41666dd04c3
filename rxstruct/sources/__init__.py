"""Sources: observables of text deltas to feed ``accumulate_json``.

Example:
    >>> import rxstruct as rs
    >>> from rxstruct.sources import demo_recording_path, load_recording, replay
    >>> rec = load_recording(demo_recording_path())
    >>> final = replay(rec, speed=1000).pipe(rs.accumulate_json()).run()
    >>> sorted(final.value)
    ['recipes']
"""

from __future__ import annotations

from types import FunctionType
from typing import TYPE_CHECKING, Any

from ._replay import Recording, demo_recording_path, load_recording, replay

if TYPE_CHECKING:
    from .openai import (
        StreamEnded,
        from_chat_completion,
        from_responses,
        from_tool_call_arguments,
    )

__all__ = [
    "Recording",
    "StreamEnded",
    "demo_recording_path",
    "from_chat_completion",
    "from_responses",
    "from_tool_call_arguments",
    "load_recording",
    "replay",
]

_FROM_OPENAI = (
    "StreamEnded",
    "from_chat_completion",
    "from_responses",
    "from_tool_call_arguments",
)

# Classes and functions defined in private modules show their public home
# (as httpx does): ``rxstruct.sources.replay`` in reprs, tracebacks and docs.
for _name in sorted(set(__all__) - set(_FROM_OPENAI)):
    _value = globals()[_name]
    if isinstance(_value, (type, FunctionType)) and "._" in _value.__module__:
        _value.__module__ = __name__
del _name, _value


def __getattr__(name: str) -> Any:
    # The OpenAI SDK takes about a second to import: only on first use.
    if name in _FROM_OPENAI:
        from . import openai

        value = getattr(openai, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
