"""Recording what each stage of a pipeline emits, and when."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias, TypeVar

from reactivex import Observable, abc
from reactivex import operators as ops
from reactivex.disposable import CompositeDisposable
from reactivex.scheduler import TimeoutScheduler, VirtualTimeScheduler

from ..exceptions import UsageError
from ._diagram import MarbleDiagram
from ._model import Describe, Lane, Marble, MarbleKind, describe

__all__ = ["Recorder", "Stages", "record"]

_T = TypeVar("_T")

Stages: TypeAlias = (
    Mapping[str, Callable[[Observable[Any]], Observable[Any]]]
    | Iterable[tuple[str, Callable[[Observable[Any]], Observable[Any]]]]
)
"""Named operators: a mapping or ``(name, operator)`` pairs, in order."""


class _LaneLog:
    """The growing record of one lane (under the recorder's lock)."""

    __slots__ = ("input", "marbles", "name", "subscribed", "subscriptions")

    def __init__(self, name: str, input: str | None) -> None:
        self.name = name
        self.input = input
        self.marbles: list[Marble] = []
        self.subscribed: float | None = None
        self.subscriptions = 0


class Recorder:
    """Records the notifications passing chosen points of pipelines, with times.

    Put :meth:`tap` between stages; each tap is one lane of the
    :meth:`diagram`. Times are read from ``scheduler`` (give the
    ``TestScheduler`` that drives a virtual-time pipeline), else from the
    scheduler the pipeline is subscribed with, else the real clock. They count
    from the first subscription of any tap. ``speed`` undoes a sped-up replay:
    recorded durations are multiplied by it, so a ``replay(..., speed=10)``
    recorded with ``speed=10`` shows the recording's own time axis.

    A tap that is subscribed again after an error (``ops.retry``, a re-ask)
    marks the restart on its lane with a ``"retry"`` marble.

    Args:
        scheduler: The clock of the pipeline.
        speed: The replay speed to undo (1.0: times as measured).
        label_width: The longest marble label, in characters.
        describe: How values are drawn; default :func:`rxstruct.viz.describe`.

    Example:
        >>> import rxstruct as rs
        >>> from reactivex.testing import TestScheduler
        >>> from rxstruct.testing import token_marbles
        >>> scheduler = TestScheduler()
        >>> recorder = Recorder(scheduler)
        >>> pipeline = token_marbles("-a--b-c|", timespan=0.5).pipe(
        ...     recorder.tap("chunks"),
        ...     rs.debounce(1.0, scheduler=scheduler),
        ...     recorder.tap("debounced", input="chunks"),
        ... )
        >>> _ = pipeline.subscribe(scheduler=scheduler)
        >>> _ = scheduler.start()
        >>> print(recorder.diagram().text(width=16))
                    0s       2s
                    |--------|------
        chunks      --o------o---o-|   3 values, first 0.5s
        debounced   --o------o---o-|   3 values, first 0.5s, 0 dropped
    """

    def __init__(
        self,
        scheduler: abc.SchedulerBase | None = None,
        *,
        speed: float = 1.0,
        label_width: int = 12,
        describe: Describe = describe,
    ) -> None:
        if speed <= 0:
            raise UsageError(f"speed must be positive, got {speed!r}")
        if label_width < 1:
            raise UsageError(f"label_width must be at least 1, got {label_width!r}")
        self._scheduler = scheduler
        self._speed = speed
        self._label_width = label_width
        self._describe = describe
        self._lock = threading.Lock()
        self._lanes: dict[str, _LaneLog] = {}
        self._origin: datetime | None = None
        self._live = 0
        self._idle = threading.Event()
        self._idle.set()

    def tap(
        self, name: str, *, input: str | None = None
    ) -> Callable[[Observable[_T]], Observable[_T]]:
        """An operator that passes everything on and records it on lane ``name``.

        Args:
            name: The lane; taps with the same name share it.
            input: The lane this stage reads from, for the drop count in
                :meth:`MarbleDiagram.summary`.

        Returns:
            An identity operator.

        Raises:
            UsageError: The lane exists with another ``input``.

        Example:
            >>> import reactivex as rx
            >>> recorder = Recorder()
            >>> rx.of(1, 2).pipe(recorder.tap("numbers")).run()
            2
            >>> recorder.lanes[0].values()
            [1, 2]
        """
        with self._lock:
            log = self._lanes.get(name)
            if log is None:
                self._lanes[name] = _LaneLog(name, input)
            elif input is not None and log.input not in (None, input):
                raise UsageError(
                    f"lane {name!r} reads from {log.input!r}, not {input!r}"
                )
            elif input is not None:
                log.input = input

        def operator(source: Observable[_T]) -> Observable[_T]:
            def subscribe(
                observer: abc.ObserverBase[_T],
                scheduler_: abc.SchedulerBase | None = None,
            ) -> abc.DisposableBase:
                clock = self._scheduler or scheduler_ or TimeoutScheduler.singleton()
                log = self._lanes[name]
                with self._lock:
                    now = clock.now
                    if self._origin is None:
                        self._origin = now
                    log.subscriptions += 1
                    self._live += 1
                    self._idle.clear()
                    if log.subscribed is None:
                        log.subscribed = self._seconds(now)
                    elif log.subscriptions > 1:
                        attempt = log.subscriptions
                        log.marbles.append(
                            Marble(
                                time=self._seconds(now),
                                kind="retry",
                                label=f"attempt {attempt}",
                                detail=f"subscribed again: attempt {attempt}",
                            )
                        )
                ended = False

                def end() -> None:
                    nonlocal ended
                    if not ended:
                        ended = True
                        self._live -= 1
                        if self._live == 0:
                            self._idle.set()

                def on_next(value: _T) -> None:
                    kind, label, detail = self._describe(value, self._label_width)
                    self._add(log, clock, kind, label, detail, value)
                    observer.on_next(value)

                def on_error(error: Exception) -> None:
                    label = type(error).__name__
                    detail = f"{label}: {error}"
                    self._add(log, clock, "error", label, detail, error)
                    with self._lock:
                        end()
                    observer.on_error(error)

                def on_completed() -> None:
                    self._add(log, clock, "completed", "", "completed", None)
                    with self._lock:
                        end()
                    observer.on_completed()

                def dispose() -> None:
                    with self._lock:
                        end()

                subscription = source.subscribe(
                    on_next, on_error, on_completed, scheduler=scheduler_
                )
                return CompositeDisposable(subscription, _Action(dispose))

            return Observable(subscribe)

        return operator

    def _seconds(self, now: datetime) -> float:
        assert self._origin is not None
        return round((now - self._origin).total_seconds() * self._speed, 9)

    def _add(
        self,
        log: _LaneLog,
        clock: abc.SchedulerBase,
        kind: MarbleKind,
        label: str,
        detail: str,
        value: Any,
    ) -> None:
        with self._lock:
            marble = Marble(
                time=self._seconds(clock.now),
                kind=kind,
                label=label,
                detail=detail,
                value=value,
            )
            log.marbles.append(marble)

    @property
    def lanes(self) -> tuple[Lane, ...]:
        """The lanes recorded so far, in the order their taps were made.

        Example:
            >>> Recorder().lanes
            ()
        """
        with self._lock:
            return tuple(
                Lane(
                    name=log.name,
                    marbles=tuple(log.marbles),
                    input=log.input,
                    subscribed=log.subscribed,
                )
                for log in self._lanes.values()
            )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every tapped subscription has ended (real time).

        Args:
            timeout: Seconds to wait at most; None waits for ever.

        Returns:
            True if everything ended, False on timeout.

        Example:
            >>> Recorder().wait(0)
            True
        """
        return self._idle.wait(timeout)

    def diagram(self, *, title: str | None = None) -> MarbleDiagram:
        """A marble diagram of what has been recorded so far.

        Example:
            >>> Recorder().diagram().lanes
            ()
        """
        return MarbleDiagram(lanes=self.lanes, title=title)


class _Action(abc.DisposableBase):
    """A disposable that runs ``action`` once."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def dispose(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


def _pairs(
    stages: Stages,
) -> list[tuple[str, Callable[[Observable[Any]], Observable[Any]]]]:
    items = list(stages.items()) if isinstance(stages, Mapping) else list(stages)
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise UsageError(f"stage names must be distinct, got {names}")
    return items


def record(
    source: Observable[Any],
    stages: Stages = (),
    *,
    branches: bool = False,
    source_name: str = "source",
    scheduler: abc.SchedulerBase | None = None,
    speed: float = 1.0,
    timeout: float | None = 60.0,
    title: str | None = None,
    label_width: int = 12,
) -> MarbleDiagram:
    """Run ``source`` through named stages and draw every stage as a lane.

    By default the stages are chained, each reading the previous one's output
    (a pipeline, stage by stage). With ``branches=True`` each stage reads the
    source itself (one shared subscription), so operators can be compared side
    by side on the same stream.

    In virtual time (``scheduler`` is a ``TestScheduler``) the scheduler is
    run until nothing is left to do. Otherwise the call blocks until every
    stage has completed or failed. Errors do not raise: they end their lane.

    Args:
        source: The stream, e.g. ``replay(recording)``.
        stages: Named operators (a mapping, or ``(name, operator)`` pairs).
        branches: Apply every stage to the source instead of chaining them.
        source_name: The name of the source's lane.
        scheduler: The clock; a ``TestScheduler`` runs the pipeline in virtual
            time. Pass the same scheduler to the source and to time-based
            operators.
        speed: The replay speed to undo on the time axis (see :class:`Recorder`).
        timeout: Real-time runs: seconds to wait at most.
        title: A title for the diagram.
        label_width: The longest marble label, in characters.

    Returns:
        The diagram of the run.

    Raises:
        UsageError: Two stages share a name, or a stage is named like the source.
        TimeoutError: A real-time run did not finish within ``timeout``.

    Example:
        >>> import rxstruct as rs
        >>> from reactivex.testing import TestScheduler
        >>> from rxstruct.testing import token_marbles
        >>> diagram = record(
        ...     token_marbles("-a-b-|", {"a": '{"n": 4', "b": "2}"}),
        ...     {"json": rs.accumulate_json()},
        ...     scheduler=TestScheduler(),
        ... )
        >>> [lane.name for lane in diagram.lanes], diagram.counts()
        (['source', 'json'], {'source': 2, 'json': 3})
    """
    pairs = _pairs(stages)
    if source_name in {name for name, _ in pairs}:
        raise UsageError(f"a stage is named like the source: {source_name!r}")
    recorder = Recorder(scheduler, speed=speed, label_width=label_width)
    tapped = source.pipe(recorder.tap(source_name))
    subscription = CompositeDisposable()
    if branches:
        shared = tapped.pipe(ops.publish())
        for name, operator in pairs:
            branch = shared.pipe(operator, recorder.tap(name, input=source_name))
            subscription.add(branch.subscribe(on_error=_ignore, scheduler=scheduler))
        subscription.add(shared.connect(scheduler=scheduler) or CompositeDisposable())
    else:
        pipeline: Observable[Any] = tapped
        previous = source_name
        for name, operator in pairs:
            pipeline = pipeline.pipe(operator, recorder.tap(name, input=previous))
            previous = name
        subscription.add(pipeline.subscribe(on_error=_ignore, scheduler=scheduler))
    if isinstance(scheduler, VirtualTimeScheduler):
        scheduler.start()
    elif not recorder.wait(timeout):
        subscription.dispose()
        raise TimeoutError(f"the pipeline did not finish within {timeout} s")
    return recorder.diagram(title=title)


def _ignore(_: Exception) -> None:
    """Errors end their lane on the diagram; nothing to raise."""
