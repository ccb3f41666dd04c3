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

import typing as _typing

from .._public import publish as _publish
from ..events import StreamEnded
from ._bridge import from_async_iterable, from_blocking_iterable
from ._replay import Recording, demo_recording_path, load_recording, replay

if _typing.TYPE_CHECKING:
    from .openai import (
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

_FROM_OPENAI = (
    "from_chat_completion",
    "from_responses",
    "from_tool_call_arguments",
)

# Classes and functions from private modules show their public home; the
# OpenAI names come from the public rxstruct.sources.openai.
_publish(globals(), sorted(set(__all__) - set(_FROM_OPENAI)))


def __getattr__(name: str) -> _typing.Any:
    # The OpenAI SDK takes about a second to import: only on first use.
    if name in _FROM_OPENAI:
        from . import openai

        value = getattr(openai, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
