"""Measuring one system on one workload: timing, time caps, memory, item lag.

Per-chunk time is taken at the source: the chunk iterator stamps
``perf_counter_ns`` each time a chunk is asked for, so the cost of chunk k is
everything the system does between handing out chunk k and asking for chunk
k+1 (decode, build or validate, deliver to the sink). This works unchanged for
pull-based generators (Instructor), push-based Rx pipelines and an asyncio
agent (pydantic-ai). Total CPU time (``time.process_time``) covers the whole
run, including setup and the end of the stream.

A re-parsing system costs O(buffer) per chunk, so a whole 1 MB stream can take
it many minutes. Each run has a time cap: past it the source stops early. The
rest is then estimated from a straight-line fit of per-chunk cost against
buffer length, fitted to the measured chunks plus *probes*: short runs that
start with the first L characters as one chunk and then time the next few real
chunks at that buffer length, for L up to the full document. The last probe
ends exactly at the end of the document, so the cost at 1 MB is measured, not
guessed; only the total and the percentiles of the skipped middle are fitted.
Probes are for the peers, whose state is their buffer; rxstruct keeps per-chunk
state, so a capped rxstruct run is fitted to its measured chunks alone.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .systems import ItemSystem, System
from .workloads import Workload

__all__ = [
    "Fit",
    "TailProfile",
    "ItemLag",
    "Run",
    "item_lag",
    "measure_limit",
    "measure_memory",
    "percentile",
    "probe",
    "profile_tail",
    "run_stream",
]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


class TimedSource(Iterator[str]):
    """Hands out chunks, stamping the time of each request."""

    def __init__(self, chunks: Sequence[str], cap_ns: int | None = None) -> None:
        self._chunks = chunks
        self._k = 0
        self.cap_ns = cap_ns
        self.min_chunks = 0
        self.cap_from = 0  # the cap counts from the request of this chunk
        self.collect_at = -1  # collect garbage, untimed, before this chunk
        self.stamps: list[int] = []
        self.stop_ns = 0
        self.capped = False
        self.t0 = time.perf_counter_ns()

    def __iter__(self) -> TimedSource:
        return self

    def __next__(self) -> str:
        now = time.perf_counter_ns()
        if self.stop_ns:
            raise StopIteration
        k = self._k
        if k == self.collect_at:
            gc.collect()
            now = time.perf_counter_ns()
        if k == self.cap_from and k:
            self.t0 = now
        if k >= len(self._chunks):
            self.stop_ns = now
            raise StopIteration
        if (
            self.cap_ns is not None
            and k >= self.min_chunks
            and now - self.t0 > self.cap_ns
        ):
            self.capped = True
            self.stop_ns = now
            raise StopIteration
        self.stamps.append(now)
        self._k = k + 1
        return self._chunks[k]

    def latencies(self) -> list[int]:
        """Nanoseconds spent on each chunk handed out."""
        stamps = self.stamps
        if not stamps:
            return []
        ends = [*stamps[1:], self.stop_ns or time.perf_counter_ns()]
        return [end - start for start, end in zip(stamps, ends, strict=True)]


@dataclass(kw_only=True)
class Run:
    """One run of a system over a workload (possibly stopped at the cap)."""

    latencies_ns: list[int]
    cpu_s: float
    wall_s: float
    capped: bool
    delivered: int
    last: Any = field(default=None, repr=False)
    error: str | None = None


def _call(
    system: System,
    workload: Workload,
    source: Iterator[str],
    sink: Callable[[Any], None],
) -> str | None:
    try:
        system.run(workload, source, sink)
    except Exception as exc:
        # A capped stream ends early: its end-of-stream errors are expected.
        if not getattr(source, "capped", False):
            return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return None


def run_stream(system: System, workload: Workload, cap_s: float | None) -> Run:
    """Feed the whole stream once (up to the cap), timing every chunk."""
    delivered = 0
    last: Any = None

    def sink(value: Any) -> None:
        nonlocal delivered, last
        delivered += 1
        last = value

    gc.collect()
    cap = None if cap_s is None else int(cap_s * 1e9)
    cpu0 = time.process_time()
    source = TimedSource(workload.chunks, cap)
    error = _call(system, workload, source, sink)
    wall = (time.perf_counter_ns() - source.t0) / 1e9
    cpu = time.process_time() - cpu0
    return Run(
        latencies_ns=source.latencies(),
        cpu_s=cpu,
        wall_s=wall,
        capped=source.capped,
        delivered=delivered,
        last=last,
        error=error,
    )


_SETTLE = 2


def probe(
    system: System, workload: Workload, start_chunk: int, count: int, cap_s: float
) -> list[int]:
    """Per-chunk ns of chunks ``start_chunk .. +count`` after a one-chunk prefix.

    The prefix's garbage is collected untimed. A few chunks before
    ``start_chunk`` run first to settle (a fast system's first chunks after a
    huge one absorb the rest of its aftermath) and are dropped when enough
    chunks ran. The cap counts from the first chunk after the prefix; at least
    one is timed (a slow re-parser may get only that one, and needs no more).
    """
    chunks = workload.chunks
    start = max(1, start_chunk - _SETTLE)
    prefix = "".join(chunks[:start])
    source = TimedSource([prefix, *chunks[start : start_chunk + count]])
    source.min_chunks = 2
    source.cap_ns = int(cap_s * 1e9)
    source.cap_from = 1
    source.collect_at = 1
    gc.collect()
    _call(system, workload, source, lambda value: None)
    timed = source.latencies()[1:]
    settle = start_chunk - start
    return timed[settle:] if len(timed) > settle + 1 else timed


@dataclass(kw_only=True)
class Fit:
    """Per-chunk cost ``a + b * buffer_length`` in ns, fitted to measurements."""

    a: float
    b: float
    points: list[tuple[int, float]]

    def at(self, length: int) -> float:
        return self.a + self.b * length


def fit_cost(points: list[tuple[int, float]]) -> Fit:
    """Least squares line through ``(buffer length, ns)`` points, slope >= 0."""
    xs = [float(x) for x, _ in points]
    ys = [y for _, y in points]
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    slope = 0.0
    if var > 0:
        slope = (
            sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var
        )
    slope = max(0.0, slope)
    return Fit(a=max(0.0, mean_y - slope * mean_x), b=slope, points=points)


def _binned(
    lengths: Sequence[int], latencies: Sequence[int], bins: int = 12
) -> list[tuple[int, float]]:
    n = len(latencies)
    if n == 0:
        return []
    size = max(1, n // bins)
    points = []
    for start in range(0, n, size):
        part = latencies[start : start + size]
        points.append((lengths[start + len(part) // 2], statistics.median(part)))
    return points


@dataclass(kw_only=True)
class Estimate:
    """The whole stream, part measured and the rest from the fit."""

    total_s: float
    p50_ns: float
    p99_ns: float
    measured_chunks: int
    fit: Fit
    probe_points: list[tuple[int, float]]


def extrapolate(
    system: System,
    workload: Workload,
    run: Run,
    probe_chunks: int,
    probe_fractions: Sequence[float],
    cap_s: float,
) -> Estimate:
    """Estimate a capped run's full-stream total and percentiles.

    Probes stand in for the skipped chunks only when a system's state after a
    one-chunk prefix is the state it would have reached chunk by chunk: true of
    the peers, whose state is the buffer, not of rxstruct, whose decoder keeps
    per-chunk state (the chunk list, the parts of an open string). rxstruct is
    extrapolated from its measured chunks alone (pass no fractions).
    """
    ends = workload.chunk_ends()
    n = len(ends)
    measured = len(run.latencies_ns)
    points = _binned(ends[:measured], run.latencies_ns)
    probe_points: list[tuple[int, float]] = []
    for fraction in probe_fractions:
        start = max(measured, min(n - probe_chunks, int(n * fraction) - probe_chunks))
        if start >= n:
            continue
        lat = probe(system, workload, start, probe_chunks, cap_s)
        if lat:
            mid = start + len(lat) // 2
            probe_points.append((ends[mid], statistics.median(lat)))
    fit = fit_cost(points + probe_points)
    predicted = [fit.at(ends[k]) for k in range(measured, n)]
    combined = [float(x) for x in run.latencies_ns] + predicted
    # CPU of the measured part plus the fitted remainder (single-threaded work).
    total_s = run.cpu_s + sum(predicted) / 1e9
    return Estimate(
        total_s=total_s,
        p50_ns=percentile(combined, 50),
        p99_ns=percentile(combined, 99),
        measured_chunks=measured,
        fit=fit,
        probe_points=probe_points,
    )


# --- the limit ------------------------------------------------------------------


def measure_limit(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of one call of ``call``."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(repeat):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        call()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


# --- memory ---------------------------------------------------------------------


def _fresh(text: str) -> str:
    """A new string object equal to ``text``, as if it had just arrived."""
    return text.encode().decode()


def measure_memory(
    system: System | None,
    workload: Workload,
    *,
    tail_chunks: int = 0,
    cap_s: float | None = None,
    streamed: bool = False,
    limit: Callable[[], Any] | None = None,
) -> tuple[int, int]:
    """Peak and retained traced bytes of a system (or ``limit``) at full size.

    ``streamed``: every chunk is fed, as in a real stream (rxstruct, whose
    per-chunk state only builds up that way). Otherwise the document up to its
    last ``tail_chunks`` is fed as one chunk, then those one by one (at least
    one, then up to the time cap): a re-parser would need minutes to get there
    chunk by chunk, and its state is its buffer either way. Chunks are fresh
    string objects made while tracing, so every system is charged for the text
    it keeps. The last delivered value is kept, as a UI would; *retained* is
    what is still allocated after the run and a collection (that value: the
    system's own state goes with the run).
    """
    kept: list[Any] = [None]

    def sink(value: Any) -> None:
        kept[0] = value

    chunks = workload.chunks
    split = max(1, len(chunks) - tail_chunks)
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        if limit is not None:
            kept[0] = limit()
        elif streamed:
            assert system is not None
            _call(system, workload, (_fresh(c) for c in chunks), sink)
        else:
            assert system is not None
            feed = [_fresh("".join(chunks[:split])), *map(_fresh, chunks[split:])]
            source = TimedSource(feed, None if cap_s is None else int(cap_s * 1e9))
            source.min_chunks = 2
            _call(system, workload, source, sink)
        _, peak = tracemalloc.get_traced_memory()
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, current - base


# --- item latency ---------------------------------------------------------------


@dataclass(kw_only=True)
class ItemLag:
    """Chunks between the chunk closing an item and the item's delivery."""

    lags: list[int]
    missing: int
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.lags) if self.lags else float("nan")

    @property
    def worst(self) -> int:
        return max(self.lags) if self.lags else -1


def item_lag(system: ItemSystem, workload: Workload) -> ItemLag:
    """Run ``system`` once; each item's delivery chunk minus its closing chunk."""
    ends = workload.chunk_ends()
    closing = [bisect_left(ends, offset + 1) for offset in workload.item_ends]
    source = TimedSource(workload.chunks)
    seen: dict[int, int] = {}

    def emit(index: int) -> None:
        seen.setdefault(index, len(source.stamps) - 1)

    error = None
    try:
        system.run(workload, source, emit)
    except Exception as exc:
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    at_end = len(workload.chunks) - 1
    lags = []
    for index, close in enumerate(closing):
        if index in seen:
            lags.append(min(seen[index], at_end) - close)
    return ItemLag(lags=lags, missing=len(closing) - len(lags), error=error)


# --- profiling ------------------------------------------------------------------


@dataclass(kw_only=True)
class TailProfile:
    """The last chunks of a document, timed and profiled in steady state."""

    chunks: int
    p50_gc_us: float
    mean_gc_us: float
    p50_nogc_us: float
    mean_nogc_us: float
    stats: Any  # pstats.Stats of the window, garbage collector off


class _Window(Iterator[str]):
    """The prefix as one chunk, a few settling chunks, then the measured window."""

    def __init__(self, workload: Workload, tail: int, on_start: Callable[[], None]):
        chunks = workload.chunks
        start = len(chunks) - tail
        self._items = ["".join(chunks[: start - _SETTLE]), *chunks[start - _SETTLE :]]
        self._k = 0
        self._start = 1 + _SETTLE
        self._on_start = on_start
        self.stamps: list[int] = []
        self.stop_ns = 0

    def __next__(self) -> str:
        now = time.perf_counter_ns()
        k = self._k
        if k == self._start:
            self._on_start()
            now = time.perf_counter_ns()
        if k >= len(self._items):
            self.stop_ns = self.stop_ns or now
            raise StopIteration
        if k >= self._start:
            self.stamps.append(now)
        self._k = k + 1
        return self._items[k]

    def latencies(self) -> list[int]:
        ends = [*self.stamps[1:], self.stop_ns]
        return [end - start for start, end in zip(self.stamps, ends, strict=True)]


def profile_tail(system: System, workload: Workload, tail: int) -> TailProfile:
    """Time the last ``tail`` chunks with the collector on and off; profile them."""
    import cProfile
    import pstats

    timings: dict[bool, list[int]] = {}
    for collect in (True, False):
        gc.collect()
        window = _Window(workload, tail, gc.enable if collect else gc.disable)
        try:
            system.run(workload, window, lambda value: None)
        finally:
            gc.enable()
        timings[collect] = window.latencies()
    profiler = cProfile.Profile()

    def start() -> None:
        gc.collect()
        gc.disable()
        profiler.enable()

    window = _Window(workload, tail, start)
    try:
        system.run(workload, window, lambda value: None)
    finally:
        profiler.disable()
        gc.enable()
    return TailProfile(
        chunks=tail,
        p50_gc_us=percentile(timings[True], 50) / 1e3,
        mean_gc_us=statistics.fmean(timings[True]) / 1e3,
        p50_nogc_us=percentile(timings[False], 50) / 1e3,
        mean_nogc_us=statistics.fmean(timings[False]) / 1e3,
        stats=pstats.Stats(profiler),
    )
