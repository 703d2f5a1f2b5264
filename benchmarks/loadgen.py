"""A lean HTTP/1.1 load generator for the benchmarks (in the spirit of wrk, in pure asyncio).

The benchmark client shares the 2-core machine with the server, so its own cost per request
decides how much load it can offer: httpx spends about a millisecond of CPU per request, as much
as the server. This client keeps one keep-alive connection per worker, writes pre-built requests
and reads just enough of each response (status line, Content-Length, body) to time it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def record(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


class Connection:
    """One keep-alive HTTP/1.1 connection that posts bodies to one path."""

    def __init__(self, url: str, path: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(self._head + str(len(body)).encode() + b"\r\n\r\n" + body)
        status_line = await self._reader.readuntil(b"\r\n")
        length, close = 0, False
        while (line := await self._reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        await self._reader.readexactly(length)
        if close:
            await self.close()
        return int(status_line.split(b" ", 2)[1])

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


async def closed_loop(
    url: str, path: str, headers: dict[str, str], bodies: list[bytes], concurrency: int
) -> tuple[Outcome, float]:
    """`concurrency` workers, each posting the next body as soon as its last one is answered."""
    outcome = Outcome()
    queue = iter(bodies)

    async def worker() -> None:
        connection = Connection(url, path, headers)
        try:
            for body in queue:
                started = time.perf_counter()
                status = await connection.post(body)
                outcome.record(status, time.perf_counter() - started)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcome, time.perf_counter() - started


async def open_loop(
    url: str, path: str, headers: dict[str, str], bodies: list[bytes], rate: float
) -> tuple[Outcome, float]:
    """Requests sent on a fixed schedule (`rate` per second) whatever the answers' pace; each is
    timed from its scheduled start, so a slow server cannot hide its queue (no coordinated
    omission). Idle connections are reused; new ones are opened when all are busy."""
    outcome = Outcome()
    idle: list[Connection] = []

    async def one(body: bytes, scheduled: float) -> None:
        connection = idle.pop() if idle else Connection(url, path, headers)
        status = await connection.post(body)
        outcome.record(status, time.perf_counter() - scheduled)
        idle.append(connection)

    tasks = []
    started = time.perf_counter()
    for i, body in enumerate(bodies):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(body, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for connection in idle:
        await connection.close()
    return outcome, elapsed
