"""``python -m benchmarks [--quick]``: run everything, write RESULTS.md and the plot."""

from __future__ import annotations

import argparse
import gc
import io
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata

from . import report
from .harness import (
    extrapolate,
    item_lag,
    measure_limit,
    measure_memory,
    percentile,
    profile_tail,
    run_stream,
)
from .systems import ITEM_SYSTEMS, LIMITS, SYSTEMS, System
from .workloads import Workload, fixture_cases, fixture_workload, synthetic_workload

Spec = tuple[str, str, str]  # shape, size, chunking


@dataclass(kw_only=True)
class Plan:
    quick: bool
    cap_s: float  # per system and workload
    rx_cap_s: float  # rxstruct pipelines get longer before they are extrapolated
    probe_chunks: int
    probe_fractions: tuple[float, ...]
    reps: dict[str, int]
    sweep: list[Spec]
    extra: list[Spec]
    fixtures: list[str]
    fixture_reps: int
    memory: list[Spec]
    memory_tail: int
    memory_streamed: dict[str, tuple[str, ...]]  # shape -> rxstruct systems
    memory_peers: tuple[str, ...]  # empty: all
    lags: list[Spec]
    profile: Spec
    profile_tail: int
    limit_reps: int = 5


def make_plan(quick: bool, cap: float | None) -> Plan:
    sizes = ["1KB", "10KB", "100KB", "1MB"]
    sweep: list[Spec] = [("recipes", size, "4ch") for size in sizes]
    if quick:
        return Plan(
            quick=True,
            cap_s=cap or 0.5,
            rx_cap_s=cap or 0.5,
            probe_chunks=12,
            probe_fractions=(1.0,),
            reps={"1KB": 3, "10KB": 2, "100KB": 1, "1MB": 1},
            sweep=sweep,
            extra=[
                ("recipes", "10KB", "llm"),
                ("document", "100KB", "4ch"),
                ("nested", "10KB", "4ch"),
            ],
            fixtures=["recipes", "numbers", "longtext"],
            fixture_reps=1,
            memory=[("recipes", "100KB", "4ch")],
            memory_tail=16,
            memory_streamed={"recipes": ("rxstruct feed+value", "rxstruct to_partial")},
            memory_peers=(
                "instructor Partial",
                "pydantic-ai stream_output",
                "pydantic partial (optional mirror)",
                "jiter trailing-strings",
            ),
            lags=[("recipes", "10KB", "4ch"), ("recipes", "10KB", "llm")],
            profile=("recipes", "100KB", "4ch"),
            profile_tail=2_000,
        )
    return Plan(
        quick=False,
        cap_s=cap or 10.0,
        rx_cap_s=max(cap or 0, 30.0),
        probe_chunks=16,
        probe_fractions=(0.25, 0.5, 0.75, 1.0),
        reps={"1KB": 7, "10KB": 5, "100KB": 3, "1MB": 2},
        sweep=sweep,
        extra=[
            ("recipes", "10KB", "1ch"),
            ("recipes", "10KB", "16ch"),
            ("recipes", "10KB", "llm"),
            ("recipes", "100KB", "llm"),
            ("document", "10KB", "4ch"),
            ("document", "100KB", "4ch"),
            ("document", "1MB", "4ch"),
            ("nested", "10KB", "4ch"),
            ("nested", "100KB", "4ch"),
        ],
        fixtures=fixture_cases(),
        fixture_reps=5,
        memory=[
            ("recipes", "1MB", "4ch"),
            ("document", "1MB", "4ch"),
            ("nested", "1MB", "4ch"),
        ],
        memory_tail=64,
        memory_streamed={
            "recipes": ("rxstruct feed+value", "rxstruct to_partial"),
            "nested": ("rxstruct feed+value", "rxstruct to_partial"),
            # reading the value is O(n) per chunk here: a streamed run would
            # take many minutes under tracemalloc
            "document": ("rxstruct feed (no value)", "rxstruct debounce→to_partial"),
        },
        memory_peers=(),
        lags=[
            ("recipes", "10KB", "4ch"),
            ("recipes", "10KB", "llm"),
            ("recipes", "10KB", "16ch"),
            ("recipes", "100KB", "4ch"),
        ],
        profile=("recipes", "1MB", "4ch"),
        profile_tail=5_000,
    )


# --- environment ------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, str]:
    load = os.getloadavg()
    return {
        "CPU": f"{_cpu_model()}, {os.cpu_count()} logical cores (shared)",
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "load average at start": " ".join(f"{x:.2f}" for x in load),
    }


def versions() -> dict[str, str]:
    names = [
        "rxstruct",
        "reactivex",
        "pydantic",
        "pydantic-core",
        "jiter",
        "instructor",
        "pydantic-ai-slim",
        "langchain-core",
        "partial-json-parser",
        "openai",
        "matplotlib",
    ]
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["rxstruct"] += _git_state()
    return found


def _git_state() -> str:
    """`` (git <commit>[, uncommitted changes])`` of the rxstruct under test."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "rxstruct"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" (git {commit}{', uncommitted changes' if dirty else ''})"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- running ------------------------------------------------------------------------


def _base_row(workload: Workload, system: System) -> report.Row:
    return report.Row(
        workload=workload.name,
        shape=workload.shape,
        size=workload.size,
        chunking=workload.chunking,
        chars=workload.chars,
        chunks=len(workload.chunks),
        system=system.name,
        family=system.family,
        output=system.output,
    )


def bench_workload(
    workload: Workload, systems: list[System], plan: Plan, reps: int
) -> list[report.Row]:
    """All systems on one workload, repetitions interleaved across systems."""
    rows = {s.name: _base_row(workload, s) for s in systems}
    runnable: list[System] = []
    for system in systems:
        reason = system.unavailable(workload)
        if reason:
            rows[system.name].status, rows[system.name].note = "skipped", reason
        else:
            runnable.append(system)
    runs: dict[str, list] = {s.name: [] for s in runnable}
    capped: set[str] = set()
    for rep in range(reps):
        shift = rep % max(1, len(runnable))
        for system in runnable[shift:] + runnable[:shift]:
            if system.name in capped or rows[system.name].status == "error":
                continue
            cap = plan.rx_cap_s if system.family == "rxstruct" else plan.cap_s
            run = run_stream(system, workload, cap)
            if run.error:
                rows[system.name].status, rows[system.name].note = "error", run.error
                continue
            runs[system.name].append(run)
            if run.capped:
                capped.add(system.name)
    for system in runnable:
        row = rows[system.name]
        done = runs[system.name]
        if row.status == "error" or not done:
            continue
        if system.name in capped:
            run = done[-1]
            cap = plan.rx_cap_s if system.family == "rxstruct" else plan.cap_s
            # rxstruct's state depends on the chunking: no probes (see extrapolate)
            ours = system.family == "rxstruct"
            fractions = () if ours else plan.probe_fractions
            estimate = extrapolate(
                system, workload, run, plan.probe_chunks, fractions, cap
            )
            row.status = "extrapolated"
            row.total_s = estimate.total_s
            row.p50_us = estimate.p50_ns / 1e3
            row.p99_us = estimate.p99_ns / 1e3
            row.reps = len(done)
            row.measured_chunks = estimate.measured_chunks
            row.fit = (estimate.fit.a, estimate.fit.b)
            share = estimate.measured_chunks / len(workload.chunks)
            row.note = (
                f"capped at {run.wall_s:.1f} s after {share:.1%} of chunks; fit "
                f"{report.fmt(estimate.fit.a / 1e3)} µs + "
                f"{report.fmt(estimate.fit.b)} ns/char "
                + (
                    "(measured chunks only)"
                    if ours
                    else f"({len(estimate.probe_points)} probes)"
                )
            )
            continue
        row.total_s = statistics.median(r.cpu_s for r in done)
        row.p50_us = (
            statistics.median(percentile(r.latencies_ns, 50) for r in done) / 1e3
        )
        row.p99_us = (
            statistics.median(percentile(r.latencies_ns, 99) for r in done) / 1e3
        )
        row.reps = len(done)
        if len(done) > 1:
            row.note = f"median of {len(done)}"
        if system.output == "items" or "debounce" in system.name:
            row.note = (row.note + f", {done[-1].delivered} values delivered").lstrip(
                ", "
            )
    return [rows[s.name] for s in systems]


def warm_up(systems: list[System]) -> None:
    """Import and exercise every system once, so no rep pays for first use."""
    tiny = fixture_workload("recipes")
    for system in systems:
        if system.unavailable(tiny) is None:
            run_stream(system, tiny, 5.0)
    for item_system in ITEM_SYSTEMS:
        if item_system.unavailable(tiny) is None:
            item_lag(item_system, tiny)


def profile_rxstruct(spec: Spec, tail: int) -> tuple[str, str]:
    """cProfile of the main rxstruct pipeline over the last chunks of a document."""
    workload = synthetic_workload(*spec)
    by_name = {s.name: s for s in SYSTEMS}
    chosen = next(
        by_name[name]
        for name in ("rxstruct to_partial", "rxstruct accumulate_json")
        if by_name[name].unavailable(workload) is None
    )
    result = profile_tail(chosen, workload, tail)
    buffer = io.StringIO()
    result.stats.stream = buffer
    result.stats.sort_stats("tottime").print_stats(16)
    text = buffer.getvalue()
    for prefix in sorted(
        {p for p in sys.path if p and p != "."}, key=len, reverse=True
    ):
        text = text.replace(prefix.rstrip("/") + "/", "")
    text = text.replace(os.getcwd().rstrip("/") + "/", "")
    lines = [line.rstrip() for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    summary = (
        f"the rest of the document fed first as one chunk; p50 "
        f"{result.p50_gc_us:.1f} µs, mean {result.mean_gc_us:.1f} µs per chunk with "
        f"the garbage collector on; p50 {result.p50_nogc_us:.1f} µs, mean "
        f"{result.mean_nogc_us:.1f} µs with it off (the profile below: collector off, "
        "so costs land on the code that does the work, not on whichever allocation "
        "triggered a collection)"
    )
    title = f"{chosen.name}, {workload.name}, cProfile of the last {tail:,} chunks"
    return title, summary + "\n\n" + "\n".join(lines[start:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the < 2 minute subset")
    parser.add_argument(
        "--cap", type=float, default=None, help="time cap per peer and workload, s"
    )
    parser.add_argument(
        "--systems", default="", help="comma-separated substrings of system names"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; keep RESULTS.md"
    )
    args = parser.parse_args(argv)
    plan = make_plan(args.quick, args.cap)
    started = time.perf_counter()

    systems = SYSTEMS
    if args.systems:
        wanted = [w.strip() for w in args.systems.split(",") if w.strip()]
        systems = [s for s in SYSTEMS if any(w in s.name for w in wanted)]

    command = (
        "python -m benchmarks"
        + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    )
    results = report.Results(
        command=command.rstrip(),
        quick=plan.quick,
        machine=machine(),
        versions=versions(),
        settings={
            "time cap per system and workload": (
                f"{plan.cap_s:g} s for peers, {plan.rx_cap_s:g} s for rxstruct"
            ),
            "repetitions (interleaved across systems)": ", ".join(
                f"{k}: {v}" for k, v in plan.reps.items()
            ),
            "debounced pipelines": (
                "50 ms interval on a virtual clock advancing 10 ms per chunk "
                "(100 tokens/s; recordings use their own mean rate)"
            ),
            "garbage collector": "on (collected before each run)",
            "rxstruct pipelines": (
                "fed by an Observable whose subscribe loop calls observer.on_next "
                "per chunk, as rxstruct.sources do (not a Subject)"
            ),
        },
    )
    for key, value in {**results.machine, **results.versions}.items():
        log(f"{key}: {value}")

    log("warming up ...")
    warm_up(systems)
    # Imported modules and warm-up garbage move to the permanent generation:
    # each run's gc.collect() then takes milliseconds, not a third of a second,
    # and collections during a run scan only what the run allocated.
    gc.collect()
    gc.freeze()

    def bench(workload: Workload, reps: int) -> list[report.Row]:
        """Limits and rows of one workload, added to ``results``."""
        log(
            f"\n[{time.perf_counter() - started:.0f} s] {workload.name}: "
            f"{workload.chars:,} chars, {len(workload.chunks):,} chunks"
        )
        results.limits[workload.name] = {
            name: measure_limit(make(workload), plan.limit_reps)
            for name, make in LIMITS.items()
        }
        rows = bench_workload(workload, systems, plan, reps)
        results.rows.extend(rows)
        return rows

    for spec in plan.sweep + plan.extra:
        for row in bench(synthetic_workload(*spec), plan.reps.get(spec[1], 1)):
            log(report.terminal_line(row))
    for case in plan.fixtures:
        bench(fixture_workload(case), plan.fixture_reps)

    log(f"\n[{time.perf_counter() - started:.0f} s] item latency ...")
    lag_workloads = [synthetic_workload(*spec) for spec in plan.lags]
    lag_workloads += [
        fixture_workload(case)
        for case in plan.fixtures
        if fixture_workload(case).item_ends
    ]
    for workload in lag_workloads:
        for item_system in ITEM_SYSTEMS:
            reason = item_system.unavailable(workload)
            if reason:
                results.lags.append(
                    report.LagRow(
                        workload=workload.name,
                        system=item_system.name,
                        items=len(workload.item_ends),
                        median=float("nan"),
                        worst=-1,
                        missing=0,
                        note=reason,
                    )
                )
                continue
            lag = item_lag(item_system, workload)
            seconds = None
            if workload.times and lag.lags:
                seconds = statistics.median(lag.lags) * workload.seconds_per_chunk
            results.lags.append(
                report.LagRow(
                    workload=workload.name,
                    system=item_system.name,
                    items=len(workload.item_ends),
                    median=lag.median,
                    worst=lag.worst,
                    missing=lag.missing,
                    seconds=seconds,
                    note=lag.error or "",
                )
            )
            log(
                f"  {workload.name:28} {item_system.name:42} "
                f"median {lag.median} worst {lag.worst}"
            )

    log(f"\n[{time.perf_counter() - started:.0f} s] memory ...")
    for spec in plan.memory:
        workload = synthetic_workload(*spec)
        streamed = plan.memory_streamed.get(workload.shape, ())
        for system in systems:
            if system.unavailable(workload):
                continue
            if system.family == "rxstruct":
                if system.name not in streamed:
                    continue
                peak, retained = measure_memory(system, workload, streamed=True)
                note = "streamed, every chunk"
            else:
                if plan.memory_peers and system.name not in plan.memory_peers:
                    continue
                peak, retained = measure_memory(
                    system, workload, tail_chunks=plan.memory_tail, cap_s=plan.cap_s
                )
                note = "one-chunk prefix, then the last chunks"
            results.memory.append(
                report.MemoryRow(
                    workload=workload.name,
                    system=system.name,
                    peak_bytes=peak,
                    retained_bytes=retained,
                    note=note,
                )
            )
            log(
                f"  {workload.name:20} {system.name:46} "
                f"peak {peak / 1e6:8.1f} MB retained {retained / 1e6:8.1f} MB"
            )
        for name, make in LIMITS.items():
            peak, retained = measure_memory(None, workload, limit=make(workload))
            results.memory.append(
                report.MemoryRow(
                    workload=workload.name,
                    system=name,
                    peak_bytes=peak,
                    retained_bytes=retained,
                    note="the final text parsed once",
                )
            )

    log(f"\n[{time.perf_counter() - started:.0f} s] profile ...")
    results.profile_title, results.profile = profile_rxstruct(
        plan.profile, plan.profile_tail
    )

    results.elapsed_s = time.perf_counter() - started
    results.machine["load average at end"] = " ".join(
        f"{x:.2f}" for x in os.getloadavg()
    )
    if not args.no_write:
        plot_path = report.plot(results)
        path = report.write_markdown(results, plot_path=plot_path)
        log(f"\nwrote {path}" + (f" and {plot_path}" if plot_path else ""))
    log(f"elapsed {results.elapsed_s:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
