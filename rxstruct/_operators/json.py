"""``accumulate_json``: text deltas in, decoder snapshots out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reactivex import Observable, abc

from ..exceptions import RxStructError
from ..json import JsonSnapshot, PartialJsonDecoder

__all__ = ["accumulate_json_"]


def accumulate_json_(
    **decoder_options: Any,
) -> Callable[[Observable[str]], Observable[JsonSnapshot]]:
    # Build one decoder eagerly so bad options fail when the pipeline is built.
    PartialJsonDecoder(**decoder_options)

    def operator(source: Observable[str]) -> Observable[JsonSnapshot]:
        def subscribe(
            observer: abc.ObserverBase[JsonSnapshot],
            scheduler: abc.SchedulerBase | None = None,
        ) -> abc.DisposableBase:
            decoder = PartialJsonDecoder(**decoder_options)
            stopped = False

            def on_next(chunk: str) -> None:
                nonlocal stopped
                if stopped:
                    return
                try:
                    snapshot = decoder.feed(chunk)
                except RxStructError as exc:
                    stopped = True
                    observer.on_error(exc)
                    return
                observer.on_next(snapshot)

            def on_completed() -> None:
                nonlocal stopped
                if stopped:
                    return
                stopped = True
                try:
                    snapshot = decoder.close()
                except RxStructError as exc:
                    observer.on_error(exc)
                    return
                observer.on_next(snapshot)
                observer.on_completed()

            def on_error(error: Exception) -> None:
                nonlocal stopped
                if not stopped:
                    stopped = True
                    observer.on_error(error)

            return source.subscribe(
                on_next, on_error, on_completed, scheduler=scheduler
            )

        return Observable(subscribe)

    return operator
