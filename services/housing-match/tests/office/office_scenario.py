"""Realistic synthetic data for the office's pages (screenshots, browser tests): Alvdal's housing
stock, three months of discharge-ready patients (some discharged, some housed, some still
waiting), billing's invoices for the months that ended, and a patient of Testkommune Nord.

Every patient, name and number is made up (fødselsnummer-shaped numbers from a fixed seed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from office_harness import (
    ALVDAL,
    NORD,
    ST_OLAV,
    OfficeHub,
    Patient,
    case_id_of,
    needs,
    ok,
    site,
    tenant,
    unit,
)

TODAY = "2024-11-20T10:15"


@dataclass
class Demo:
    patients: dict[str, Patient] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    invoices: list[str] = field(default_factory=list)


async def stock(hub: OfficeHub) -> dict[str, str]:
    """Alvdal's five sites with their units and tenants housed outside the hub."""
    units: dict[str, str] = {}
    async with hub.api(ALVDAL) as api:
        staffed = await site(api, "staffed", "Sentrum bofellesskap", "Sentrum")
        for n in range(1, 5):
            units[f"staffed-{n}"] = await unit(api, staffed, f"Leilighet {n}")
        await tenant(api, units["staffed-1"], "2023-03-01", heavy_needs=True)
        await tenant(api, units["staffed-2"], "2023-09-15")
        leaving = await tenant(api, units["staffed-3"], "2022-06-01")
        ok(
            await api.post(
                f"/v1/units/{units['staffed-3']}/residents/{leaving}/move-out",
                json={"on": "2024-11-29"},
            ),
            204,
        )
        transitional = await site(
            api, "transitional", "Storgata overgangsbolig", "Nord", max_units=9
        )
        for n in range(1, 7):
            units[f"transitional-{n}"] = await unit(api, transitional, f"Hybel {n}")
        for n in range(1, 5):
            await tenant(api, units[f"transitional-{n}"], f"2024-0{n + 2}-01", in_recovery=True)
        first = await site(api, "housing_first", "Housing First Nyvegen", "Sør")
        units["hf-a"] = await unit(api, first, "Nyvegen 12 A")
        units["hf-b"] = await unit(api, first, "Nyvegen 12 B")
        await tenant(api, units["hf-a"], "2024-02-12")
        temporary = await site(api, "temporary", "Akuttbolig Steinvegen", "Sentrum")
        units["temp-1"] = await unit(api, temporary, "Rom 1")
        units["temp-2"] = await unit(api, temporary, "Rom 2")
        crisis = await site(api, "crisis_bed", "Trygghetsplass Alvdal helsetun", "Sentrum")
        units["crisis-1"] = await unit(api, crisis, "Seng 1")
    return units


async def build(hub: OfficeHub) -> Demo:
    """The whole demo, ending with the clock at TODAY (Wednesday 20 November 2024)."""
    demo = Demo()
    hub.clock.set("2024-08-15T08:00")
    await stock(hub)

    # Discharged long ago: their clocks stopped (the cost chart's earlier bars).
    past = [
        ("Per", "Johansen", "2024-08-20T11:30", "2024-09-02", "2024-09-10T13:00", True),
        ("Ingrid", "Berg", "2024-09-02T08:10", "2024-09-16", "2024-09-27T12:00", True),
        ("Sigrid", "Lie", "2024-10-01T21:45", "2024-10-10", "2024-10-24T11:00", True),
        ("Hans", "Moe", "2024-09-20T14:00", "2024-10-01", "2024-10-04T10:00", True),
    ]
    for given, family, admitted, ready_on, discharged, fixed in past:
        patient = Patient(given, family, admitted, without_fixed_home=not fixed)
        demo.patients[family] = patient
        await hub.publish(patient.admission(), patient.ready(ready_on, f"{ready_on}T09:00"))
        await hub.publish(patient.discharged(discharged))

    # Housed through the office in October: the assignment stops the clock on the move-in day.
    housed = Patient("Anders", "Bakken", "2024-10-14T09:20")
    demo.patients["Bakken"] = housed
    hub.clock.set("2024-10-21T12:00")
    await hub.publish(housed.admission(), housed.ready("2024-10-21", "2024-10-21T10:05"))
    async with hub.api(ALVDAL) as api:
        case = await case_id_of(api, housed.stay_id)
        demo.cases["Bakken"] = case
        ok(await api.put(f"/v1/cases/{case}/needs", json=needs(acceptable_kinds=["temporary"])))
        hub.clock.set("2024-10-23T09:30")
        run = ok(await api.post("/v1/matching/run"), 201)
        proposal = next(p for p in run["proposals"] if p["case_id"] == case)
        accepted = ok(
            await api.post(
                f"/v1/proposals/{proposal['proposal_id']}/accept", json={"move_in": "2024-10-24"}
            ),
            201,
        )
        hub.clock.set("2024-10-24T14:00")
        ok(
            await api.post(
                f"/v1/units/{proposal['unit_id']}/move-ins",
                json={"on": "2024-10-24", "assignment_id": accepted["assignment"]["assignment_id"]},
            ),
            201,
        )
    await hub.pump()

    # Waiting now: clocks running, cases open.
    waiting = [
        (
            "Roland",
            "Gundersen",
            "2024-10-28T10:00",
            "2024-11-11",
            False,
            {
                "acceptable_kinds": ["staffed", "temporary"],
                "needs_staffing": True,
                "age": 58,
                "heavy_needs": True,
            },
        ),
        (
            "Kari",
            "Nordmann",
            "2024-11-01T16:40",
            "2024-11-15",
            False,
            {
                "acceptable_kinds": ["transitional", "housing_first"],
                "in_recovery": True,
                "age": 34,
                "wished_district": "Nord",
            },
        ),
        ("Ola", "Hansen", "2024-11-05T07:55", "2024-11-18", True, None),
        ("Lise", "Haugen", "2024-11-11T13:10", "2024-11-19", True, None),
    ]
    for given, family, admitted, ready_on, fixed, wants in waiting:
        patient = Patient(given, family, admitted, without_fixed_home=not fixed)
        demo.patients[family] = patient
        hub.clock.set(f"{ready_on}T12:00")
        await hub.publish(patient.admission(), patient.ready(ready_on, f"{ready_on}T09:30"))
        if wants is not None:
            async with hub.api(ALVDAL) as api:
                case = await case_id_of(api, patient.stay_id)
                demo.cases[family] = case
                ok(await api.put(f"/v1/cases/{case}/needs", json=needs(**wants)))

    # Admitted without a fixed home, not ready yet.
    hub.clock.set("2024-11-19T15:00")
    planned = Patient("Marte", "Solberg", "2024-11-12T11:00")
    early = Patient("Jonas", "Eide", "2024-11-18T02:30")
    for patient in (planned, early):
        demo.patients[patient.family_name] = patient
        await hub.publish(patient.admission())
    async with hub.api(ALVDAL) as api:
        case = await case_id_of(api, planned.stay_id)
        demo.cases["Solberg"] = case
        ok(
            await api.put(
                f"/v1/cases/{case}/needs", json=needs(acceptable_kinds=["housing_first"], age=27)
            )
        )
        ok(await api.patch(f"/v1/cases/{case}", json={"expected_discharge_on": "2024-12-02"}))

    # Another municipality's patient (never on Alvdal's pages).
    other = Patient("Eva", "Strand", "2024-11-04T09:00", municipality=NORD)
    demo.patients["Strand"] = other
    await hub.publish(other.admission(), other.ready("2024-11-12", "2024-11-12T10:00"))

    # Billing's invoices for the months that ended.
    hub.clock.set(TODAY)
    async with hub.billing_api(ST_OLAV) as billing:
        for month in ("2024-09", "2024-10"):
            body = {"hospital_trust": ST_OLAV, "municipality_number": "3428", "month": month}
            issued = await billing.post("/v1/invoices", json=body)
            assert issued.status_code in (200, 201), issued.text
            demo.invoices.append(issued.json()["invoice_id"])
    await hub.pump()

    # Today's matching: proposals for the open cases with needs.
    async with hub.api(ALVDAL) as api:
        ok(await api.post("/v1/matching/run"), 201)
    return demo


async def one_waiting_patient(hub: OfficeHub) -> dict[str, Any]:
    """The browser test's story at Monday 8 April 2024, 10:00: Roland Gundersen (no fixed home)
    was reported ready for discharge this morning; Alvdal has a free temporary room; Testkommune
    Nord has a discharge-ready patient of its own."""
    roland = Patient("Roland", "Gundersen", "2024-04-02T10:00")
    eva = Patient("Eva", "Strand", "2024-04-03T09:00", municipality=NORD)
    await hub.publish(roland.admission("2024-04-02T15:00"))
    await hub.publish(roland.ready("2024-04-08", "2024-04-08T09:00"))
    await hub.publish(eva.admission(), eva.ready("2024-04-05", "2024-04-05T10:00"))
    async with hub.api(ALVDAL) as api:
        case = await case_id_of(api, roland.stay_id)
        ok(await api.put(f"/v1/cases/{case}/needs", json=needs(acceptable_kinds=["temporary"])))
        temporary = await site(api, "temporary", "Akuttbolig Steinvegen", "Sentrum")
        await unit(api, temporary, "Rom 1")
    return {"roland": roland, "eva": eva, "case_id": case}
