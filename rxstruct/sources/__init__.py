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

from ._replay import Recording, demo_recording_path, load_recording, replay

__all__ = ["Recording", "demo_recording_path", "load_recording", "replay"]
