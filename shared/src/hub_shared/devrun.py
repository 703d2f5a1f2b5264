"""`make run`: the whole hub on one machine, on its embedded default.

Starts the Tansu broker on loopback, creates the topics, migrates each service's SQLite database
under var/, and runs the four services as separate processes. Ctrl-C stops them all cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from rich.console import Console

from hub_shared import broker
from hub_shared.events import topics
from hub_shared.kafka import ensure_topics
from hub_shared.paths import var_dir
from hub_shared.settings import KafkaSettings

console = Console(stderr=True)

# Tansu joins consumer groups in 1-4 s with these timings instead of 5-18 s (ARCHITECTURE.md).
TANSU_KAFKA_ENV = {
    "HUB_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "HUB_KAFKA_HEARTBEAT_INTERVAL_MS": "300",
    "HUB_KAFKA_REBALANCE_TIMEOUT_MS": "500",
}


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    colour: str


SERVICES = (
    ServiceSpec("admission-notice", "admission_notice.entrypoints.cli", 8001, "cyan"),
    ServiceSpec("discharge-ready", "discharge_ready.entrypoints.cli", 8002, "magenta"),
    ServiceSpec("housing-match", "housing_match.entrypoints.cli", 8003, "green"),
    ServiceSpec("billing", "billing.entrypoints.cli", 8004, "yellow"),
)


def service_env(spec: ServiceSpec, bootstrap: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TANSU_KAFKA_ENV)
    env.setdefault("HUB_KAFKA_BOOTSTRAP_SERVERS", bootstrap)
    env["HUB_PORT"] = str(spec.port)
    env["HUB_SERVICE_NAME"] = spec.name
    env.pop("HUB_DATABASE_URL", None)  # each service its own SQLite file under var/
    return env


def _pump(proc: subprocess.Popen, spec: ServiceSpec) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip()
        console.print(
            f"[{spec.colour}]{spec.name:>16}[/] {line}",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )


def run_service(spec: ServiceSpec, command: str, bootstrap: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", spec.module, command],
        env=service_env(spec, bootstrap),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def main() -> None:
    port = int(os.environ.get("HUB_BROKER_PORT", "9092"))
    bootstrap = f"127.0.0.1:{port}"
    var = var_dir()
    console.rule("[bold]discharge messaging hub: embedded default")
    kafka = broker.start_tansu(port, log_file=var / "tansu.log")
    console.print(f"broker   Tansu on {bootstrap} (memory storage, log in var/tansu.log)")
    asyncio.run(ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), topics.with_dlqs()))
    for spec in SERVICES:
        migrate = run_service(spec, "migrate", bootstrap)
        _pump(migrate, spec)
        if migrate.wait() != 0:
            broker.stop(kafka)
            raise SystemExit(f"migrating {spec.name} failed")
    console.print(f"database SQLite files under {var}")
    procs = [(spec, run_service(spec, "serve", bootstrap)) for spec in SERVICES]
    for spec, proc in procs:
        threading.Thread(target=_pump, args=(proc, spec), daemon=True).start()
        console.print(f"service  {spec.name:<17} http://127.0.0.1:{spec.port}  (docs: /docs)")
    console.print("Ctrl-C stops everything.")
    _wait(procs, kafka)


def _wait(procs: list[tuple[ServiceSpec, subprocess.Popen]], kafka: subprocess.Popen) -> None:
    stopping = False

    def stop_all(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    while not stopping:
        for spec, proc in procs:
            if proc.poll() is not None:
                console.print(f"[red]{spec.name} exited with {proc.returncode}; stopping[/]")
                stopping = True
        time.sleep(0.2)
    console.print("stopping services...")
    for _spec, proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for _spec, proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    broker.stop(kafka)
    console.print("stopped.")


if __name__ == "__main__":
    main()
