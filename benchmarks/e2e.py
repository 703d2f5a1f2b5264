"""End-to-end latency: from a hospital's POST of a LOG_UTSKRIVNINGSKLAR (for a stay whose
admission the hub already has) to billing's `PaymentClockStarted` for that stay on billing.v1.

Starts the hub as processes (hub_shared.hub: the broker and the services, SQLite), posts the
admissions first and waits until billing has them, then posts one discharge-ready notice after
the other at a steady rate (an open loop: each at its time, whatever the others do) and watches
discharge.v1 and billing.v1. The path measured:

    POST /elin/messages (discharge-ready: parse, check, store, outbox) -> AppRec
    -> discharge-ready's outbox relay -> discharge.v1
    -> billing's consumer (apply the fact, recompute the stay, outbox) -> billing's relay
    -> billing.v1 PaymentClockStarted

Prints p50/p95/p99 of the whole path and of its stages and writes benchmarks/results/e2e.json.
The watchers read without a consumer group and with a short fetch wait, so that watching adds
little; each stage's figure includes one watcher fetch.

    .venv/bin/python benchmarks/e2e.py                      # 10 notices/s, 300 notices
    .venv/bin/python benchmarks/e2e.py --rate 20 --count 600
    .venv/bin/python benchmarks/e2e.py --env HUB_RELAY_POLL_SECONDS=0.1   # try a setting
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console
from rich.table import Table

from hub_shared import broker
from hub_shared.events import topics
from hub_shared.hub import DEFAULT_SERVICES, TANSU_KAFKA_ENV, Hub, ServiceSpec
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.settings import DEV_STAY_SECRET, KafkaSettings
from hub_shared.testing.http import bearer
from hub_shared.testing.messages import (
    ALVDAL_CASEWORK,
    ST_OLAV,
    event,
    log_innlagt,
    patient,
    plo,
    random_person_number,
)

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_P99_MS = 250
console = Console()


@dataclass
class Stay:
    stay_id: str
    admission: bytes
    notice: bytes
    posted: float | None = None  # POST started (monotonic seconds)
    answered: float | None = None  # AppRec received
    published: float | None = None  # DischargeReadyNotified seen on discharge.v1
    started: float | None = None  # PaymentClockStarted seen on billing.v1
    statuses: list[int] = field(default_factory=list)


def stays(count: int, seed: int) -> list[Stay]:
    """Somatic stays of 2024 (a clock starts without a cooperation meeting), each admitted with
    a timely notice and reported ready a few days later."""
    rng = random.Random(seed)
    found: dict[str, Stay] = {}
    while len(found) < count:
        number = random_person_number(rng)
        person = patient(number)
        admitted = datetime(2024, 1, 1, 8) + timedelta(minutes=rng.randrange(300 * 24 * 60))
        ready = admitted + timedelta(days=rng.randrange(2, 20), hours=2)
        stay = str(derive_stay_id(number, ST_OLAV.her_id, admitted, DEV_STAY_SECRET.encode()))
        found[stay] = Stay(
            stay,
            log_innlagt(
                admitted_at=admitted, gen_date=admitted + timedelta(hours=1), person=person
            ),
            plo(
                "LOG_UTSKRIVNINGSKLAR",
                events=[event(1, admitted), event(3, ready.date())],
                gen_date=ready,
                person=person,
                receiver=ALVDAL_CASEWORK,
            ),
        )
    return list(found.values())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def figures(values_s: list[float]) -> dict:
    ms = [v * 1000 for v in values_s]
    if not ms:
        return {"count": 0}
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }


async def post_all(url: str, bodies: list[bytes], concurrency: int = 8) -> None:
    queue = iter(bodies)
    headers = {"content-type": "application/xml", **bearer("59")}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:

        async def worker() -> None:
            for body in queue:
                response = await http.post("/elin/messages", content=body)
                assert response.status_code == 200, response.text

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def consumed(hub: Hub, service: str) -> int:
    with sqlite3.connect(hub.state_dir / f"{service}.db") as conn:
        return conn.execute("SELECT count(*) FROM processed_events").fetchone()[0]


async def wait_consumed(hub: Hub, service: str, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while consumed(hub, service) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{service} consumed {consumed(hub, service)} of {count}")
        await asyncio.sleep(0.2)


async def watch(
    bootstrap: str,
    topic: str,
    event_type: str,
    by_id: dict[str, Stay],
    attr: str,
    stop: asyncio.Event,
) -> None:
    """Note when each stay's event of `event_type` appears on `topic` (the first copy)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, fetch_max_wait_ms=10, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = range(KafkaSettings().partitions)
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=50)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    envelope = json.loads(record.value)
                    stay = by_id.get(envelope["subject"])
                    if envelope["type"] == event_type and stay and getattr(stay, attr) is None:
                        setattr(stay, attr, now)
    finally:
        await consumer.stop()


async def notices(url: str, chosen: list[Stay], rate: float) -> None:
    headers = {"content-type": "application/xml", **bearer("59")}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as http:

        async def one(stay: Stay) -> None:
            stay.posted = time.monotonic()
            response = await http.post("/elin/messages", content=stay.notice)
            stay.answered = time.monotonic()
            stay.statuses.append(response.status_code)

        tasks = []
        begin = time.monotonic()
        for i, stay in enumerate(chosen):
            delay = begin + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(stay)))
        await asyncio.gather(*tasks)


def cpu_seconds(hub: Hub) -> dict[str, float]:
    """CPU time (user + system) each service process has used so far."""
    return {name: sum(psutil.Process(proc.pid).cpu_times()[:2]) for name, proc in hub.procs.items()}


async def measure(
    hub: Hub, all_stays: list[Stay], warmup: int, rate: float, idle: float, cpu: dict[str, dict]
) -> list[Stay]:
    by_id = {s.stay_id: s for s in all_stays}
    await post_all(hub.spec("admission-notice").url, [s.admission for s in all_stays])
    await wait_consumed(hub, "billing", len(all_stays))
    before = cpu_seconds(hub)
    await asyncio.sleep(idle)  # what the services cost doing nothing (polls, heartbeats)
    after = cpu_seconds(hub)
    cpu["idle_percent"] = {n: round(100 * (after[n] - before[n]) / idle, 1) for n in after}
    stop = asyncio.Event()
    watchers = [
        asyncio.create_task(watch(hub.bootstrap, t, kind, by_id, attr, stop))
        for t, kind, attr in (
            (topics.DISCHARGE, "DischargeReadyNotified", "published"),
            (topics.BILLING, "PaymentClockStarted", "started"),
        )
    ]
    await asyncio.sleep(1.0)  # the watchers are reading
    url = hub.spec("discharge-ready").url
    await notices(url, all_stays[:warmup], rate)  # connections, caches, first fetches
    before = cpu_seconds(hub)
    await notices(url, all_stays[warmup:], rate)
    deadline = time.monotonic() + 60
    while any(s.started is None for s in all_stays) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    after = cpu_seconds(hub)
    count = len(all_stays) - warmup
    cpu["ms_per_notice"] = {n: round(1000 * (after[n] - before[n]) / count, 2) for n in after}
    stop.set()
    await asyncio.gather(*watchers)
    return all_stays[warmup:]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=10.0, help="notices per second")
    parser.add_argument("--count", type=int, default=300, help="notices measured")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="idle CPU measured")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for every service",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "e2e.json")
    args = parser.parse_args()

    env = {"HUB_LOG_LEVEL": "WARNING", "HUB_TRACE_DIR": ""}
    env.update(dict(item.split("=", 1) for item in args.env))
    specs = tuple(
        ServiceSpec(s.name, s.module, broker.free_port(), s.colour) for s in DEFAULT_SERVICES
    )
    state = Path(tempfile.mkdtemp(prefix="hub-e2e-"))
    hub = Hub(state_dir=state, broker_port=broker.free_port(), services=specs, extra_env=env)
    console.print(f"starting the hub ({', '.join(s.name for s in specs)}) in {state} ...")
    hub.start()
    all_stays = stays(args.warmup + args.count, args.seed)
    cpu: dict[str, dict] = {}
    load_before = os.getloadavg()
    try:
        measured = asyncio.run(
            measure(hub, all_stays, args.warmup, args.rate, args.idle_seconds, cpu)
        )
    finally:
        hub.stop()
    load_after = os.getloadavg()

    done = [s for s in measured if s.started is not None and s.posted is not None]
    missing = [s.stay_id for s in measured if s.started is None]
    whole = figures([s.started - s.posted for s in done])  # type: ignore[operator]
    stages = {
        "http (POST to AppRec)": figures([s.answered - s.posted for s in done]),  # type: ignore[operator]
        "to discharge.v1 (AppRec to event seen)": figures(
            [s.published - s.answered for s in done if s.published]  # type: ignore[operator]
        ),
        "billing (discharge.v1 seen to billing.v1 seen)": figures(
            [s.started - s.published for s in done if s.published]  # type: ignore[operator]
        ),
    }
    statuses: dict[str, int] = {}
    for s in measured:
        for code in s.statuses:
            statuses[str(code)] = statuses.get(str(code), 0) + 1
    settings = {
        "HUB_RELAY_POLL_SECONDS": env.get("HUB_RELAY_POLL_SECONDS", "0.5 (default)"),
        **TANSU_KAFKA_ENV,
        **{k: v for k, v in env.items() if k.startswith("HUB_") and k not in ("HUB_LOG_LEVEL",)},
    }
    report = {
        "benchmark": "e2e",
        "path": "POST LOG_UTSKRIVNINGSKLAR -> billing.v1 PaymentClockStarted",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m": {"before": load_before[0], "after": load_after[0]},
        },
        "rate_per_second": args.rate,
        "notices": len(measured),
        "without_clock": len(missing),
        "statuses": statuses,
        "end_to_end": whole,
        "stages": stages,
        "service_cpu": cpu,
        "settings": settings,
        "target": {"p99_ms": TARGET_P99_MS, "met": bool(whole.get("p99_ms", 1e9) < TARGET_P99_MS)},
    }
    table = Table(
        title=f"e2e at {args.rate:g} notices/s: POST LOG_UTSKRIVNINGSKLAR -> PaymentClockStarted"
    )
    for column in ("stage", "count", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"):
        table.add_column(column)
    for name, row in [("end to end", whole), *stages.items()]:
        table.add_row(
            name,
            *(
                str(row.get(c, ""))
                for c in ("count", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")
            ),
        )
    console.print(table)
    if missing:
        console.print(f"[red]{len(missing)} notices without a clock started, e.g. {missing[:3]}[/]")
    console.print(f"service CPU: {cpu}; load average {load_before[0]:.1f} -> {load_after[0]:.1f}")
    met = "met" if report["target"]["met"] else "MISSED"
    console.print(f"target p99 < {TARGET_P99_MS} ms: {met}")
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"wrote {args.out}")
    if missing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
