"""Ingest benchmark: one admission-notice process, messages per second and latency percentiles.

Starts the real broker and one admission-notice process (uvicorn, as in production) on SQLite or
PostgreSQL, then drives it over HTTP with valid synthetic LOG_INNLAGT traffic:
- closed loop at rising concurrency: throughput and latency percentiles;
- open loop at a fixed rate (default 500 messages/s): latency percentiles at that load.
Prints the figures and writes benchmarks/results/ingest-<db>.json.

    .venv/bin/python benchmarks/ingest.py --db sqlite
    .venv/bin/python benchmarks/ingest.py --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import uuid
from functools import partial
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loadgen
from traffic import admissions

from hub_shared import broker
from hub_shared.hub import Hub, ServiceSpec
from hub_shared.testing.http import bearer

PATH = "/elin/messages"
RESULTS = Path(__file__).resolve().parent / "results"
console = Console()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def closed_loop(url: str, bodies: list[bytes], concurrency: int) -> dict:
    outcome, elapsed = await loadgen.closed_loop(url, PATH, _headers(), bodies, concurrency)
    return _figures(f"closed c={concurrency}", outcome, elapsed)


async def open_loop(url: str, bodies: list[bytes], rate: float) -> dict:
    outcome, elapsed = await loadgen.open_loop(url, PATH, _headers(), bodies, rate)
    return _figures(f"open {rate:.0f}/s", outcome, elapsed)


def _headers() -> dict[str, str]:
    return {"content-type": "application/xml", **bearer("59")}


def _figures(name: str, outcome: loadgen.Outcome, elapsed: float) -> dict:
    ms = [x * 1000 for x in outcome.latencies]
    return {
        "run": name,
        "messages": len(ms),
        "seconds": round(elapsed, 3),
        "messages_per_second": round(len(ms) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "statuses": outcome.statuses,
    }


async def _postgres_url() -> str:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = os.environ.get(
        "HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    name = f"hubbench_{uuid.uuid4().hex[:8]}"
    engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return f"{admin.rsplit('/', 1)[0]}/{name}"


def _with_cpu(process: psutil.Process, run, database: str = "sqlite") -> dict:  # type: ignore[no-untyped-def]
    """Run one load and add the server's own CPU time per message: a figure that holds even on a
    machine shared with other work, where wall-clock rates do not. On PostgreSQL, also the CPU
    its server processes spent: they share the machine's two cores with the service."""
    before = sum(process.cpu_times()[:2])
    database_before = _postgres_cpu() if database == "postgres" else {}
    figures = asyncio.run(run())
    used = sum(process.cpu_times()[:2]) - before
    figures["server_cpu_ms_per_message"] = round(1000 * used / figures["messages"], 3)
    figures["cpu_bound_messages_per_second"] = (
        round(figures["messages"] / used, 1) if used else None
    )
    if database == "postgres":
        after = _postgres_cpu()
        spent = sum(cpu - database_before.get(pid, 0.0) for pid, cpu in after.items())
        figures["postgres_cpu_ms_per_message"] = round(1000 * spent / figures["messages"], 3)
    return figures


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL server process on this machine (by pid)."""
    found = {}
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] == "postgres":
            with contextlib.suppress(psutil.Error):
                found[proc.pid] = sum(proc.cpu_times()[:2])
    return found


def ceiling(bodies: list[bytes], concurrency: int) -> dict:
    """The same load on an empty endpoint of the same stack (benchmarks/ceiling_app.py)."""
    port = broker.free_port()
    command = [sys.executable, "-m", "uvicorn", "ceiling_app:app", "--port", str(port)]
    command += ["--log-level", "warning", "--loop", "uvloop", "--http", "httptools"]
    server = subprocess.Popen(command, cwd=Path(__file__).resolve().parent)  # noqa: S603
    try:
        url = f"http://127.0.0.1:{port}"
        broker.wait_for_port(port, timeout=20)
        figures = _with_cpu(
            psutil.Process(server.pid), lambda: closed_loop(url, bodies, concurrency)
        )
        figures["run"] = f"ceiling: empty endpoint, c={concurrency}"
        return figures
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=3000, help="per closed-loop run")
    parser.add_argument("--concurrency", default="1,8,32,64,128")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    args = parser.parse_args()

    levels = [int(c) for c in args.concurrency.split(",")]
    total = args.messages * len(levels) + int(args.rate * args.rate_seconds) + 200
    console.print(f"generating {total} valid LOG_INNLAGT messages...")
    bodies = list(admissions(total, seed=7))

    state = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    spec = ServiceSpec("admission-notice", "admission_notice.entrypoints.cli", broker.free_port())
    extra = {"HUB_LOG_LEVEL": "WARNING", "HUB_TRACE_DIR": ""}
    if args.db == "postgres":
        extra["HUB_DATABASE_URL"] = asyncio.run(_postgres_url())
    hub = Hub(state_dir=state, broker_port=broker.free_port(), services=(spec,), extra_env=extra)
    hub.start()
    process = psutil.Process(hub.procs[spec.name].pid)
    results = []
    try:
        cursor = 0
        warmup = bodies[cursor : cursor + 200]
        cursor += 200
        asyncio.run(closed_loop(spec.url, warmup, 8))
        for level in levels:
            chunk = bodies[cursor : cursor + args.messages]
            cursor += args.messages
            load = partial(closed_loop, spec.url, chunk, level)
            results.append(_with_cpu(process, load, args.db))
        chunk = bodies[cursor : cursor + int(args.rate * args.rate_seconds)]
        load = partial(open_loop, spec.url, chunk, args.rate)
        results.append(_with_cpu(process, load, args.db))
        rss_mb = process.memory_info().rss / 2**20
    finally:
        hub.stop()
    results.append(ceiling(bodies[: args.messages], max(levels)))
    report = {
        "benchmark": "ingest",
        "database": args.db,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "server_rss_mb": round(rss_mb, 1),
        "runs": results,
        "targets": {"messages_per_second": 1500, "p99_ms_at_500_per_second": 25},
    }
    table = Table(title=f"admission-notice ingest ({args.db}), one process", show_lines=False)
    columns = ["run", "messages_per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms"]
    columns += ["server_cpu_ms_per_message", "statuses"]
    if args.db == "postgres":
        columns.insert(-1, "postgres_cpu_ms_per_message")
    for column in columns:
        table.add_column(column.replace("_per_", "/").replace("messages", "msg"))
    for r in results:
        table.add_row(*(str(r.get(c, "")) for c in columns))
    console.print(table)
    console.print(f"server resident memory after the runs: {rss_mb:.0f} MB")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ingest-{args.db}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
