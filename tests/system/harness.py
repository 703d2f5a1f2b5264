"""The system-test harness: a whole hub in processes, an EPJ that resends until it gets an answer,
and readers for what each service stored and what reached the topics."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lxml import etree

from hub_shared.testing.http import bearer
from hub_shared.testing.records import read_records


@dataclass
class EpjResult:
    """What the sending EPJ saw: the AppRec status per MsgId, and how often it had to resend."""

    status: dict[str, str] = field(default_factory=dict)
    resends: int = 0
    server_errors: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> set[str]:
        return {m for m, s in self.status.items() if s == "1"}


def msg_id_of(body: bytes) -> str:
    return etree.fromstring(body).findtext(".//{*}MsgId")


async def epj_send(
    url: str,
    bodies: list[bytes],
    *,
    concurrency: int = 8,
    progress: list[int] | None = None,
    sender_her: str = "59",
    give_up_after: float = 120.0,
) -> EpjResult:
    """Post every message, resending the same bytes (same MsgId) until an AppRec comes back,
    as an EPJ does when a request fails or its answer is lost."""
    result = EpjResult()
    queue = iter(bodies)
    async with httpx.AsyncClient(
        base_url=url,
        headers={"content-type": "application/xml", **bearer(sender_her)},
        timeout=10,
    ) as http:

        async def worker() -> None:
            for body in queue:
                deadline = time.monotonic() + give_up_after
                while True:
                    try:
                        response = await http.post("/elin/messages", content=body)
                        if response.status_code == 200:
                            root = etree.fromstring(response.content)
                            result.status[msg_id_of(body)] = root.find("{*}Status").get("V")
                            break
                        result.server_errors[response.status_code] += 1
                    except httpx.HTTPError as exc:
                        result.server_errors[type(exc).__name__] += 1
                    result.resends += 1
                    if time.monotonic() > deadline:
                        raise TimeoutError("no AppRec within the EPJ's patience")
                    await asyncio.sleep(0.2)
                if progress is not None:
                    progress[0] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


async def topic_events(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 60
) -> list[dict]:
    """Every record on a topic (with duplicates), until `expect` distinct envelope ids are seen."""

    def enough(records: list) -> bool:
        return len({json.loads(r.value)["id"] for r in records}) >= expect

    records = await read_records(bootstrap, topic, enough=enough, timeout=timeout, linger=1.0)
    return [json.loads(r.value) for r in records]


def stored(db: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()
