"""``accumulate_json``: text deltas in, decoder snapshots out."""

from __future__ import annotations

from collections.abc import Callable

from reactivex import Observable, abc

from ..exceptions import RxStructError
from ..json import JsonSnapshot, PartialJsonDecoder
from ._gate import Gate

__all__ = ["accumulate_json_"]


def accumulate_json_(
    new_decoder: Callable[[], PartialJsonDecoder],
) -> Callable[[Observable[str]], Observable[JsonSnapshot]]:
    """``accumulate_json`` with a decoder from ``new_decoder()`` per subscription.

    The façade binds its keyword options to :class:`PartialJsonDecoder`, so
    the options and their defaults are spelled out in one place.
    """
    new_decoder()  # bad options fail when the pipeline is built

    def operator(source: Observable[str]) -> Observable[JsonSnapshot]:
        def subscribe(
            observer: abc.ObserverBase[JsonSnapshot],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            decoder = new_decoder()
            gate = Gate(observer)

            def on_next(chunk: str) -> None:
                if not gate.is_open:
                    return
                try:
                    snapshot = decoder.feed(chunk)
                except RxStructError as exc:
                    gate.error(exc)
                    return
                observer.on_next(snapshot)

            def on_completed() -> None:
                if not gate.is_open:
                    return
                try:
                    snapshot = decoder.close()
                except RxStructError as exc:
                    gate.error(exc)
                    return
                observer.on_next(snapshot)
                gate.completed()

            return source.subscribe(
                on_next, gate.error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return operator
