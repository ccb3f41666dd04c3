"""What every hand-written rxstruct operator shares: the gate, the misuse error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from reactivex import Observable, abc

from ..exceptions import UsageError

if TYPE_CHECKING:
    from ..json import Completed, JsonSnapshot

__all__ = ["Gate", "completions_view", "no_snapshots", "not_snapshots", "snapshot_view"]

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

    __slots__ = ("escaped", "is_open", "observer", "seen")

    def __init__(self, observer: abc.ObserverBase[_T]) -> None:
        self.observer = observer
        self.is_open = True
        self.escaped: Exception | None = None
        # Set by an operator's on_next once its source has sent an item; a
        # view (see snapshot_view) reads it when the source completes.
        self.seen = False

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


def not_snapshots(operator: str, item: Any) -> UsageError:
    """The error for an operator of JSON snapshots fed something else.

    Example:
        >>> print(not_snapshots("completed_fields", "{"))
        completed_fields() expects JsonSnapshot, got str: put rs.accumulate_json() before rs.completed_fields()
    """  # noqa: E501
    return UsageError(
        f"{operator}() expects JsonSnapshot, got {type(item).__name__}: "
        f"put rs.accumulate_json() before rs.{operator}()"
    )


def no_snapshots(operator: str) -> UsageError:
    """The error for a view whose snapshot stream ended before sending any.

    ``accumulate_json`` sends at least the ``done`` snapshot (or an error) for
    every subscription, so a completion with no snapshot at all means the view
    subscribed to a shared stream that had already ended.

    Example:
        >>> print(no_snapshots("to_partial"))  # doctest: +ELLIPSIS
        to_partial() received no snapshot: its source completed at once, ...
    """
    return UsageError(
        f"{operator}() received no snapshot: its source completed at once, so "
        "it subscribed to a shared stream of snapshots (ops.share(), "
        "ops.publish()) after that stream had ended; a late subscriber gets "
        "only the completion. Subscribe every view before the stream starts "
        "(publish() and connect() once they are all subscribed), or share "
        "with ops.replay() so that a late view gets the snapshots again"
    )


def snapshot_view(
    operator: str,
    start: Callable[[abc.ObserverBase[_T], Gate[_T]], Callable[[JsonSnapshot], None]],
) -> Callable[[Observable[JsonSnapshot]], Observable[_T]]:
    """The subscription scaffolding of an operator that views JSON snapshots.

    For each subscription, ``start(observer, gate)`` returns the ``on_next``
    that handles one snapshot; it must return at once when ``gate`` is closed
    and set ``gate.seen`` otherwise. Errors of the source go through the gate,
    and a completion that came before any snapshot is :func:`no_snapshots`.
    The per-snapshot code stays the operator's own (no call is added to it).

    Example:
        >>> import reactivex as rx
        >>> def start(observer, gate):
        ...     def on_next(snapshot):
        ...         gate.seen = True
        ...         observer.on_next(snapshot.value)
        ...     return on_next
        >>> rx.empty().pipe(snapshot_view("values", start)).subscribe(
        ...     on_error=print)  # doctest: +ELLIPSIS
        values() received no snapshot: its source completed at once, ...
    """

    def view(source: Observable[JsonSnapshot]) -> Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            gate = Gate(observer)
            on_next = start(observer, gate)

            def on_completed() -> None:
                if gate.seen:
                    gate.completed()
                else:
                    gate.error(no_snapshots(operator))

            return source.subscribe(
                on_next, gate.error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return view


def completions_view(
    operator: str,
    start: Callable[
        [abc.ObserverBase[_T], Gate[_T]],
        Callable[[tuple[Completed, ...]], None],
    ],
) -> Callable[[Observable[JsonSnapshot]], Observable[_T]]:
    """:func:`snapshot_view` for an operator driven by ``snapshot.completed``.

    For each subscription, ``start(observer, gate)`` returns the handler of
    the values that closed in one snapshot. It is called only for a snapshot
    in which something closed (most chunks close nothing, and cost no call),
    and it must stop once ``gate`` closes. Anything but a snapshot is
    :func:`not_snapshots`.

    Example:
        >>> import rxstruct as rs
        >>> import reactivex as rx
        >>> def start(observer, gate):
        ...     def on_completed_values(completed):
        ...         for path, value in completed:
        ...             observer.on_next(path)
        ...     return on_completed_values
        >>> rx.of('[1, ', "2]").pipe(
        ...     rs.accumulate_json(), completions_view("paths", start)
        ... ).subscribe(print)  # doctest: +ELLIPSIS
        (0,)
        (1,)
        ()
        <...>
    """

    def start_view(
        observer: abc.ObserverBase[_T], gate: Gate[_T]
    ) -> Callable[[JsonSnapshot], None]:
        handle = start(observer, gate)

        def on_next(snapshot: JsonSnapshot) -> None:
            if not gate.is_open:
                return
            gate.seen = True
            try:
                completed = snapshot.completed
            except AttributeError:
                gate.error(not_snapshots(operator, snapshot))
                return
            if completed:
                handle(completed)

        return on_next

    return snapshot_view(operator, start_view)
