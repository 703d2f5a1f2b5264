"""Matching through the API: the hard rules end to end (a representative few; the domain tests
cover every rule), explained proposals, and the officer's decisions (accept with the move-in
day, reject, cancel) with their events on housing.v1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from housing_events import Stay, admission, ready
from office import accept, case_of, ok, record_needs, run, site, tenant, unit

from housing_match.domain import HARD_RULES

RULE_NAMES = [rule.__name__ for rule in HARD_RULES]


async def new_case(hub, *, is_ready: bool = True, **need_fields: Any) -> dict[str, Any]:
    """A patient without a fixed home, discharge-ready today, with these needs recorded."""
    stay = Stay()
    await hub.feed(admission(stay))
    if is_ready:
        await hub.feed(ready(stay))
    case = await case_of(hub.http, stay.stay_id)
    return await record_needs(hub.http, case["case_id"], **need_fields)


def proposed_pairs(result: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["case_id"], p["unit_id"]) for p in result["proposals"]}


# --- each scenario: a rule broken, then the same scenario with the rule kept -------------------
@dataclass
class Scenario:
    """`setup` builds the stock and returns the unit; `breaking`/`keeping` are the case's needs;
    `repair` (if given) changes the stock instead so that the rule holds."""

    rule: str
    setup: Callable[[httpx.AsyncClient], Awaitable[dict[str, Any]]]
    breaking: dict[str, Any]
    keeping: dict[str, Any] | None = None
    repair: Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[None]] | None = None


async def transitional(http: httpx.AsyncClient, **rules: Any) -> dict[str, Any]:
    return await unit(http, (await site(http, "transitional", **rules))["site_id"])


async def with_tenant(http: httpx.AsyncClient, kind: str, **profile: Any) -> dict[str, Any]:
    house = await site(http, kind)
    lived_in = await unit(http, house["site_id"], "lived-in")
    await tenant(http, lived_in["unit_id"], **profile)
    flat = await unit(http, house["site_id"], "free")
    flat["tenant_unit"] = lived_in["unit_id"]
    return flat


async def tenant_moves_out(http: httpx.AsyncClient, flat: dict[str, Any]) -> None:
    detail = ok(await http.get(f"/v1/units/{flat['tenant_unit']}"))
    resident = detail["residents"][0]["resident_id"]
    path = f"/v1/units/{flat['tenant_unit']}/residents/{resident}/move-out"
    assert (await http.post(path, json={"on": "2024-04-08"})).status_code == 204


async def occupied_flat(http: httpx.AsyncClient) -> dict[str, Any]:
    flat = await unit(http, (await site(http, "temporary"))["site_id"])
    await tenant(http, flat["unit_id"])
    flat["tenant_unit"] = flat["unit_id"]
    return flat


async def heavy_site(http: httpx.AsyncClient) -> dict[str, Any]:
    # Housing First: at most 2 residents with heavy needs per site (the kind's default).
    house = await site(http, "housing_first")
    for label in ("a", "b"):
        lived_in = await unit(http, house["site_id"], label)
        await tenant(http, lived_in["unit_id"], heavy_needs=True)
    flat = await unit(http, house["site_id"], "free")
    flat["tenant_unit"] = lived_in["unit_id"]
    return flat


SCENARIOS = [
    Scenario(
        "no_active_use_at_drug_free_site",
        lambda http: transitional(http),
        breaking={"acceptable_kinds": ["transitional"], "active_use": True},
        keeping={"acceptable_kinds": ["transitional"], "in_recovery": True},
    ),
    Scenario(
        "min_age_met",
        lambda http: transitional(http, min_age=23),
        breaking={"acceptable_kinds": ["transitional"], "age": 20},
        keeping={"acceptable_kinds": ["transitional"], "age": 23},
    ),
    Scenario(
        "staffing_need_met",
        lambda http: unit_of(http, "housing_first"),
        breaking={"acceptable_kinds": ["housing_first"], "needs_staffing": True},
        keeping={"acceptable_kinds": ["housing_first"]},
    ),
    Scenario(
        "known_user_for_crisis_bed",
        lambda http: unit_of(http, "crisis_bed"),
        breaking={"acceptable_kinds": ["crisis_bed"], "known_user": False},
        keeping={"acceptable_kinds": ["crisis_bed"], "known_user": True},
    ),
    Scenario(
        "no_mixing_use_and_recovery",
        lambda http: with_tenant(http, "temporary", active_use=True),
        breaking={"acceptable_kinds": ["temporary"], "in_recovery": True},
        repair=tenant_moves_out,
    ),
    Scenario(
        "heavy_needs_limit",
        heavy_site,
        breaking={"acceptable_kinds": ["housing_first"], "heavy_needs": True},
        repair=tenant_moves_out,
    ),
    Scenario(
        "capacity",
        occupied_flat,
        breaking={"acceptable_kinds": ["temporary"]},
        repair=tenant_moves_out,
    ),
]


async def unit_of(http: httpx.AsyncClient, kind: str) -> dict[str, Any]:
    return await unit(http, (await site(http, kind))["site_id"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.rule for s in SCENARIOS])
async def test_a_match_breaking_a_hard_rule_is_never_proposed(hub, scenario: Scenario) -> None:
    flat = await scenario.setup(hub.http)
    case = await new_case(hub, **scenario.breaking)

    broken = await run(hub.http)
    assert proposed_pairs(broken) == set()
    assert broken["unmatched"] == [case["case_id"]]

    if scenario.repair is not None:
        await scenario.repair(hub.http, flat)
    else:
        await record_needs(hub.http, case["case_id"], **(scenario.keeping or {}))
    kept = await run(hub.http)
    # After a move-out the vacated unit is as good as the free one.
    allowed = {flat["unit_id"], flat.get("tenant_unit", flat["unit_id"])}
    ((case_id, unit_id),) = proposed_pairs(kept)
    assert case_id == case["case_id"] and unit_id in allowed
    rules = {r["rule"]: r for r in kept["proposals"][0]["rules_checked"]}
    assert rules[scenario.rule]["passed"] is True


async def test_a_proposal_explains_the_unit_the_rules_and_the_money(hub) -> None:
    flat = await unit(
        hub.http, (await site(hub.http, "temporary", "Akuttbolig Fjell", "Fjell"))["site_id"], "3B"
    )
    case = await new_case(hub, acceptable_kinds=["temporary"], wished_district="Fjell")

    result = await run(hub.http)
    (proposal,) = result["proposals"]
    assert proposal["case_id"] == case["case_id"] and proposal["unit_id"] == flat["unit_id"]
    assert proposal["unit_label"] == "3B" and proposal["site_name"] == "Akuttbolig Fjell"
    assert proposal["kind"] == "temporary" and proposal["wish_met"] is True
    assert [r["rule"] for r in proposal["rules_checked"]] == RULE_NAMES
    assert all(r["passed"] and r["reason"] for r in proposal["rules_checked"])
    # Ready today, moving in today: the whole 90-day horizon is saved.
    assert proposal["move_in"] == "2024-04-08"
    assert proposal["clock_days_saved"] == 90
    assert Decimal(proposal["cost_saved"]) == 90 * Decimal(5745)
    assert "Akuttbolig Fjell" in proposal["explanation"]
    assert "Alle 15 absolutte krav holder" in proposal["explanation"]
    assert Decimal(result["cost_saved"]) == Decimal(proposal["cost_saved"])
    assert ok(await hub.http.get("/v1/proposals")) == [proposal]


async def test_cases_without_needs_are_left_out_and_said_so(hub) -> None:
    await unit_of(hub.http, "temporary")
    stay = Stay()
    await hub.feed(admission(stay), ready(stay))
    case = await case_of(hub.http, stay.stay_id)

    result = await run(hub.http)
    assert result["proposals"] == [] and result["without_needs"] == [case["case_id"]]


async def test_a_new_run_supersedes_the_open_proposals(hub) -> None:
    await unit_of(hub.http, "temporary")
    await new_case(hub, acceptable_kinds=["temporary"])
    first = (await run(hub.http))["proposals"][0]
    second = (await run(hub.http))["proposals"][0]

    assert ok(await hub.http.get(f"/v1/proposals/{first['proposal_id']}"))["status"] == "superseded"
    assert [p["proposal_id"] for p in ok(await hub.http.get("/v1/proposals"))] == [
        second["proposal_id"]
    ]
    refused = await hub.http.post(
        f"/v1/proposals/{first['proposal_id']}/accept", json={"move_in": "2024-04-08"}
    )
    assert refused.status_code == 409


async def test_accepting_assigns_the_unit_and_emits_housing_assigned(hub) -> None:
    flat = await unit_of(hub.http, "temporary")
    case = await new_case(hub, acceptable_kinds=["temporary"], is_ready=False)
    proposal = (await run(hub.http))["proposals"][0]

    accepted = await accept(hub.http, proposal["proposal_id"], "2024-04-11")  # a Thursday
    assignment = accepted["assignment"]
    assert assignment["unit_id"] == flat["unit_id"] and assignment["move_in"] == "2024-04-11"
    assert assignment["friday_move_in"] is False and assignment["status"] == "active"
    assert accepted["answer"] is None  # not discharge-ready: nothing to answer yet

    (event,) = [e for e in await hub.events() if e.type == "HousingAssigned"]
    assert event.subject == case["stay_id"]
    assert event.data == {
        "stay_id": case["stay_id"],
        "case_id": case["case_id"],
        "assignment_id": assignment["assignment_id"],
        "unit_id": flat["unit_id"],
        "site_id": flat["site_id"],
        "municipality_her": "99387",
        "move_in": "2024-04-11",
        "decided_at": "2024-04-08T08:00:00Z",
        "friday_move_in": False,
    }
    assert ok(await hub.http.get("/v1/units", params={"free": "true"})) == []
    after = ok(await hub.http.get(f"/v1/cases/{case['case_id']}"))
    assert after["status"] == "assigned" and after["move_in"] == "2024-04-11"
    assert after["proposals"][0]["status"] == "accepted"
    again = await hub.http.post(
        f"/v1/proposals/{proposal['proposal_id']}/accept", json={"move_in": "2024-04-11"}
    )
    assert again.status_code == 409


async def test_a_friday_move_in_is_flagged(hub) -> None:
    await unit_of(hub.http, "temporary")
    await new_case(hub, acceptable_kinds=["temporary"])
    proposal = (await run(hub.http))["proposals"][0]

    accepted = await accept(hub.http, proposal["proposal_id"], "2024-04-12")  # a Friday
    assert accepted["assignment"]["friday_move_in"] is True
    (event,) = [e for e in await hub.events() if e.type == "HousingAssigned"]
    assert event.data["friday_move_in"] is True and event.data["move_in"] == "2024-04-12"


async def test_the_move_in_day_must_be_possible(hub) -> None:
    await unit(
        hub.http, (await site(hub.http, "temporary"))["site_id"], available_from="2024-04-15"
    )
    await new_case(hub, acceptable_kinds=["temporary"])
    proposal = (await run(hub.http))["proposals"][0]
    assert proposal["move_in"] == "2024-04-15"

    path = f"/v1/proposals/{proposal['proposal_id']}/accept"
    assert (await hub.http.post(path, json={"move_in": "2024-04-05"})).status_code == 422  # past
    assert (
        await hub.http.post(path, json={"move_in": "2024-04-10"})
    ).status_code == 422  # not free yet
    assert (await hub.http.post(path, json={"move_in": "2024-04-15"})).status_code == 201


async def test_a_proposal_that_no_longer_holds_is_refused_and_marked_stale(hub) -> None:
    house = await site(hub.http, "temporary")
    free = await unit(hub.http, house["site_id"], "1")
    other = await unit(hub.http, house["site_id"], "2")
    await new_case(hub, acceptable_kinds=["temporary"], in_recovery=True)
    proposal = (await run(hub.http))["proposals"][0]
    assert proposal["unit_id"] in (free["unit_id"], other["unit_id"])
    taken = other if proposal["unit_id"] == free["unit_id"] else free

    # Meanwhile someone in active use moves into the other unit, outside the hub.
    await tenant(hub.http, taken["unit_id"], on="2024-04-08", active_use=True)
    refused = await hub.http.post(
        f"/v1/proposals/{proposal['proposal_id']}/accept", json={"move_in": "2024-04-08"}
    )

    assert refused.status_code == 409
    assert [f["rule"] for f in refused.json()["failed"]] == ["no_mixing_use_and_recovery"]
    assert ok(await hub.http.get(f"/v1/proposals/{proposal['proposal_id']}"))["status"] == "stale"
    assert [e.type for e in await hub.events()].count("HousingAssigned") == 0


async def test_a_rejected_proposal_keeps_its_reason(hub) -> None:
    await unit_of(hub.http, "temporary")
    await new_case(hub, acceptable_kinds=["temporary"])
    proposal = (await run(hub.http))["proposals"][0]

    rejected = ok(
        await hub.http.post(
            f"/v1/proposals/{proposal['proposal_id']}/reject",
            json={"reason": "for langt fra nettverket"},
        )
    )
    assert rejected["status"] == "rejected" and rejected["reason"] == "for langt fra nettverket"
    assert rejected["decided_by"] == "HER:99387"
    assert ok(await hub.http.get("/v1/proposals")) == []


async def test_cancelling_frees_the_unit_reopens_the_case_and_emits_the_event(hub) -> None:
    flat = await unit_of(hub.http, "temporary")
    case = await new_case(hub, acceptable_kinds=["temporary"], is_ready=False)
    proposal = (await run(hub.http))["proposals"][0]
    assignment = (await accept(hub.http, proposal["proposal_id"], "2024-04-10"))["assignment"]
    assert ok(await hub.http.get("/v1/units", params={"free": "true"})) == []

    path = f"/v1/assignments/{assignment['assignment_id']}/cancel"
    cancelled = ok(await hub.http.post(path, json={"reason": "takket nei"}))
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "takket nei"

    free = ok(await hub.http.get("/v1/units", params={"free": "true"}))
    assert [u["unit_id"] for u in free] == [flat["unit_id"]]
    assert ok(await hub.http.get(f"/v1/cases/{case['case_id']}"))["status"] == "open"
    (event,) = [e for e in await hub.events() if e.type == "HousingAssignmentCancelled"]
    assert event.subject == case["stay_id"]
    assert event.data["assignment_id"] == assignment["assignment_id"]
    assert event.data["unit_id"] == flat["unit_id"] and event.data["reason"] == "takket nei"
    assert (await hub.http.post(path, json={"reason": "igjen"})).status_code == 409
    # The unit is offered again.
    assert proposed_pairs(await run(hub.http)) == {(case["case_id"], flat["unit_id"])}


async def test_the_move_in_of_an_assignment_houses_the_case(hub) -> None:
    flat = await unit_of(hub.http, "temporary")
    case = await new_case(hub, acceptable_kinds=["temporary"])
    proposal = (await run(hub.http))["proposals"][0]
    assignment = (await accept(hub.http, proposal["proposal_id"], "2024-04-08"))["assignment"]

    body = {"on": "2024-04-08", "assignment_id": assignment["assignment_id"]}
    ok(await hub.http.post(f"/v1/units/{flat['unit_id']}/move-ins", json=body), 201)

    housed = ok(await hub.http.get(f"/v1/cases/{case['case_id']}"))
    assert housed["status"] == "closed" and housed["close_reason"] == "housed"
    assert housed["assignments"][0]["status"] == "moved_in"
    cancel = await hub.http.post(
        f"/v1/assignments/{assignment['assignment_id']}/cancel", json={"reason": "x"}
    )
    assert cancel.status_code == 409


async def test_another_municipality_cannot_see_or_decide_proposals(hub) -> None:
    await unit_of(hub.http, "temporary")
    await new_case(hub, acceptable_kinds=["temporary"])
    proposal = (await run(hub.http))["proposals"][0]

    async with hub.as_party("800400") as nord:
        assert ok(await nord.get("/v1/proposals")) == []
        assert (await nord.get(f"/v1/proposals/{proposal['proposal_id']}")).status_code == 404
        accept_path = f"/v1/proposals/{proposal['proposal_id']}/accept"
        assert (await nord.post(accept_path, json={"move_in": "2024-04-08"})).status_code == 404
        assert (await run(nord))["proposals"] == []  # Nord has neither cases nor units
    assert (
        ok(await hub.http.get(f"/v1/proposals/{proposal['proposal_id']}"))["status"] == "proposed"
    )


async def test_concurrent_decisions_never_overfill_a_unit(hub) -> None:
    flat = await unit_of(hub.http, "temporary")
    await new_case(hub, acceptable_kinds=["temporary"])
    proposal = (await run(hub.http))["proposals"][0]
    accept_path = f"/v1/proposals/{proposal['proposal_id']}/accept"
    move_in_path = f"/v1/units/{flat['unit_id']}/move-ins"

    responses = await asyncio.gather(
        hub.http.post(accept_path, json={"move_in": "2024-04-08"}),
        hub.http.post(accept_path, json={"move_in": "2024-04-08"}),
        hub.http.post(move_in_path, json={"on": "2024-04-08"}),
    )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409], [r.text for r in responses]
    residents = ok(await hub.http.get(f"/v1/units/{flat['unit_id']}"))["residents"]
    assert len(residents) == 1
    assigned = [e for e in await hub.events() if e.type == "HousingAssigned"]
    assert len(assigned) == (1 if residents[0]["assignment_id"] else 0)
