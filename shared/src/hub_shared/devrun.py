"""`make run`: the whole hub on one machine, on its embedded default.

Starts the Tansu broker on loopback, creates the topics, migrates each service's SQLite database
under var/, and runs the four services as separate processes. Ctrl-C stops them all cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from rich.console import Console

from hub_shared.hub import DEFAULT_SERVICES, Hub, ServiceSpec
from hub_shared.paths import var_dir

console = Console(stderr=True)


def _pump(spec: ServiceSpec, proc: subprocess.Popen) -> None:
    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            console.print(
                f"[{spec.colour}]{spec.name:>16}[/] {line}",
                markup=True,
                highlight=False,
                soft_wrap=True,
            )

    threading.Thread(target=pump, daemon=True).start()


def main() -> None:
    port = int(os.environ.get("HUB_BROKER_PORT", "9092"))
    hub = Hub(state_dir=var_dir(), broker_port=port, output=_pump)
    console.rule("[bold]discharge messaging hub: embedded default")
    hub.start_broker()
    console.print(f"broker   Tansu on {hub.bootstrap} (memory storage, log in var/tansu.log)")
    try:
        hub.migrate()
    except RuntimeError as exc:
        hub.stop_broker()
        raise SystemExit(str(exc)) from None
    console.print(f"database SQLite files under {hub.state_dir}")
    for spec in DEFAULT_SERVICES:
        hub.start_service(spec.name)
        console.print(f"service  {spec.name:<17} {spec.url}  (docs: {spec.url}/docs)")
    console.print("Ctrl-C stops everything.")
    _wait(hub)


def _wait(hub: Hub) -> None:
    stopping = False

    def stop_all(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    while not stopping:
        for name in hub.exited():
            console.print(f"[red]{name} exited with {hub.procs[name].returncode}; stopping[/]")
            stopping = True
        time.sleep(0.2)
    console.print("stopping services...")
    hub.stop()
    console.print("stopped.")


if __name__ == "__main__":
    main()
