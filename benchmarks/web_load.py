"""Load test of the example web app: many concurrent SSE streams, one server process.

``python -m benchmarks.web_load [--clients 200] [--delay 0.02]`` (not part of
``make test``; bounded to about a minute). Three processes on 127.0.0.1:

- the model: ``ScriptedLLMServer`` with one distinct answer per client (the
  first idea's title carries the answer's number), a delta every ``--delay``
  seconds; a poller notes when each delta left the server (``deltas_sent``);
- the app: ``examples/web/app.py`` under uvicorn, one process, one worker,
  pointed at the model with ``RXSTRUCT_WEB_BASE_URL``;
- the clients (this process): ``--clients`` httpx streams at once, each
  ``POST /ideas`` with its own topic, applying the JSON-Patch frames.

Checks: every stream ends with ``done``, its final is the answer the model
server gave to that very request (nothing lost, nothing mixed), the patches
rebuild it, and every idea arrived as an ``item``. Reports the streams held at
once, the app's CPU time per stream-second, and the time from a delta leaving
the model server to its frame reaching the client (p50/p99). Also prints the
bytes on the wire of whole snapshots vs patches for the recordings in
``tests/fixtures``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import reactivex

import rxstruct as rs
from rxstruct.json import PartialJsonDecoder
from rxstruct.sources import load_recording
from rxstruct.testing import ScriptedLLMServer, ScriptedReply

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "web"))

from app import CANNED, Idea, Ideas, canned_deltas  # noqa: E402

TIME_LIMIT = 100.0  # seconds for the whole run, whatever happens


def answer(number: int) -> Ideas:
    first = CANNED.ideas[0]
    renamed = Idea(title=f"{first.title} #{number}", blurb=first.blurb)
    return Ideas(ideas=[renamed, *CANNED.ideas[1:]])


def frame_deltas(deltas: list[str]) -> list[int]:
    """For each patch frame the app sends, the index of the delta behind it."""
    decoder = PartialJsonDecoder()
    found: list[int] = []

    snaps = [decoder.feed(d) for d in deltas] + [decoder.close()]
    patches: list[list[Any]] = []
    reactivex.from_iterable(snaps).pipe(rs.to_json_patch()).subscribe(patches.append)
    for index, patch in enumerate(patches):
        if patch:
            found.append(min(index, len(deltas) - 1))
    return found


# --- the model server, in its own process --------------------------------------------


def model_process(clients: int, delay: float, pipe: Connection) -> None:
    replies = [
        ScriptedReply(deltas=canned_deltas(answer(k)), delay=delay)
        for k in range(clients)
    ]
    index = {id(reply): k for k, reply in enumerate(replies)}
    with ScriptedLLMServer(replies) as server:
        pipe.send(server.base_url)
        sent: dict[int, list[float]] = {}
        seen: dict[int, Any] = {}
        while not pipe.poll():
            now = time.monotonic()
            for request in server.requests:
                key = id(request)
                seen[key] = request
                times = sent.setdefault(key, [])
                for _ in range(request.deltas_sent - len(times)):
                    times.append(now)
            time.sleep(0.001)
        pipe.recv()
        report: dict[str, Any] = {"cpu": time.process_time()}
        for key, request in seen.items():
            topic = request.messages[-1]["content"].rsplit(": ", 1)[-1]
            report[topic] = {
                "reply": index[id(request.reply)] if request.reply else None,
                "sent": sent[key],
                "disconnected": request.client_disconnected,
            }
        pipe.send(report)


# --- the app, in its own process -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the clients ---------------------------------------------------------------------


async def one_client(
    client: httpx.AsyncClient, url: str, number: int, start_delay: float
) -> dict[str, Any]:
    await asyncio.sleep(start_delay)
    topic = f"load-{number}"
    result: dict[str, Any] = {"topic": topic, "frames": [], "items": []}
    document: Any = {}
    started = time.monotonic()
    wire = 0
    async with client.stream(
        "POST", f"{url}/ideas", json={"topic": topic, "count": 4}
    ) as response:
        event, data = "message", ""
        async for line in response.aiter_lines():
            wire += len(line) + 1
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and data:
                now = time.monotonic()
                body = json.loads(data)
                if event == "patch":
                    document = rs.apply_patch(document, body)
                    result["frames"].append(now)
                elif event == "item":
                    result["items"].append(body["index"])
                elif event in ("done", "error"):
                    result[event] = body
                event, data = "message", ""
    result.update(document=document, started=started, ended=time.monotonic(), wire=wire)
    return result


async def run_clients(url: str, clients: int) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=clients + 10)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        tasks = [
            one_client(client, url, k, start_delay=0.5 * k / clients)
            for k in range(clients)
        ]
        return await asyncio.wait_for(asyncio.gather(*tasks), TIME_LIMIT)


# --- wire sizes on the recordings ----------------------------------------------------


def wire_sizes() -> list[tuple[str, int, int, int]]:

    rows = []
    for path in sorted((ROOT / "tests" / "fixtures").glob("*-3.jsonl")):
        recording = load_recording(path)
        decoder = PartialJsonDecoder()
        snaps = []
        try:
            for _at, text in recording.events():
                snaps.append(decoder.feed(text))
            snaps.append(decoder.close())
        except rs.RxStructError:
            pass
        whole = sum(
            len(b"data: \n\n") + len(json.dumps(s.value, separators=(",", ":")))
            for s in snaps
            if s.has_value
        )
        patches: list[list[Any]] = []
        reactivex.from_iterable(snaps).pipe(rs.to_json_patch()).subscribe(
            patches.append
        )
        patched = sum(
            len(b"event: patch\ndata: \n\n") + len(json.dumps(p, separators=(",", ":")))
            for p in patches
            if p
        )
        final = len(json.dumps(snaps[-1].value, separators=(",", ":")))
        rows.append((path.name.removesuffix("-3.jsonl"), whole, patched, final))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.02, help="s between deltas")
    args = parser.parse_args()

    here, there = multiprocessing.Pipe()
    model = multiprocessing.Process(
        target=model_process, args=(args.clients, args.delay, there), daemon=True
    )
    model.start()
    base_url = here.recv()
    port = free_port()
    env = {**os.environ, "RXSTRUCT_WEB_BASE_URL": base_url, "PORT": str(port)}
    app = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "web" / "app.py")],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the app did not start")
            time.sleep(0.1)
        cpu_before = cpu_seconds(app.pid)
        clients_cpu = time.process_time()
        load_before = os.getloadavg()[0]
        wall = time.monotonic()
        results = asyncio.run(run_clients(url, args.clients))
        wall = time.monotonic() - wall
        cpu = cpu_seconds(app.pid) - cpu_before
        clients_cpu = time.process_time() - clients_cpu
        load_after = os.getloadavg()[0]
        here.send("stop")
        served = here.recv()
        model_cpu = served.pop("cpu")
    finally:
        app.terminate()
        app.wait(10)
        model.join(10)

    # correctness: every stream complete, its own answer, nothing mixed
    problems = []
    for result in results:
        topic = result["topic"]
        record = served.get(topic)
        if record is None or record["reply"] is None:
            problems.append(
                f"{topic}: the model server never answered it: "
                f"{result.get('error') or result.get('done')}"
            )
            continue
        expected = answer(record["reply"]).model_dump()
        if result.get("done") != expected:
            problems.append(f"{topic}: final {result.get('done') or result}")
        elif result["document"] != expected:
            problems.append(f"{topic}: the patches did not rebuild the final")
        elif result["items"] != [0, 1, 2, 3]:
            problems.append(f"{topic}: items {result['items']}")
    replies = sorted(r["reply"] for r in served.values() if r["reply"] is not None)
    if replies != list(range(args.clients)):
        problems.append("some answers were served twice or not at all")

    # streams held at once
    events = sorted(
        [(r["started"], 1) for r in results] + [(r["ended"], -1) for r in results]
    )
    held = peak = 0
    for _t, step in events:
        held += step
        peak = max(peak, held)
    stream_seconds = sum(r["ended"] - r["started"] for r in results)

    # token -> frame latency
    deltas_of_frames = {}
    latencies = []
    for result in results:
        record = served.get(result["topic"])
        if record is None or record["reply"] is None:
            continue
        number = record["reply"]
        if number not in deltas_of_frames:
            deltas_of_frames[number] = frame_deltas(canned_deltas(answer(number)))
        mapping = deltas_of_frames[number]
        sent = record["sent"]
        for at, delta in zip(result["frames"], mapping, strict=False):
            if delta < len(sent):
                latencies.append(at - sent[delta])
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    deltas = len(canned_deltas(answer(0)))
    print(f"clients: {args.clients}, {deltas} deltas each, one every {args.delay}s")
    print(f"wall time: {wall:.1f} s; streams held at once (peak): {peak}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
        f"{load_after:.1f} after; CPU used: app {cpu:.1f} s, model server "
        f"{model_cpu:.1f} s, clients {clients_cpu:.1f} s"
    )
    print(
        f"complete and correct: {args.clients - len(problems)}/{args.clients}"
        + ("" if not problems else "  PROBLEMS: " + "; ".join(problems[:5]))
    )
    print(
        f"app CPU: {cpu:.2f} s for {stream_seconds:.0f} stream-seconds = "
        f"{1000 * cpu / stream_seconds:.1f} ms CPU per stream-second"
    )
    print(
        f"token -> frame latency over {len(latencies)} frames: "
        f"p50 {pct(0.50):.1f} ms, p90 {pct(0.90):.1f} ms, p99 {pct(0.99):.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms"
    )
    print(
        "bytes received per stream (SSE, patches): "
        f"{statistics.mean(r['wire'] for r in results):.0f}"
    )
    print()
    print("bytes on the wire per recording (SSE frames): whole snapshots vs patches")
    print(
        f"{'recording':<10} {'snapshots':>10} {'patches':>9} {'ratio':>6} {'final':>6}"
    )
    total_whole = total_patched = 0
    for name, whole, patched, final in wire_sizes():
        total_whole += whole
        total_patched += patched
        print(
            f"{name:<10} {whole:>10} {patched:>9} {whole / patched:>5.1f}x {final:>6}"
        )
    print(
        f"{'all':<10} {total_whole:>10} {total_patched:>9} "
        f"{total_whole / total_patched:>5.1f}x"
    )
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
