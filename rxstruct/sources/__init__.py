"""Sources: observables of text deltas to feed ``accumulate_json``.

- :func:`replay` plays a recorded stream (:func:`load_recording`) with its
  timing, on any scheduler;
- :func:`from_chat_completion`, :func:`from_tool_call_arguments` and
  :func:`from_responses` stream from an OpenAI-compatible server (imported on
  first use: the SDK is slow to import);
- :func:`from_async_iterable` and :func:`from_blocking_iterable` are the
  bridges those stand on, for any other stream: an async iterable read on an
  event loop, or a blocking iterable read on its own thread, with stall
  detection and cancellation that closes the stream.

Example:
    >>> import rxstruct as rs
    >>> from rxstruct.sources import demo_recording_path, load_recording, replay
    >>> rec = load_recording(demo_recording_path())
    >>> final = replay(rec, speed=1000).pipe(rs.accumulate_json()).run()
    >>> sorted(final.value)
    ['recipes']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._bridge import from_async_iterable, from_blocking_iterable
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
    "from_async_iterable",
    "from_blocking_iterable",
    "from_chat_completion",
    "from_responses",
    "from_tool_call_arguments",
    "load_recording",
    "replay",
]

for _name in (
    "Recording",
    "demo_recording_path",
    "from_async_iterable",
    "from_blocking_iterable",
    "load_recording",
    "replay",
):
    globals()[_name].__module__ = __name__
del _name

_FROM_OPENAI = (
    "StreamEnded",
    "from_chat_completion",
    "from_responses",
    "from_tool_call_arguments",
)


def __getattr__(name: str) -> Any:
    # The OpenAI SDK takes about a second to import: only on first use.
    if name in _FROM_OPENAI:
        from . import openai

        value = getattr(openai, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
