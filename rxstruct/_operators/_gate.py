"""The one piece of state every hand-written rxstruct operator shares."""

from __future__ import annotations

from typing import Generic, TypeVar

from reactivex import abc

__all__ = ["Gate"]

_T = TypeVar("_T")


class Gate(Generic[_T]):
    """Passes terminal notifications on once; after that the stream is closed.

    An operator that fails in ``on_next`` sends the error through the gate and
    ignores whatever its source still sends: an observer hears at most one of
    ``on_error`` / ``on_completed``, and nothing after it.
    """

    __slots__ = ("is_open", "observer")

    def __init__(self, observer: abc.ObserverBase[_T]) -> None:
        self.observer = observer
        self.is_open = True

    def error(self, error: Exception) -> None:
        """Forward ``error`` and close, unless already closed."""
        if self.is_open:
            self.is_open = False
            self.observer.on_error(error)

    def completed(self) -> None:
        """Forward completion and close, unless already closed."""
        if self.is_open:
            self.is_open = False
            self.observer.on_completed()
