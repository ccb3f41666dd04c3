"""Results: tables for the terminal and ``RESULTS.md``, and the log-log plot."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LagRow", "MemoryRow", "Results", "Row", "plot", "write_markdown"]

HERE = Path(__file__).resolve().parent
PLOT = HERE / "per_chunk_latency.png"
RESULTS = HERE / "RESULTS.md"

SNAPSHOT_STRATEGY = (
    "**Lazy snapshots.** `PartialJsonDecoder.feed` does O(chunk + depth) work and "
    "returns a `JsonSnapshot` that records only the open path: for each open "
    "container its append-only list of closed children and how many there were. "
    "`snapshot.value` is built on first access by copying the open containers "
    "along that path (a slice of each one's closed children), while every closed "
    "sub-value is shared by reference with the snapshots before and after it. A "
    "pipeline that drops snapshots before reading them (after `debounce`, or "
    "`new_list_items`, which reads only `snapshot.completed`) never pays for the copy."
    "\n\n"
    "**`to_partial` rebuilds only the open path.** It reads the snapshot's open "
    "containers, never `snapshot.value`. A closed sub-object is converted once and "
    "the same partial instance is reused by every later emission. A container whose "
    "snapshot entry is unchanged (the decoder hands out the same object) only "
    "updates its open child, and when just the open string grew the builder walks "
    "the cached chain of open nodes and rebuilds innermost first. Emissions are "
    "never mutated: each holds a new instance per open model level and a `list` of "
    "its own per open list. That list is the one piece whose size grows with the "
    "document (a 4,400-recipe list at 1 MB): copying it per emission costs about "
    "3 ns per element. So an emitted list is recycled once nothing else references "
    "it (CPython's reference count): the list of the emission before the one a UI "
    "holds is brought up to date in place, the elements closed since and the open "
    "one, O(1) per chunk; a list anyone still holds (a `to_list()`, a `debounce` "
    "waiting) is never touched and a copy is made instead. The benchmark's sink "
    "keeps the latest value, as a UI does. `snapshot.value` (the raw JSON value) still "
    "copies the open containers on each read."
)


@dataclass(kw_only=True)
class Row:
    """One system on one workload (medians over repetitions)."""

    workload: str
    shape: str
    size: str
    chunking: str
    chars: int
    chunks: int
    system: str
    family: str
    output: str
    status: str = "ok"  # ok | extrapolated | skipped | error
    note: str = ""
    total_s: float = math.nan
    p50_us: float = math.nan
    p99_us: float = math.nan
    reps: int = 0
    measured_chunks: int = 0
    fit: tuple[float, float] | None = None  # ns = a + b * buffer length

    @property
    def chunks_per_s(self) -> float:
        return (
            self.chunks / self.total_s
            if self.total_s and self.total_s > 0
            else math.nan
        )

    @property
    def has_numbers(self) -> bool:
        return self.status in ("ok", "extrapolated")


@dataclass(kw_only=True)
class LagRow:
    workload: str
    system: str
    items: int
    median: float
    worst: int
    missing: int
    seconds: float | None = None  # median lag in recorded stream time
    note: str = ""


@dataclass(kw_only=True)
class MemoryRow:
    workload: str
    system: str
    peak_bytes: int
    retained_bytes: int
    note: str = ""


@dataclass(kw_only=True)
class Results:
    command: str
    quick: bool
    machine: dict[str, str]
    versions: dict[str, str]
    settings: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    limits: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    lags: list[LagRow] = field(default_factory=list)
    memory: list[MemoryRow] = field(default_factory=list)
    profile: str = ""
    profile_title: str = ""
    elapsed_s: float = 0.0

    def workloads(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.setdefault(row.workload, None)
        return list(seen)

    def row(self, workload: str, system: str) -> Row | None:
        for row in self.rows:
            if row.workload == workload and row.system == system and row.has_numbers:
                return row
        return None

    def reference(self, workload: str) -> Row | None:
        """The rxstruct row other systems are compared with."""
        for name in ("rxstruct to_partial", "rxstruct accumulate_json"):
            found = self.row(workload, name)
            if found is not None:
                return found
        return None

    def limit(self, workload: str) -> float:
        """CPU seconds of one Model.model_validate_json of the final text."""
        for name, (_wall, cpu) in self.limits.get(workload, {}).items():
            if "model_validate_json" in name:
                return cpu
        return math.nan


# --- formatting ------------------------------------------------------------------


def fmt(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, thousands separated."""
    return _num(value, digits)


def _num(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= digits - 1:
        return f"{value:,.0f}"
    return f"{value:.{max(0, digits - 1 - magnitude)}f}"


def _ratio(value: float) -> str:
    if math.isnan(value):
        return "–"
    if value >= 100:
        return f"{value:,.0f}×"
    if value >= 10:
        return f"{value:.0f}×"
    return f"{value:.2g}×" if value < 1 else f"{value:.1f}×"


def _bytes(value: int) -> str:
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.3g} {unit}" if unit != "B" else f"{value} B"
        size /= 1000
    return f"{value} B"


def _table(header: list[str], rows: Iterable[list[str]], align: str = "") -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    marks = [("---:" if a == "r" else "---") for a in (align or "l" * len(header))]
    lines.append("| " + " | ".join(marks) + " |")
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def workload_table(results: Results, workload: str) -> list[str]:
    reference = results.reference(workload)
    limit = results.limit(workload)
    ref_name = reference.system.removeprefix("rxstruct ") if reference else "–"
    header = [
        "system",
        "output",
        "total CPU s",
        "p50 µs/chunk",
        "p99 µs/chunk",
        "chunks/s",
        "× limit",
        f"× rxstruct {ref_name}",
        "note",
    ]
    body: list[list[str]] = []
    for row in results.rows:
        if row.workload != workload:
            continue
        if not row.has_numbers:
            status = f"{row.status}: {row.note}"
            body.append([row.system, row.output, "", "", "", "", "", "", status])
            continue
        mark = "~" if row.status == "extrapolated" else ""
        vs_ref = row.total_s / reference.total_s if reference else math.nan
        body.append(
            [
                row.system,
                row.output,
                mark + _num(row.total_s),
                mark + _num(row.p50_us),
                mark + _num(row.p99_us),
                mark + _num(row.chunks_per_s),
                mark + _ratio(row.total_s / limit if limit else math.nan),
                mark + _ratio(vs_ref),
                row.note,
            ]
        )
    for name, (wall, cpu) in results.limits.get(workload, {}).items():
        body.append(
            [
                name,
                "model" if "model_validate" in name else "raw",
                _num(cpu, 3),
                "",
                "",
                "",
                _ratio(cpu / limit if limit else math.nan),
                "",
                f"one call, wall {_num(wall * 1e3)} ms",
            ]
        )
    return _table(header, body, "llrrrrrrl")


def _plot_series(
    results: Results, shape: str, chunking: str
) -> dict[str, list[tuple[int, Row]]]:
    series: dict[str, list[tuple[int, Row]]] = {}
    for row in results.rows:
        if row.shape == shape and row.chunking == chunking and row.has_numbers:
            series.setdefault(row.system, []).append((row.chars, row))
    return series


def plot(
    results: Results, path: Path = PLOT, shape: str = "recipes", chunking: str = "4ch"
) -> Path | None:
    """Log-log per-chunk p50 (and total time) against document size."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    series = _plot_series(results, shape, chunking)
    if not series:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 7.6))
    ours = plt.get_cmap("tab10")
    theirs = plt.get_cmap("Dark2")
    n_ours = n_theirs = 0
    for system, points in sorted(series.items()):
        points.sort(key=lambda p: p[0])
        xs = [x for x, _ in points]
        if system.startswith("rxstruct"):
            color, n_ours = ours(n_ours % 10), n_ours + 1
            style: dict[str, Any] = {"linewidth": 2.4, "linestyle": "-", "marker": "o"}
        else:
            color, n_theirs = theirs(n_theirs % 8), n_theirs + 1
            style = {"linewidth": 1.5, "linestyle": "--", "marker": "s"}
        for axis, value in ((left, "p50_us"), (right, "total_s")):
            axis.plot(
                xs,
                [getattr(r, value) for _, r in points],
                color=color,
                label=system,
                **style,
            )
            hollow = [(x, r) for x, r in points if r.status == "extrapolated"]
            axis.scatter(
                [x for x, _ in hollow],
                [getattr(r, value) for _, r in hollow],
                s=90,
                facecolors="white",
                edgecolors=color,
                zorder=3,
            )
    limits = sorted(
        (row.chars, results.limit(row.workload), row.chunks)
        for row in results.rows
        if row.shape == shape
        and row.chunking == chunking
        and row.system == "rxstruct feed+value"
    )
    if limits:
        xs = [x for x, _, _ in limits]
        label = "limit: model_validate_json(final) once"
        right.plot(xs, [y for _, y, _ in limits], "k:", linewidth=2, label=label)
        left.plot(
            xs,
            [y * 1e6 / n for _, y, n in limits],
            "k:",
            linewidth=2,
            label=label + ", ÷ chunks",
        )
    left.set_title(f"per-chunk latency, p50 ({shape}, {chunking} chunks)")
    left.set_ylabel("µs per chunk (log)")
    right.set_title("total time for the whole stream")
    right.set_ylabel("CPU seconds (log)")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("document size, characters (log)")
        axis.grid(True, which="both", alpha=0.3)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.suptitle(
        "rxstruct vs re-parsing peers — hollow markers: extrapolated past the time cap"
    )
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- targets and prose --------------------------------------------------------------

READING = """\
Every system gets the same final text cut into the same chunks and must hand back a
partial value after every chunk. *p50/p99 µs/chunk*: the time from handing a chunk to
the system until it asks for the next one (decode, build or validate, deliver).
*total CPU s*: `time.process_time` for the whole stream, setup and end included.
*× limit*: total over one `Model.model_validate_json(final_text)` of the same
workload. `~` marks a row stopped at the time cap and extrapolated: its measured
chunks plus probes (a few real chunks timed at buffer lengths up to the full
document, the last one ending at the end of it; peers only: rxstruct's state after a
one-chunk prefix is not the one it reaches chunk by chunk, so its rows are fitted to
their measured chunks alone) fitted to `a + b·buffer_length`; the fit is in the
note. *output* `model`: the workload's pydantic model (or its
all-optional mirror); `raw`: plain JSON values, no model (jiter is the floor of the
re-parse design); `items`: complete list items only. Numbers are medians over the
repetitions."""

LAG_INTRO = """\
rxstruct `new_list_items` emits an item on the chunk holding its closing brace
(lag 0). Instructor `IterableModel` scans for the closing brace too. A re-parsed
pydantic partial list cannot tell whether its last item is complete, so a consumer
treats item i as final when item i+1 appears (or the stream ends); validated as the
model itself, the list only validates once the next item has all its required
fields."""

MEMORY_INTRO = """\
Traced bytes above the start of the run. rxstruct is streamed chunk by chunk (its
state builds up per chunk: the decoder keeps every chunk, and an open string as one
part per chunk). A re-parsing peer's state is its buffer, so it gets the document up
to its last chunks as one chunk, then the last chunks one by one (up to the time
cap). Chunks are new string objects made while tracing: every system is charged for
the text it keeps. *Retained*: still allocated after the run and a collection: the
last value, kept as a UI would (the system's own state is released with the run)."""


def _targets(results: Results) -> list[str]:
    lines: list[str] = []
    names = {size: f"recipes {size} 4ch" for size in ("1KB", "10KB", "100KB", "1MB")}

    def ours(size: str) -> Row | None:
        return results.reference(names[size])

    small, large = ours("1KB"), ours("1MB")
    if small and large:
        ratio = large.p50_us / small.p50_us
        lines.append(
            f"- **p50 flat across sizes** ({large.system}): "
            f"{_num(small.p50_us)} µs at 1 KB, {_num(large.p50_us)} µs at 1 MB: "
            f"{ratio:.2f}× ({'met' if ratio <= 2 else 'missed'}; target ≤ 2×)."
        )
    for size, factor in (("10KB", 1), ("100KB", 10), ("1MB", 100)):
        row = ours(size)
        peers = [
            r
            for r in results.rows
            if r.workload == names[size] and r.family == "peer" and r.has_numbers
        ]
        if not row or not peers:
            continue
        best = min(peers, key=lambda r: r.total_s)
        speedup = best.total_s / row.total_s
        need = "as fast as" if factor == 1 else f"≥ {factor}× faster than"
        approx = "~" if best.status == "extrapolated" else ""
        lines.append(
            f"- **total at {size}**: {row.system} {_num(row.total_s)} s, fastest peer "
            f"{best.system} {approx}{_num(best.total_s)} s: {speedup:.1f}× "
            f"({'met' if speedup >= factor else 'missed'}; target {need} it)."
        )
    for size in names:
        row = ours(size)
        if row:
            verdict = "met" if row.p50_us <= 10 else "missed"
            lines.append(
                f"- **p50 ≤ 10 µs per 4-character chunk** at {size} ({row.system}): "
                f"{_num(row.p50_us)} µs ({verdict})."
            )
    if small and small.system != "rxstruct to_partial":
        lines.append(
            "- `to_partial` is not in rxstruct yet, so these rxstruct figures are "
            "`accumulate_json` (raw values, `.value` read after every chunk), not "
            "partial models."
        )
    return lines


def _snapshot_cost(results: Results) -> list[str]:
    lines: list[str] = []
    for shape in ("recipes", "document"):
        for size in ("1KB", "10KB", "100KB", "1MB"):
            name = f"{shape} {size} 4ch"
            feed = results.row(name, "rxstruct feed (no value)")
            value = results.row(name, "rxstruct feed+value")
            if not (feed and value):
                continue
            approx = "~" if value.status == "extrapolated" else ""
            lines.append(
                f"- {name}: p50 {_num(feed.p50_us)} µs per chunk for `feed` alone, "
                f"{approx}{_num(value.p50_us)} µs with `.value` read (the value "
                f"costs {approx}{_num(value.p50_us - feed.p50_us)} µs); whole stream "
                f"{_num(feed.total_s)} s vs {approx}{_num(value.total_s)} s."
            )
    for mem in results.memory:
        if mem.system.startswith("rxstruct"):
            lines.append(
                f"- memory, {mem.system}, {mem.workload} ({mem.note}): peak "
                f"{_bytes(mem.peak_bytes)}, retained {_bytes(mem.retained_bytes)}."
            )
    return lines


def write_markdown(
    results: Results, path: Path = RESULTS, plot_path: Path | None = PLOT
) -> Path:
    mode = "quick" if results.quick else "full"
    out = [
        "# Benchmarks: rxstruct and the peers",
        "",
        f"Generated by `{results.command}` ({mode} run, "
        f"{results.elapsed_s / 60:.1f} min). Regenerate with `make bench` (full) or "
        "`make bench-quick`. Absolute times drift on a shared machine; read the "
        "ratios within one run.",
        "",
        "## Machine and versions",
        "",
    ]
    out += [f"- {key}: {value}" for key, value in results.machine.items()]
    out += ["- " + ", ".join(f"{k} {v}" for k, v in results.versions.items())]
    out += [f"- {key}: {value}" for key, value in results.settings.items()]
    out += ["", "## Snapshot strategy", "", SNAPSHOT_STRATEGY, ""]
    out += _snapshot_cost(results)
    if plot_path is not None and plot_path.exists():
        out += ["", "## Per-chunk latency against document size", ""]
        out += [f"![per-chunk latency]({plot_path.name})"]
    out += ["", "## Targets", "", *_targets(results)]
    out += ["", "## How to read the tables", "", READING]
    titles = {
        "recipes": "List of models (recipes)",
        "document": "One long string (a document being written)",
        "nested": "Deeply nested object (40 levels)",
    }
    groups: dict[str, list[str]] = {}
    for workload in results.workloads():
        groups.setdefault(workload.split(" ")[0], []).append(workload)
    for shape, workloads in groups.items():
        if shape.startswith("fixture:"):
            continue
        out += ["", f"## {titles.get(shape, shape)}"]
        for workload in workloads:
            first = next(r for r in results.rows if r.workload == workload)
            out += ["", f"### {workload}: {first.chars:,} characters, "]
            out[-1] += f"{first.chunks:,} chunks"
            out += ["", *workload_table(results, workload)]
    fixtures = [w for w in results.workloads() if w.startswith("fixture:")]
    if fixtures:
        out += ["", "## Recorded LLM streams (tests/fixtures, real token chunks)", ""]
        out += _fixture_table(results, fixtures)
    if results.lags:
        out += ["", "## Item latency: chunks from closing an item to delivering it"]
        out += ["", LAG_INTRO, ""]
        header = ["workload", "system", "items", "median lag", "worst", "median s"]
        out += _table(
            [*header, "note"],
            (_lag_cells(lag) for lag in results.lags),
            "llrrrrl",
        )
    if results.memory:
        out += ["", "## Peak memory (tracemalloc)", "", MEMORY_INTRO, ""]
        out += _table(
            ["workload", "system", "peak", "retained", "note"],
            (
                [m.workload, m.system, _bytes(m.peak_bytes)]
                + [_bytes(m.retained_bytes), m.note]
                for m in results.memory
            ),
            "llrrl",
        )
    if results.profile:
        summary, _, table = results.profile.partition("\n\n")
        out += ["", "## Where rxstruct's time goes", "", f"{results.profile_title}: "]
        out[-1] += summary + "."
        out += ["", "```text", table.rstrip(), "```"]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _lag_cells(lag: LagRow) -> list[str]:
    note = lag.note or (f"{lag.missing} never delivered" if lag.missing else "")
    return [
        lag.workload,
        lag.system,
        str(lag.items),
        "–" if math.isnan(lag.median) else f"{lag.median:g}",
        str(lag.worst) if lag.worst >= 0 else "–",
        _num(lag.seconds) if lag.seconds is not None else "",
        note,
    ]


def _fixture_table(results: Results, fixtures: list[str]) -> list[str]:
    systems: dict[str, None] = {}
    for row in results.rows:
        if row.workload in fixtures and row.has_numbers:
            systems.setdefault(row.system, None)
    cases = [f.split(" ")[0].removeprefix("fixture:") for f in fixtures]
    body = []
    for system in systems:
        cells = []
        ratios = []
        for workload in fixtures:
            row = results.row(workload, system)
            reference = results.reference(workload)
            if row is None:
                cells.append("–")
                continue
            cells.append(f"{_num(row.p50_us)} µs / {_num(row.total_s * 1e3)} ms")
            if reference is not None:
                ratios.append(row.total_s / reference.total_s)
        geomean = math.nan
        if ratios:
            geomean = math.exp(statistics.fmean(math.log(r) for r in ratios))
        body.append([system, *cells, _ratio(geomean)])
    intro = "Each cell: p50 per chunk / total CPU for the stream."
    header = ["system", *cases, "geomean × rxstruct"]
    return [intro, "", *_table(header, body, "l" + "r" * (len(header) - 1))]


def terminal_line(row: Row) -> str:
    if not row.has_numbers:
        return f"  {row.system:46} {row.status}: {row.note}"
    mark = "~" if row.status == "extrapolated" else " "
    return (
        f"  {row.system:46}{mark}total {_num(row.total_s):>8} s  "
        f"p50 {_num(row.p50_us):>8} µs  p99 {_num(row.p99_us):>8} µs  {row.note}"
    )
