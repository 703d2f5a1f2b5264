"""`billing recompute`: a stay's periods and steps from its stored facts, or from an export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from billing_envelopes import case_stay, envelopes, patient_number
from rich.console import Console

from billing.entrypoints.cli import _parser, run_recompute
from hub_shared.testing.worked_cases import CASES

CASE_12 = next(c for c in CASES if c["number"] == 12)


def _console() -> Console:
    return Console(record=True, width=220, color_system=None)


async def test_recompute_prints_the_periods_and_steps_from_the_stored_facts(hub, tmp_path: Path):
    stay = case_stay(CASE_12["stay"], patient=patient_number(12))
    await hub.feed(envelopes(stay, CASE_12["events"]))
    export = tmp_path / "facts.json"
    console = _console()

    code = await run_recompute(
        _parser().parse_args(["recompute", stay.stay_id, "--export", str(export)]),
        hub.settings,
        console,
    )

    out = console.export_text()
    assert code == 0, out
    assert "rdy-1" in out and "rdy-2" in out
    assert "withdrawn" in out and "place_ready" in out
    assert "payable: 5 days, NOK 28 725.00" in out
    assert "§ 8: admission notice adm-1" in out
    document = json.loads(export.read_text())
    assert document["format"] == "billing.stay-facts.v1"
    assert document["stay"]["stay_id"] == stay.stay_id
    assert {f["message_id"] for f in document["stay"]["facts"]} == {
        e["id"] for e in CASE_12["events"]
    }
    assert stay.patient_id not in export.read_text()

    from_file = _console()
    code = await run_recompute(
        _parser().parse_args(["recompute", "--file", str(export)]), hub.settings, from_file
    )
    assert code == 0
    assert "payable: 5 days, NOK 28 725.00" in from_file.export_text()


async def test_recompute_all_reapplies_every_stay_and_publishes_nothing_new(hub):
    for number in (2, 12):
        case = next(c for c in CASES if c["number"] == number)
        stay = case_stay(case["stay"], patient=patient_number(number))
        await hub.feed(envelopes(stay, case["events"]))
    before = len(await hub.outbox())
    console = _console()

    code = await run_recompute(_parser().parse_args(["recompute", "--all"]), hub.settings, console)

    assert code == 0
    assert "2 stays recomputed" in console.export_text()
    assert len(await hub.outbox()) == before


async def test_recompute_of_an_unknown_stay_says_so(hub):
    console = _console()
    code = await run_recompute(
        _parser().parse_args(["recompute", "no-such-stay"]), hub.settings, console
    )
    assert code == 1
    assert "no facts" in console.export_text()


def test_the_command_line_recomputes_an_export_file(tmp_path: Path) -> None:
    case = next(c for c in CASES if c["number"] == 20)
    stay = {
        "stay_id": "stay-c20",
        "sector": "somatic",
        "hospital_her": "90998",
        "hospital_trust": "59",
        "admitted_at": "2023-12-20T09:00:00+00:00",
        "municipality_her": "99387",
        "residence_municipality": "3428",
        "registered_municipality": "3428",
        "documentation_at_discharge": None,
        "facts": [
            {
                "kind": "AdmissionNotice",
                "message_id": "adm-1",
                "sent_at": "2023-12-20T12:00:00+00:00",
            },
            {
                "kind": "DischargeReadyNotice",
                "message_id": "rdy-1",
                "sent_at": "2023-12-29T09:00:00+00:00",
                "ready": "2023-12-29",
            },
            {
                "kind": "MunicipalityAnswer",
                "message_id": "ans-2",
                "sent_at": "2024-01-03T07:00:00+00:00",
                "can_receive": True,
                "day": "2024-01-03",
            },
        ],
    }
    path = tmp_path / "facts.json"
    path.write_text(json.dumps({"format": "billing.stay-facts.v1", "stay": stay}))

    result = subprocess.run(
        [sys.executable, "-m", "billing.entrypoints.cli", "recompute", "--file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HUB_TRACE_DIR": ""},
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "payable: 5 days, NOK 28 014.00" in result.stdout
    assert case["expected"]["amount"] == "28014"
