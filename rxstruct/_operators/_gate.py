"""The one piece of state every hand-written rxstruct operator shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from reactivex import abc

__all__ = ["Gate"]

_T = TypeVar("_T")


class Gate(Generic[_T]):
    """Passes terminal notifications on once; after that the stream is closed.

    An operator that fails in ``on_next`` sends the error through the gate and
    ignores whatever its source still sends: an observer hears at most one of
    ``on_error`` / ``on_completed``, and nothing after it.

    One error is not ignored: the one the observer itself raised from the
    terminal notification the gate sent. A source hands an exception raised
    downstream back as ``on_error``; dropping it here would lose the
    subscriber's error, so the gate raises it again, to whoever runs the
    source (the caller, or the thread's ``threading.excepthook``).
    """

    __slots__ = ("escaped", "is_open", "observer")

    def __init__(self, observer: abc.ObserverBase[_T]) -> None:
        self.observer = observer
        self.is_open = True
        self.escaped: Exception | None = None

    def error(self, error: Exception) -> None:
        """Forward ``error`` and close, unless already closed."""
        if self.is_open:
            self.is_open = False
            self._send(self.observer.on_error, error)
        elif error is self.escaped:
            raise error

    def completed(self) -> None:
        """Forward completion and close, unless already closed."""
        if self.is_open:
            self.is_open = False
            self._send(self.observer.on_completed)

    def last(self, value: _T) -> None:
        """Forward ``value`` then completion, and close, unless already closed.

        If the observer's ``on_next`` raises, its ``on_error`` gets the
        exception instead of the completion.
        """
        if not self.is_open:
            return
        self.is_open = False
        try:
            self.observer.on_next(value)
        except Exception as exc:
            self._send(self.observer.on_error, exc)
            return
        self._send(self.observer.on_completed)

    def _send(self, notify: Callable[..., None], *args: Exception) -> None:
        try:
            notify(*args)
        except Exception as exc:
            self.escaped = exc
            raise
