"""`billing serve | migrate | recompute`.

`billing recompute <stay_id>` recomputes a stay from the facts stored in billing's database and
prints its periods and every step of the computation (for a dispute); `--export FILE` also writes
the facts as JSON, and `billing recompute --file FILE` recomputes from such a file, without a
database. `--apply` (or `--all`, after an operator changed the rate or agreement files) also updates
the stored projection and puts the clock changes it finds into the outbox, for the running service
to publish.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from billing.adapters import orm
from billing.adapters.fact_json import FactFormatError, export, read_export
from billing.domain import assess, choose_profile
from billing.domain.days import OSLO
from billing.entrypoints.api import MIGRATIONS, SOURCE, create_app
from billing.service import Billing, BillingConfig, StayReport
from billing.settings import Settings
from hub_shared.db import make_engine, make_sessionmaker
from hub_shared.db.uow import UnitOfWork
from hub_shared.http.cli import run_cli
from hub_shared.timeutil import utc_now


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    settings = Settings()
    if args.command != "recompute":
        run_cli("billing", settings, create_app, MIGRATIONS, [args.command or "serve"])
        return
    raise SystemExit(recompute(args, settings, Console()))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (the default)")
    commands.add_parser("migrate", help="bring the database to the newest schema")
    rc = commands.add_parser(
        "recompute", help="recompute a stay's payment periods from its facts and print them"
    )
    rc.add_argument("stay_id", nargs="?", help="the stay's pseudonymous id")
    rc.add_argument("--file", type=Path, help="recompute from a JSON export of the stay's facts")
    rc.add_argument("--all", action="store_true", help="recompute every stay (implies --apply)")
    rc.add_argument("--apply", action="store_true", help="update the projection and the outbox")
    rc.add_argument("--export", type=Path, help="write the stay's facts as JSON to this file")
    rc.add_argument(
        "--as-of",
        type=_instant,
        help="count running periods up to this time (ISO 8601; without offset: Oslo); default now",
    )
    return parser


def recompute(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    return asyncio.run(run_recompute(args, settings, console))


async def run_recompute(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    chosen = sum(bool(x) for x in (args.stay_id, args.file, args.all))
    if chosen != 1:
        console.print("[red]give exactly one of: a stay id, --file FILE, --all[/]")
        return 2
    as_of = args.as_of or utc_now()
    config = BillingConfig.from_settings(settings)
    if args.file:
        try:
            stay = read_export(json.loads(args.file.read_text(encoding="utf-8")))
        except (OSError, ValueError, FactFormatError) as error:
            console.print(f"[red]{args.file}: {error}[/]")
            return 2
        profile = choose_profile(stay, config.agreements)
        report = StayReport(stay, profile, assess(stay, config.rates, profile, as_of=as_of), (), ())
        print_report(console, report, source=str(args.file))
        return 0
    return await _from_database(args, settings, config, as_of, console)


async def _from_database(
    args: argparse.Namespace,
    settings: Settings,
    config: BillingConfig,
    as_of: datetime,
    console: Console,
) -> int:
    engine = make_engine(settings.resolved_database_url())
    billing = Billing(config, clock=lambda: as_of)
    uow = UnitOfWork(make_sessionmaker(engine), orm.outbox, source=SOURCE)
    try:
        if args.all:
            async with uow:
                stay_ids = await billing.stay_ids(uow.session)
            table = Table("stay", "complete", "clock events")
            for stay_id in stay_ids:
                async with uow:
                    result = await billing.recompute(uow, stay_id)
                    await uow.commit()
                table.add_row(stay_id, "yes" if result.complete else "no", str(len(result.changes)))
            console.print(table)
            console.print(f"{len(stay_ids)} stays recomputed as of {_local(as_of)}")
            return 0
        async with uow:
            if args.apply:
                result = await billing.recompute(uow, args.stay_id)
                await uow.commit()
                console.print(f"projection updated; {len(result.changes)} clock events to publish")
            report = await billing.stay_report(uow.session, args.stay_id)
        if report is None:
            console.print(f"[red]no facts with the admission of stay {args.stay_id}[/]")
            return 1
        if args.export:
            args.export.write_text(json.dumps(export(report.stay), indent=2), encoding="utf-8")
            console.print(f"facts written to {args.export}")
        print_report(console, report, source=settings.resolved_database_url().split("///")[-1])
        return 0
    finally:
        await engine.dispose()


def print_report(console: Console, report: StayReport, *, source: str) -> None:
    result = report.assessment
    table = Table(
        "period (§ 10 notice)",
        "notice sent",
        "start",
        "end (not counted)",
        "end reason",
        "payable",
        "days",
        "NOK",
        "reasons",
        title=f"Stay {result.stay_id}: profile {report.profile.id!r}, as of "
        f"{_local(result.as_of) if result.as_of else '-'} ({source})",
    )
    for period in result.periods:
        table.add_row(
            period.key,
            _local(period.notice_at),
            period.start.isoformat(),
            period.end.isoformat(),
            period.end_reason.value,
            "yes" if period.payable else "no",
            str(period.days),
            _nok(period.amount),
            ", ".join(r.value for r in period.reasons),
        )
    console.print(table)
    verdict = "payable" if result.payable else "not payable"
    unpriced = f", {result.unpriced_days} days unpriced" if result.unpriced_days else ""
    console.print(
        f"[bold]{verdict}[/]: {result.total_days} days, NOK {_nok(result.total_amount)}{unpriced}"
    )
    if result.reasons:
        console.print("reasons: " + ", ".join(r.value for r in result.reasons))
    if result.flags:
        console.print("flags: " + ", ".join(f.value for f in result.flags))
    tree = Tree("computation")
    stay_steps = tree.add("stay")
    for step in (*result.steps, *report.notes):
        stay_steps.add(step)
    for period in result.periods:
        branch = tree.add(f"period {period.key}")
        for step in period.steps:
            branch.add(step)
        branch.add("messages: " + ", ".join(period.message_ids))
    console.print(tree)


def _nok(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", " ")


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=OSLO)


def _local(instant: datetime) -> str:
    return f"{instant.astimezone(OSLO):%Y-%m-%d %H:%M} (Oslo)"


if __name__ == "__main__":
    main()
