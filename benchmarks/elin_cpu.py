"""CPU cost of reading an ELIN message and writing its AppRec, per message, in-process.

Run from the repository root: `.venv/bin/python benchmarks/elin_cpu.py [--messages N]`.
Generates N valid LOG_INNLAGT messages (benchmarks/traffic.py), then times three stages over all
of them: the safe parse alone, `read_message` with the official schema (parse, checks, schema
validation, extraction) and `build_apprec` for the read head. Each stage runs `--rounds` times
and the least CPU time counts: the machine is shared, and other processes only ever add to it.
Prints the figures and writes them to benchmarks/results/elin-cpu.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import lxml.etree
import pydantic
from rich.console import Console
from rich.table import Table
from traffic import admissions

from hub_shared.elin.apprec import apprec_version_for, build_apprec
from hub_shared.elin.models import ElinMessage
from hub_shared.elin.reader import read_message
from hub_shared.elin.safe_xml import parse_xml
from hub_shared.elin.schema import default_schema_path, load_schema
from hub_shared.testing.messages import ALVDAL

RESULTS = Path(__file__).resolve().parent / "results" / "elin-cpu.json"
TYPES = frozenset({"LOG_INNLAGT"})
GEN_DATE = datetime(2024, 6, 1, 12, 0)


def cpu_seconds(stage: Callable[[], object], rounds: int) -> float:
    """The least process CPU time of `rounds` runs of `stage`."""
    best = float("inf")
    for _ in range(rounds):
        gc.collect()  # garbage from the previous round is not this round's cost
        started = time.process_time()
        stage()
        best = min(best, time.process_time() - started)
    return best


def stages(bodies: list[bytes]) -> dict[str, Callable[[], object]]:
    schema = load_schema(default_schema_path())
    if schema is None:
        raise SystemExit("the official schemas (../shared/elin-reference) are needed")
    messages = [read_message(b, schema=schema, supported_types=TYPES) for b in bodies]
    ids = [uuid.uuid4() for _ in bodies]  # made outside the timed loop

    def parse() -> object:
        return [parse_xml(body) for body in bodies]

    def read() -> list[ElinMessage]:
        return [read_message(b, schema=schema, supported_types=TYPES) for b in bodies]

    def apprec() -> list[bytes]:
        return [answer(msg, apprec_id) for msg, apprec_id in zip(messages, ids, strict=True)]

    return {"parse": parse, "read_message": read, "build_apprec": apprec}


def answer(msg: ElinMessage, apprec_id: uuid.UUID) -> bytes:
    return build_apprec(
        original=msg.head,
        errors=(),
        version=apprec_version_for(msg.content_version),
        apprec_id=apprec_id,
        gen_date=GEN_DATE,
        hub=ALVDAL,
    )


def run(count: int, rounds: int, seed: int) -> dict[str, object]:
    bodies = list(admissions(count, seed=seed))
    per_message = {
        name: round(cpu_seconds(stage, rounds) / count * 1e6, 1)
        for name, stage in stages(bodies).items()
    }
    return {
        "messages": count,
        "rounds": rounds,
        "seed": seed,
        "mean_bytes": round(sum(map(len, bodies)) / count),
        "cpu_us_per_message": per_message,
        "environment": {
            "python": platform.python_version(),
            "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
            "libxml2": ".".join(map(str, lxml.etree.LIBXML_VERSION)),
            "pydantic": pydantic.VERSION,
            "machine": platform.machine(),
        },
    }


def show(report: dict[str, object]) -> None:
    title = f"ELIN CPU per message ({report['messages']} LOG_INNLAGT, best of {report['rounds']})"
    table = Table(title=title)
    table.add_column("stage")
    table.add_column("µs CPU per message", justify="right")
    figures: dict[str, float] = report["cpu_us_per_message"]  # type: ignore[assignment]
    for name, micros in figures.items():
        table.add_row(name, f"{micros:.1f}")
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    report = run(args.messages, args.rounds, args.seed)
    show(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    Console().print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
