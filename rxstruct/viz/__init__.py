"""Look at streams: record pipelines, draw marble diagrams, watch partials live.

Record a stream (or every stage of a pipeline) with timestamps, in real time,
in virtual time or from a replayed recording, and get a
:class:`MarbleDiagram`: one lane per stage, time on x, values as labelled
marbles. It shows as SVG in Jupyter (hover a marble for its value), as text in
a terminal, and saves as ``.svg`` or ``.png`` (PNG needs ``rxstruct[viz]``).
:func:`live` shows the partial object updating in place in a notebook.

Nothing here imports IPython until a live view is shown in a kernel.

Example:
    >>> import rxstruct as rs
    >>> from reactivex.testing import TestScheduler
    >>> from rxstruct.testing import token_marbles
    >>> from rxstruct import viz
    >>> scheduler = TestScheduler()
    >>> chunks = {"a": '{"name": "Le', "b": "ek", "c": ' soup"', "d": ', "n": 2}'}
    >>> diagram = viz.record(
    ...     token_marbles("-a-b-c--d|", chunks, timespan=0.25),
    ...     {
    ...         "snapshots": rs.accumulate_json(),
    ...         "debounced": rs.debounce(1.0, scheduler=scheduler),
    ...     },
    ...     scheduler=scheduler,
    ... )
    >>> print(diagram.text(width=25))
                0s         1s        2s
                |----------|---------|---
    source      ---o----o----o-------o--|    4 values, first 0.25s
    snapshots   ---o----o----o-------o--o|   5 values, first 0.25s, 0 dropped
    debounced   ---o---------o----------o|   3 values, first 0.25s, 2 dropped
    >>> print(diagram.legend("debounced"))
    0.25s  next  {"name":"Le"}
    1.25s  next  {"name":"Leek soup"}
    2.25s  next  {"name":"Leek soup","n":2}  (done)
    2.25s  completed  completed
"""

from __future__ import annotations

from .._public import publish as _publish
from ._diagram import MarbleDiagram, svg_to_png
from ._live import LiveView, live
from ._model import Describe, Lane, Marble, MarbleKind, StageSummary, describe
from ._record import Recorder, Stages, record

__all__ = [
    "Describe",
    "Lane",
    "LiveView",
    "Marble",
    "MarbleDiagram",
    "MarbleKind",
    "Recorder",
    "StageSummary",
    "Stages",
    "describe",
    "live",
    "record",
    "svg_to_png",
]

# Classes and functions from the private modules show their public home.
_publish(globals(), __all__)
