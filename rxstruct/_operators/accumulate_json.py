"""``accumulate_json``: text deltas in, decoder snapshots out."""

from __future__ import annotations

from collections.abc import Callable, Collection

from reactivex import Observable, abc

from ..exceptions import RxStructError
from ..json import JsonKind, JsonSnapshot, PartialJsonDecoder
from ._gate import Gate

__all__ = ["accumulate_json_"]


def accumulate_json_(
    *,
    partial_strings: bool,
    strict: bool,
    expect: JsonKind | Collection[JsonKind] | None,
    max_depth: int,
    max_size: int,
    max_string_length: int,
) -> Callable[[Observable[str]], Observable[JsonSnapshot]]:
    def new_decoder() -> PartialJsonDecoder:
        return PartialJsonDecoder(
            partial_strings=partial_strings,
            strict=strict,
            expect=expect,
            max_depth=max_depth,
            max_size=max_size,
            max_string_length=max_string_length,
        )

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
