"""The whole hub as separate processes: the broker and the four services.

Used by `make run` (hub_shared.devrun), by the system tests (kill, restart, broker swap) and by
the benchmarks, so that all three run the hub the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hub_shared import broker
from hub_shared.events import topics
from hub_shared.kafka import ensure_topics
from hub_shared.settings import KafkaSettings

# Tansu joins consumer groups in 1-4 s with these timings instead of 5-18 s (ARCHITECTURE.md).
TANSU_KAFKA_ENV = {
    "HUB_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "HUB_KAFKA_HEARTBEAT_INTERVAL_MS": "300",
    "HUB_KAFKA_REBALANCE_TIMEOUT_MS": "500",
    # Tansu holds a waiting fetch for its whole maximum wait even when records arrive.
    "HUB_KAFKA_FETCH_MAX_WAIT_MS": "50",
}


def _run(coro: Coroutine[Any, Any, object]) -> None:
    """Run a coroutine to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    colour: str = "white"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


DEFAULT_SERVICES = (
    ServiceSpec("admission-notice", "admission_notice.entrypoints.cli", 8001, "cyan"),
    ServiceSpec("discharge-ready", "discharge_ready.entrypoints.cli", 8002, "magenta"),
    ServiceSpec("housing-match", "housing_match.entrypoints.cli", 8003, "green"),
    ServiceSpec("billing", "billing.entrypoints.cli", 8004, "yellow"),
)


@dataclass
class Hub:
    """Broker + services on loopback, each service with its own SQLite file in `state_dir`."""

    state_dir: Path
    broker_port: int = 9092
    services: tuple[ServiceSpec, ...] = DEFAULT_SERVICES
    extra_env: dict[str, str] = field(default_factory=dict)
    output: Callable[[ServiceSpec, subprocess.Popen], None] | None = None
    broker_proc: subprocess.Popen | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    def spec(self, name: str) -> ServiceSpec:
        return next(s for s in self.services if s.name == name)

    def env(self, spec: ServiceSpec) -> dict[str, str]:
        env = dict(os.environ)
        env.update(TANSU_KAFKA_ENV)
        env.update(
            {
                "HUB_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "HUB_PORT": str(spec.port),
                "HUB_SERVICE_NAME": spec.name,
                "HUB_TRACE_DIR": str(self.state_dir / "traces"),
                "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{self.state_dir / (spec.name + '.db')}",
            }
        )
        env.update(self.extra_env)
        return env

    # --- broker -----------------------------------------------------------------------------
    def start_broker(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.broker_proc = broker.start_tansu(
            self.broker_port, log_file=self.state_dir / "tansu.log"
        )
        _run(ensure_topics(KafkaSettings(bootstrap_servers=self.bootstrap), topics.with_dlqs()))

    def stop_broker(self) -> None:
        if self.broker_proc is not None:
            broker.stop(self.broker_proc)
            self.broker_proc = None

    # --- services ---------------------------------------------------------------------------
    def migrate(self) -> None:
        """Migrate every service's database, in parallel (each is its own process and file)."""
        running = {
            spec.name: subprocess.Popen(  # noqa: S603 - our interpreter and module
                [sys.executable, "-m", spec.module, "migrate"],
                env=self.env(spec),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for spec in self.services
        }
        for name, proc in running.items():
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"migrating {name} failed: {out.decode()[-2000:]}")

    def start_service(self, name: str) -> subprocess.Popen:
        spec = self.spec(name)
        proc = subprocess.Popen(  # noqa: S603 - our interpreter and module
            [sys.executable, "-m", spec.module, "serve"],
            env=self.env(spec),
            stdout=subprocess.PIPE if self.output else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self.output else subprocess.DEVNULL,
        )
        self.procs[name] = proc
        if self.output:
            self.output(spec, proc)
        return proc

    def start(self, *, wait: bool = True) -> None:
        self.start_broker()
        self.migrate()
        for spec in self.services:
            self.start_service(spec.name)
        if wait:
            self.wait_until_up()

    def wait_until_up(self, timeout: float = 60.0, names: tuple[str, ...] | None = None) -> None:
        deadline = time.monotonic() + timeout
        for spec in self.services:
            if names and spec.name not in names:
                continue
            while True:
                proc = self.procs.get(spec.name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{spec.name} exited with {proc.returncode}")
                try:
                    if httpx.get(f"{spec.url}/health/live", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{spec.name} did not come up")
                time.sleep(0.1)

    def kill(self, name: str) -> None:
        """kill -9: no shutdown, no flush, as a crash."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def restart(self, name: str) -> None:
        self.start_service(name)
        self.wait_until_up(names=(name,))

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stop_broker()

    def exited(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]
