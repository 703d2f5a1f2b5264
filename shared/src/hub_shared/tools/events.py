"""`python -m hub_shared.tools.events [topic ...]`: print the events on the hub's topics.

Reads from the beginning without joining a consumer group (nothing is committed), so it never
disturbs the services. Patient data in event bodies is masked on screen.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.table import Table

from hub_shared.events import topics
from hub_shared.settings import KafkaSettings
from hub_shared.telemetry.redact import redact


async def read(bootstrap: str, names: list[str], follow: bool) -> None:
    console = Console()
    consumer = AIOKafkaConsumer(
        *names, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    table = Table("topic", "offset", "type", "subject (stay id)", "time", "trace id")
    try:
        idle = 0
        while follow or idle < 3:
            batch = await consumer.getmany(timeout_ms=500)
            idle = 0 if batch else idle + 1
            for records in batch.values():
                for r in records:
                    event = json.loads(r.value)
                    trace = dict(r.headers or ()).get("traceparent", b"").decode()
                    row = (
                        r.topic,
                        str(r.offset),
                        event.get("type", "?"),
                        event.get("subject", "?"),
                    )
                    if follow:
                        console.print(
                            *row, redact(json.dumps(event.get("data"), ensure_ascii=False))
                        )
                    else:
                        table.add_row(
                            *row, event.get("time", ""), trace.split("-")[1] if trace else ""
                        )
    finally:
        await consumer.stop()
    if not follow:
        console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("topics", nargs="*", default=list(topics.ALL))
    parser.add_argument("--bootstrap", default=KafkaSettings().bootstrap_servers)
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    args = parser.parse_args()
    asyncio.run(read(args.bootstrap, args.topics, args.follow))


if __name__ == "__main__":
    main()
