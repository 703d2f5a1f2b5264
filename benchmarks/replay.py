"""Replay benchmark (issue 7): one year of national traffic through billing.

About 300 000 stays and 1.2 million events (benchmarks/year.py: admissions, readiness notices,
answers, withdrawals, discharges, cooperation meetings, housing assignments, changes and
cancellations, all in 2024) are replayed through billing's real code path: the envelopes, as
Kafka records, go to the service's own idempotent consumer (`IdempotentConsumer.handle_records`,
what the consumer loop calls with each poll's records), which applies them with billing's handler
against a real, migrated database (SQLite by default, PostgreSQL with `--db postgres`).

The broker is not the subject: a feeder process generates the year and hands the records over,
`--batch` records per poll (by default what the consumer asks for while it is behind,
`HUB_KAFKA_CONSUMER_CATCH_UP_RECORDS`: a replay is a catch-up), split by partition as a poll
returns them. Only the time spent in billing counts: wall-clock and CPU seconds of this
process (the feeder's work is its own). Billing's clock is fixed (`--as-of`) so that every run
computes the same days.

The result is checked: for a sample of stays, billing's stored projection and its API read model
must give the days and amount of `assess` applied directly to the stay's facts, built from the
generator's plan rather than from the events.

    .venv/bin/python benchmarks/replay.py                       # the year on SQLite
    .venv/bin/python benchmarks/replay.py --db postgres
    .venv/bin/python benchmarks/replay.py --events 40000        # a slice at the year's density
    .venv/bin/python benchmarks/replay.py --one-by-one --events 20000   # one event per transaction

Prints a table and writes benchmarks/results/replay.json (replay-postgres.json for PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import uuid
import zlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka.structs import ConsumerRecord
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from year import StayPlan, Year, facts_of

from billing.adapters import orm
from billing.domain import assess, choose_profile
from billing.entrypoints.api import MIGRATIONS, build_runtime
from billing.settings import Settings
from hub_shared.collector import spare_collector
from hub_shared.db import make_engine
from hub_shared.db.migrations import upgrade
from hub_shared.settings import KafkaSettings

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 60
console = Console()


# --- the feeder: the year, generated in a process of its own ----------------------------------


def _feed(queue: mp.Queue, stays: int, seed: int, events: int | None, chunk: int, sample: int):
    year = Year(stays, seed=seed, sample_every=sample)
    stream = year.stream()
    if events:
        stream = itertools.islice(stream, events)
    started = time.process_time()
    while True:
        batch = list(itertools.islice(stream, chunk))
        if not batch:
            break
        queue.put(batch)
    queue.put(
        {
            "events": year.events,
            "by_type": year.by_type,
            "sampled": year.complete_samples(),
            "cpu_seconds": time.process_time() - started,
        }
    )


# --- the replay -------------------------------------------------------------------------------


POSTGRES_ADMIN = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


async def _postgres(statement: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def replay(args: argparse.Namespace) -> dict[str, Any]:
    """The replay in a fresh database, removed afterwards."""
    state = Path(tempfile.mkdtemp(prefix="hub-replay-"))
    name = f"hubreplay_{uuid.uuid4().hex[:8]}"
    if args.db == "postgres":
        await _postgres(f'CREATE DATABASE "{name}"')
        url = f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite+aiosqlite:///{state / 'billing.db'}"
    try:
        return await _replay(args, url, state)
    finally:
        shutil.rmtree(state, ignore_errors=True)
        if args.db == "postgres":
            await _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _replay(args: argparse.Namespace, url: str, state: Path) -> dict[str, Any]:
    as_of = datetime.fromisoformat(args.as_of)
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    settings = Settings(
        database_url=url,
        trace_dir=None,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),  # no broker: records are handed in
    )
    runtime, billing = build_runtime(settings, clock=lambda: as_of)
    spare_collector(settings.gc_young_threshold)  # as the service's process does (run_cli)
    consumer = runtime.consumers[0]
    recomputed = _count_recomputations(billing)

    context = mp.get_context("fork")
    queue: mp.Queue = context.Queue(maxsize=8)
    feeder = context.Process(
        target=_feed,
        args=(queue, args.stays, args.seed, args.events, args.batch, args.sample_every),
        daemon=True,
    )
    feeder.start()
    offsets = [0] * args.partitions
    wall = cpu = 0.0
    handled = 0
    started = time.perf_counter()
    summary: dict[str, Any] = {}
    while True:
        item = await asyncio.to_thread(queue.get)
        if isinstance(item, dict):
            summary = item
            break
        polls = _poll(item, offsets, args.partitions)
        t0, c0 = time.perf_counter(), time.process_time()
        for records in polls:
            if args.one_by_one:
                for record in records:
                    await consumer.handle_record(record)
            else:
                await consumer.handle_records(records)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        handled += len(item)
        if args.progress and handled // 100_000 != (handled - len(item)) // 100_000:
            console.print(f"  {handled:>9,} events: {handled / wall:,.0f}/s in billing")
    elapsed = time.perf_counter() - started
    feeder.join()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    check = await _check(runtime, billing, summary["sampled"], as_of)
    counts = await _counts(runtime)
    db_mb = await _size_mb(runtime, state)
    await runtime.stop()
    return {
        "events": handled,
        "stays_planned": args.stays,
        "stays_in_database": counts["stays"],
        "facts": counts["facts"],
        "clock_events_published": counts["outbox"],
        "by_type": summary["by_type"],
        "dead_lettered": consumer.dead_lettered,
        "batch": "one event per transaction" if args.one_by_one else args.batch,
        "partitions": args.partitions,
        "recomputations": recomputed["stays"],
        "recomputations_per_event": round(recomputed["stays"] / max(handled, 1), 3),
        "billing_wall_seconds": round(wall, 2),
        "billing_cpu_seconds": round(cpu, 2),
        "events_per_second": round(handled / wall, 1),
        "events_per_cpu_second": round(handled / cpu, 1),
        "cpu_us_per_event": round(1e6 * cpu / max(handled, 1), 1),
        "elapsed_seconds": round(elapsed, 2),
        "feeder_cpu_seconds": round(summary["cpu_seconds"], 2),
        "peak_rss_mb": round(peak_mb, 1),
        "database_mb": round(db_mb, 1),
        "check": check,
    }


def _poll(
    batch: list[tuple[str, bytes, bytes]], offsets: list[int], partitions: int
) -> list[list[ConsumerRecord]]:
    """One poll's records, by partition as the consumer receives them (keyed by stay)."""
    by_partition: dict[int, list[ConsumerRecord]] = {}
    for topic, key, value in batch:
        partition = zlib.crc32(key) % partitions
        offset = offsets[partition]
        offsets[partition] += 1
        record = ConsumerRecord(
            topic, partition, offset, 0, 0, key, value, None, len(key), len(value), []
        )
        by_partition.setdefault(partition, []).append(record)
    return list(by_partition.values())


def _count_recomputations(billing: Any) -> dict[str, int]:
    counted = {"stays": 0}
    if not hasattr(billing, "recompute_many"):  # billing before batches: one stay at a time
        recompute = billing.recompute

        async def counting_one(uow: Any, stay_id: str) -> Any:
            counted["stays"] += 1
            return await recompute(uow, stay_id)

        billing.recompute = counting_one
        return counted
    recompute_many = billing.recompute_many

    async def counting(uow: Any, stay_ids: Any, **kwargs: Any) -> Any:
        counted["stays"] += len(stay_ids)
        return await recompute_many(uow, stay_ids, **kwargs)

    billing.recompute_many = counting
    return counted


def _files_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir()) / 2**20


async def _size_mb(runtime: Any, state: Path) -> float:
    if runtime.engine.dialect.name == "sqlite":
        return await asyncio.to_thread(_files_mb, state)
    async with runtime.engine.connect() as conn:
        size = await conn.execute(sa.text("SELECT pg_database_size(current_database())"))
        return size.scalar() / 2**20


async def _counts(runtime: Any) -> dict[str, int]:
    async with runtime.engine.connect() as conn:
        found = {}
        for name, table in (("facts", orm.facts), ("stays", orm.stays), ("outbox", orm.outbox)):
            found[name] = (
                await conn.execute(sa.select(sa.func.count()).select_from(table))
            ).scalar()
    return found


async def _check(runtime: Any, billing: Any, plans: list[StayPlan], as_of: datetime) -> dict:
    """Billing's stored projection and its read model against `assess` of the planned facts."""
    rates, agreements = billing.config.rates, billing.config.agreements
    mismatches = []
    payable = 0
    engine = make_engine(runtime.settings.resolved_database_url())
    try:
        async with engine.connect() as conn:
            for plan in plans:
                stay = facts_of(plan)
                direct = assess(stay, rates, choose_profile(stay, agreements), as_of=as_of)
                row = (
                    await conn.execute(
                        sa.select(orm.stays).where(orm.stays.c.stay_id == plan.stay_id)
                    )
                ).first()
                report = await billing.stay_report(conn, plan.stay_id)
                stored = (row.total_days, Decimal(row.total_amount)) if row else None
                read = (
                    (report.assessment.total_days, report.assessment.total_amount)
                    if report
                    else None
                )
                expected = (direct.total_days, direct.total_amount)
                payable += direct.payable
                if stored != expected or read != expected:
                    mismatches.append(
                        {
                            "stay": plan.stay_id,
                            "direct": [expected[0], str(expected[1])],
                            "stored": [stored[0], str(stored[1])] if stored else None,
                            "read": [read[0], str(read[1])] if read else None,
                        }
                    )
    finally:
        await engine.dispose()
    return {
        "stays_checked": len(plans),
        "payable_stays_checked": payable,
        "mismatches": len(mismatches),
        "examples": mismatches[:5],
        "checked_with": "assess() of the facts built from the generator's plan, against the "
        "stored projection (stays) and Billing.stay_report (the API's read)",
    }


# --- report -----------------------------------------------------------------------------------


def _table(result: dict[str, Any], db: str) -> Table:
    table = Table(title=f"billing replay of a year ({db})", show_header=True)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("events", f"{result['events']:,}"),
        ("stays", f"{result['stays_in_database']:,}"),
        ("records per poll / partitions", f"{result['batch']} / {result['partitions']}"),
        ("stay recomputations per event", f"{result['recomputations_per_event']}"),
        ("clock events published", f"{result['clock_events_published']:,}"),
        ("billing wall time", f"{result['billing_wall_seconds']:,.1f} s"),
        ("billing CPU time", f"{result['billing_cpu_seconds']:,.1f} s"),
        ("events/s (wall)", f"{result['events_per_second']:,.0f}"),
        ("events per CPU second", f"{result['events_per_cpu_second']:,.0f}"),
        ("CPU per event", f"{result['cpu_us_per_event']} µs"),
        ("elapsed (with the feeder)", f"{result['elapsed_seconds']:,.1f} s"),
        ("peak memory (RSS)", f"{result['peak_rss_mb']:,.0f} MB"),
        ("database size", f"{result['database_mb']:,.0f} MB"),
        ("dead-lettered", str(result["dead_lettered"])),
        (
            "check: stays equal to assess()",
            f"{result['check']['stays_checked'] - result['check']['mismatches']:,} of "
            f"{result['check']['stays_checked']:,}",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--stays", type=int, default=300_000, help="stays in the year")
    parser.add_argument("--events", type=int, default=None, help="replay only the first N")
    parser.add_argument(
        "--batch",
        type=int,
        default=KafkaSettings().consumer_catch_up_records,
        help="records per poll (default: what the consumer asks for while it is behind, "
        "HUB_KAFKA_CONSUMER_CATCH_UP_RECORDS: a replay is a catch-up)",
    )
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--one-by-one", action="store_true", help="one event per transaction")
    parser.add_argument("--sample-every", type=int, default=150, help="check every n-th stay")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--as-of", default="2025-01-31T12:00:00+00:00", help="billing's clock")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="result file")
    args = parser.parse_args()

    console.print(
        f"replaying {args.events or 'all'} events of {args.stays:,} stays through billing "
        f"({args.db}, {args.batch} records per poll)..."
    )
    result = asyncio.run(replay(args))
    report = {
        "benchmark": "replay",
        "database": args.db,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "target": {"seconds": TARGET_SECONDS, "events": 1_200_000},
        "met": result["billing_wall_seconds"] <= TARGET_SECONDS and result["events"] >= 1_000_000,
        "as_of": args.as_of,
        **result,
    }
    console.print(_table(result, args.db))
    check = result["check"]
    if check["mismatches"]:
        console.print(
            f"[red]{check['mismatches']} stays differ from assess():[/] {check['examples']}"
        )
    verdict = "[green]met[/]" if report["met"] else "[red]missed[/]"
    console.print(
        f"target: the year in under {TARGET_SECONDS} s of billing time: {verdict} "
        f"({result['billing_wall_seconds']:,.1f} s wall, {result['billing_cpu_seconds']:,.1f} s CPU)"
    )
    RESULTS.mkdir(exist_ok=True)
    out = args.out or RESULTS / ("replay.json" if args.db == "sqlite" else "replay-postgres.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {out}")
    if check["mismatches"] or result["dead_lettered"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
