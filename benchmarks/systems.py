"""One small adapter per system, behind one interface.

Every system pulls its chunks from an iterator and hands the value a UI would
draw after each chunk to ``sink`` (a partial model, or a raw value for the
systems that have no model). The harness times each chunk from the moment it
is handed out until the next one is asked for, so the cost of a chunk is the
whole step: decode, build or validate the partial value, deliver it. Systems
that cannot produce a value for a chunk (a validation error while the text is
incomplete) still pay for trying; they just deliver nothing.

The peers are imported lazily, so a missing one is reported and skipped.
"""

from __future__ import annotations

import asyncio
import heapq
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter

from .workloads import Workload, optional_mirror

__all__ = [
    "ITEM_SYSTEMS",
    "LIMITS",
    "SYSTEMS",
    "ItemSystem",
    "Sink",
    "System",
]

Sink = Callable[[Any], None]
_Out = TypeVar("_Out")

_PARTIAL = "trailing-strings"
DEBOUNCE_SECONDS = 0.05
"""Interval of the debounced pipelines (20 redraws/s), in virtual time."""


def _missing(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return f"not installed ({exc.name})"
    return None


def _rxstruct_lacks(*names: str) -> str | None:
    import rxstruct

    absent = [n for n in names if not hasattr(rxstruct, n)]
    if absent:
        return "not in rxstruct yet: " + ", ".join(absent)
    return None


class _Runner(ABC, Generic[_Out]):
    """What the harness runs: a named way to consume a workload's chunks."""

    name: ClassVar[str]

    def unavailable(self, workload: Workload) -> str | None:
        """Why this system cannot run ``workload``, or None."""
        return None

    @abstractmethod
    def run(self, workload: Workload, chunks: Iterator[str], out: _Out) -> None:
        """Consume ``chunks`` until exhausted, telling ``out`` what it delivers."""


class System(_Runner[Sink]):
    """A way to turn chunks into one partial value per chunk (``out``: a sink)."""

    family: ClassVar[str] = "peer"  # "rxstruct" or "peer"
    output: ClassVar[str] = "model"  # "model", "raw" or "items"


# --- rxstruct -------------------------------------------------------------------


class _RxDecoder(System):
    """The decoder alone, without Rx: a snapshot per chunk."""

    family = "rxstruct"
    output = "raw"
    reads_value: ClassVar[bool]

    def run(self, workload: Workload, chunks: Iterator[str], sink: Sink) -> None:
        from rxstruct.json import PartialJsonDecoder

        feed = PartialJsonDecoder().feed
        # Two loops, so that no chunk pays for choosing.
        if self.reads_value:
            for chunk in chunks:
                sink(feed(chunk).value)
        else:
            for chunk in chunks:
                sink(feed(chunk))


class RxDecoderFeed(_RxDecoder):
    """The snapshots, value never built (a dropped chunk's cost)."""

    name = "rxstruct feed (no value)"
    reads_value = False


class RxDecoderValue(_RxDecoder):
    """``snapshot.value`` after every chunk."""

    name = "rxstruct feed+value"
    reads_value = True


def _virtual_clock() -> Any:
    """A minimal virtual-time reactivex scheduler for the debounced pipelines.

    reactivex's ``HistoricalScheduler`` spends about 5 us per ``advance_by``
    on datetime bookkeeping even with nothing due, which would be billed to
    rxstruct; a real clock advances for free. This one keeps due times as
    floats and runs a timer only when it is due (that work is counted).
    """
    from reactivex.disposable import BooleanDisposable
    from reactivex.scheduler.scheduler import Scheduler

    class VirtualClock(Scheduler):
        def __init__(self) -> None:
            super().__init__()
            self._seconds = 0.0
            self._seq = 0
            self._queue: list[tuple[float, int, Any, Any, BooleanDisposable]] = []

        @property
        def now(self) -> Any:
            return self.to_datetime(self._seconds)

        def schedule(self, action: Any, state: Any = None) -> Any:
            return self.schedule_absolute(self._seconds, action, state)

        def schedule_relative(
            self, duetime: Any, action: Any, state: Any = None
        ) -> Any:
            return self.schedule_absolute(
                self._seconds + self.to_seconds(duetime), action, state
            )

        def schedule_absolute(
            self, duetime: Any, action: Any, state: Any = None
        ) -> Any:
            handle = BooleanDisposable()
            self._seq += 1
            due = self.to_seconds(duetime)
            heapq.heappush(self._queue, (due, self._seq, action, state, handle))
            return handle

        def advance(self, seconds: float) -> None:
            self._seconds += seconds
            queue = self._queue
            while queue and queue[0][0] <= self._seconds:
                _due, _seq, action, state, handle = heapq.heappop(queue)
                if not handle.is_disposed:
                    self.invoke_action(action, state)

    return VirtualClock()


class _RxPipeline(System):
    """An rxstruct pipeline fed the way ``rxstruct.sources`` feed one.

    The source is an ``Observable`` whose subscribe function pushes each chunk
    with ``observer.on_next``, as the OpenAI sources do from their reading
    loop. (A ``Subject`` would add about 2 us per chunk of its own locking and
    observer-list copying, which no rxstruct source pays.)
    """

    family = "rxstruct"
    needs: ClassVar[tuple[str, ...]] = ()
    virtual_time: ClassVar[bool] = False

    def unavailable(self, workload: Workload) -> str | None:
        return _rxstruct_lacks(*self.needs)

    @abstractmethod
    def operators(self, workload: Workload, scheduler: Any) -> list[Any]:
        """The operators after the source, in order."""

    def deliver(self, value: Any, sink: Sink) -> None:
        sink(value)

    def run(self, workload: Workload, chunks: Iterator[str], sink: Sink) -> None:
        from reactivex import Observable, abc
        from reactivex.disposable import Disposable

        clock = _virtual_clock() if self.virtual_time else None
        scheduler = clock

        def push(
            observer: abc.ObserverBase[str], _: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            on_next = observer.on_next
            if clock is not None:
                step = workload.seconds_per_chunk
                advance = clock.advance
                for chunk in chunks:
                    advance(step)
                    on_next(chunk)
            else:
                for chunk in chunks:
                    on_next(chunk)
            observer.on_completed()
            return Disposable()

        errors: list[Exception] = []
        deliver = self.deliver
        Observable(push).pipe(*self.operators(workload, scheduler)).subscribe(
            on_next=lambda value: deliver(value, sink), on_error=errors.append
        )
        if errors:
            raise errors[0]


class RxAccumulate(_RxPipeline):
    name = "rxstruct accumulate_json"
    output = "raw"

    def operators(self, workload: Workload, scheduler: Any) -> list[Any]:
        import rxstruct as rs

        return [rs.accumulate_json()]

    def deliver(self, value: Any, sink: Sink) -> None:
        sink(value.value)


class RxToPartial(_RxPipeline):
    name = "rxstruct to_partial"
    needs = ("to_partial",)

    def operators(self, workload: Workload, scheduler: Any) -> list[Any]:
        import rxstruct as rs

        return [rs.accumulate_json(), rs.to_partial(workload.model)]  # type: ignore[attr-defined]


class RxNewListItems(_RxPipeline):
    name = "rxstruct new_list_items"
    output = "items"
    needs = ("new_list_items",)

    def unavailable(self, workload: Workload) -> str | None:
        if workload.item_model is None:
            return "no list in this workload"
        return super().unavailable(workload)

    def operators(self, workload: Workload, scheduler: Any) -> list[Any]:
        import rxstruct as rs

        return [
            rs.accumulate_json(),
            rs.new_list_items(workload.item_model, path=workload.list_path),
        ]


class RxDebounceValue(_RxPipeline):
    """Snapshots are lazy: only the ones debounce lets through build a value."""

    name = "rxstruct debounce→value"
    output = "raw"
    needs = ("debounce",)
    virtual_time = True

    def operators(self, workload: Workload, scheduler: Any) -> list[Any]:
        import rxstruct as rs

        return [
            rs.accumulate_json(),
            rs.debounce(DEBOUNCE_SECONDS, scheduler=scheduler),
        ]

    def deliver(self, value: Any, sink: Sink) -> None:
        sink(value.value)


class RxDebouncePartial(_RxPipeline):
    name = "rxstruct debounce→to_partial"
    needs = ("debounce", "to_partial")
    virtual_time = True

    def operators(self, workload: Workload, scheduler: Any) -> list[Any]:
        import rxstruct as rs

        return [
            rs.accumulate_json(),
            rs.debounce(DEBOUNCE_SECONDS, scheduler=scheduler),
            rs.to_partial(workload.model),  # type: ignore[attr-defined]
        ]


class RxDistinctDebounce(_RxPipeline):
    name = "rxstruct to_partial→distinct_fields→debounce"
    needs = ("to_partial", "distinct_fields", "debounce")
    virtual_time = True

    def operators(self, workload: Workload, scheduler: Any) -> list[Any]:
        import rxstruct as rs

        return [
            rs.accumulate_json(),
            rs.to_partial(workload.model),  # type: ignore[attr-defined]
            rs.distinct_fields(),  # type: ignore[attr-defined]
            rs.debounce(DEBOUNCE_SECONDS, scheduler=scheduler),
        ]


# --- peers ----------------------------------------------------------------------


class InstructorPartial(System):
    """``Partial[Model].model_from_chunks``: its chunk-iterating API."""

    name = "instructor Partial"

    def unavailable(self, workload: Workload) -> str | None:
        return _missing("instructor")

    def run(self, workload: Workload, chunks: Iterator[str], sink: Sink) -> None:
        import instructor

        partial: Any = instructor.Partial[workload.model]  # type: ignore[name-defined]
        for value in partial.model_from_chunks(chunks):
            sink(value)


class PydanticAI(System):
    """``agent.run_stream`` + ``stream_output(debounce_by=None)``.

    The model is pydantic-ai's own in-process ``FunctionModel``, streaming the
    chunks as the arguments of the output tool call (its default output mode
    for a model type).
    """

    name = "pydantic-ai stream_output"

    def unavailable(self, workload: Workload) -> str | None:
        return _missing("pydantic_ai")

    def run(self, workload: Workload, chunks: Iterator[str], sink: Sink) -> None:
        from pydantic_ai import Agent
        from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

        async def stream(messages: list[Any], info: AgentInfo) -> Any:
            tool = info.output_tools[0].name
            first = True
            for chunk in chunks:
                if first:
                    first = False
                    yield {
                        0: DeltaToolCall(name=tool, json_args=chunk, tool_call_id="c0")
                    }
                else:
                    yield {0: DeltaToolCall(json_args=chunk)}

        agent = Agent(
            FunctionModel(stream_function=stream), output_type=workload.model, retries=0
        )

        async def main() -> None:
            async with agent.run_stream("go") as result:
                async for value in result.stream_output(debounce_by=None):
                    sink(value)

        asyncio.run(main())


class _Reparse(System):
    """Re-parse the accumulated buffer after every chunk."""

    def run(self, workload: Workload, chunks: Iterator[str], sink: Sink) -> None:
        parse = self.parser(workload)
        buffer = ""
        for chunk in chunks:
            buffer += chunk
            try:
                value = parse(buffer)
            except ValueError:  # pydantic's ValidationError is a ValueError
                continue
            sink(value)

    @abstractmethod
    def parser(self, workload: Workload) -> Callable[[str], Any]:
        """A function of the whole buffer so far."""


@cache
def _adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(model)


class PydanticModel(_Reparse):
    name = "pydantic partial (model)"

    def parser(self, workload: Workload) -> Callable[[str], Any]:
        validate = _adapter(workload.model).validate_json
        return lambda text: validate(text, experimental_allow_partial=_PARTIAL)


class PydanticMirror(_Reparse):
    name = "pydantic partial (optional mirror)"

    def parser(self, workload: Workload) -> Callable[[str], Any]:
        validate = _adapter(optional_mirror(workload.model)).validate_json
        return lambda text: validate(text, experimental_allow_partial=_PARTIAL)


class Jiter(_Reparse):
    name = "jiter trailing-strings"
    output = "raw"

    def parser(self, workload: Workload) -> Callable[[str], Any]:
        from jiter import from_json

        return lambda text: from_json(text.encode(), partial_mode=_PARTIAL)


class _ImportedParser(_Reparse):
    """A peer's function of the whole buffer, imported when the system runs."""

    output = "raw"
    module: ClassVar[str]
    function: ClassVar[str]

    def unavailable(self, workload: Workload) -> str | None:
        return _missing(self.module)

    def parser(self, workload: Workload) -> Callable[[str], Any]:
        parse: Callable[[str], Any] = getattr(
            importlib.import_module(self.module), self.function
        )
        return parse


class LangChain(_ImportedParser):
    name = "langchain parse_partial_json"
    module = "langchain_core.utils.json"
    function = "parse_partial_json"


class PartialJsonParser(_ImportedParser):
    name = "partial-json-parser"
    module = "partial_json_parser"
    function = "loads"


SYSTEMS: list[System] = [
    RxDecoderFeed(),
    RxDecoderValue(),
    RxAccumulate(),
    RxToPartial(),
    RxNewListItems(),
    RxDebounceValue(),
    RxDebouncePartial(),
    RxDistinctDebounce(),
    InstructorPartial(),
    PydanticAI(),
    PydanticModel(),
    PydanticMirror(),
    Jiter(),
    LangChain(),
    PartialJsonParser(),
]


# --- the limit: the final text parsed once ------------------------------------


def _limit_model(workload: Workload) -> Callable[[], Any]:
    validate = workload.model.model_validate_json
    text = workload.text
    return lambda: validate(text)


def _limit_jiter(workload: Workload) -> Callable[[], Any]:
    from jiter import from_json

    data = workload.text.encode()
    return lambda: from_json(data)


LIMITS: dict[str, Callable[[Workload], Callable[[], Any]]] = {
    "limit: Model.model_validate_json(final)": _limit_model,
    "limit: jiter.from_json(final)": _limit_jiter,
}


# --- item latency ---------------------------------------------------------------

Emit = Callable[[int], None]
"""Called with a list index when the system says that item is complete."""


class ItemSystem(_Runner[Emit]):
    """When does each list item reach the consumer as a complete item?

    ``run`` calls ``emit(index)`` for each item delivered.
    """


class RxItems(ItemSystem):
    name = "rxstruct new_list_items"

    def unavailable(self, workload: Workload) -> str | None:
        return _rxstruct_lacks("new_list_items")

    def run(self, workload: Workload, chunks: Iterator[str], emit: Emit) -> None:
        RxNewListItems().run(workload, chunks, lambda item: emit(item.index))


class RxCompleted(ItemSystem):
    """The raw decoder's ``snapshot.completed``, what new_list_items reads."""

    name = "rxstruct snapshot.completed"

    def run(self, workload: Workload, chunks: Iterator[str], emit: Emit) -> None:
        from rxstruct.json import PartialJsonDecoder

        decoder = PartialJsonDecoder()
        key = workload.list_path
        for chunk in chunks:
            for path, _value in decoder.feed(chunk).completed:
                if len(path) == 2 and path[0] == key:
                    emit(path[1])


class InstructorIterable(ItemSystem):
    name = "instructor IterableModel"

    def unavailable(self, workload: Workload) -> str | None:
        return _missing("instructor")

    def run(self, workload: Workload, chunks: Iterator[str], emit: Emit) -> None:
        import instructor

        iterable: Any = instructor.IterableModel(workload.item_model)  # type: ignore[arg-type]
        for index, _item in enumerate(iterable.tasks_from_chunks(chunks)):
            emit(index)


class _PartialList(ItemSystem):
    """A re-parsed partial list: item i is final once item i+1 shows (or at the end).

    A partial list does not say whether its last item is complete, so a
    consumer can only treat an item as final when a later one appears.
    """

    @abstractmethod
    def items(self, workload: Workload, text: str) -> list[Any] | None:
        """The list validated from ``text``, or None when it does not validate."""

    def run(self, workload: Workload, chunks: Iterator[str], emit: Emit) -> None:
        buffer = ""
        done = 0
        length = 0
        for chunk in chunks:
            buffer += chunk
            found = self.items(workload, buffer)
            if found is not None:
                length = len(found)
            while done < length - 1:
                emit(done)
                done += 1
        while done < length:  # the end of the stream closes the last one
            emit(done)
            done += 1


class PydanticListMirror(_PartialList):
    name = "pydantic partial list (optional mirror)"

    def items(self, workload: Workload, text: str) -> list[Any] | None:
        value = _adapter(optional_mirror(workload.model)).validate_json(
            text, experimental_allow_partial=_PARTIAL
        )
        return getattr(value, workload.list_path or "", None)


class PydanticListModel(_PartialList):
    name = "pydantic partial list (model)"

    def items(self, workload: Workload, text: str) -> list[Any] | None:
        try:
            value = _adapter(workload.model).validate_json(
                text, experimental_allow_partial=_PARTIAL
            )
        except ValueError:
            return None
        return getattr(value, workload.list_path or "", None)


ITEM_SYSTEMS: list[ItemSystem] = [
    RxItems(),
    RxCompleted(),
    InstructorIterable(),
    PydanticListMirror(),
    PydanticListModel(),
]
