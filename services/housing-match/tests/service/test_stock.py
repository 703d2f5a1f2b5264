"""The housing stock through the API: sites of the five kinds with rules only ever tighter than
their kind's, units, move-in and move-out, retirement; each municipality sees only its own."""

from __future__ import annotations

from office import ok, site, tenant, unit

from housing_match.adapters import orm


async def test_a_site_gets_its_kinds_rules_tightened_as_asked(hub) -> None:
    created = await site(hub.http, "transitional", "Overgangsbolig Fjell", min_age=23, max_units=9)

    rules = created["rules"]
    assert created["kind"] == "transitional"
    assert rules["drug_free"] and rules["excludes_active_use"] and rules["requires_crisis_plan"]
    assert rules["min_age"] == 23 and rules["max_units"] == 9
    assert created["units"] == 0 and created["free_places"] == 0
    assert ok(await hub.http.get(f"/v1/sites/{created['site_id']}")) == created


async def test_a_site_cannot_loosen_its_kinds_rules(hub) -> None:
    drugs_allowed = {
        "name": "X",
        "district": "Y",
        "kind": "transitional",
        "rules": {"drug_free": False},
    }
    no_limit = {
        "name": "X",
        "district": "Y",
        "kind": "housing_first",
        "rules": {"max_heavy_needs": None},
    }
    younger = {"name": "X", "district": "Y", "kind": "transitional", "rules": {"min_age": 16}}

    for body in (drugs_allowed, no_limit, younger):
        response = await hub.http.post("/v1/sites", json=body)
        assert response.status_code == 422, body
        assert "may only tighten" in response.json()["detail"]
    assert ok(await hub.http.get("/v1/sites")) == []


async def test_a_change_may_undo_a_tightening_but_not_go_below_the_kind(hub) -> None:
    created = await site(hub.http, "staffed", min_age=25)
    path = f"/v1/sites/{created['site_id']}"

    relaxed = ok(await hub.http.patch(path, json={"rules": {"min_age": 18}, "name": "Bemannet"}))
    assert relaxed["rules"]["min_age"] == 18 and relaxed["name"] == "Bemannet"
    below = await hub.http.patch(path, json={"rules": {"excludes_active_use": False}})
    assert below.status_code == 422


async def test_units_count_against_the_sites_limit(hub) -> None:
    house = await site(hub.http, "transitional", max_units=2)
    await unit(hub.http, house["site_id"], "1")
    await unit(hub.http, house["site_id"], "2")

    third = await hub.http.post(f"/v1/sites/{house['site_id']}/units", json={"label": "3"})
    assert third.status_code == 409
    assert ok(await hub.http.get(f"/v1/sites/{house['site_id']}"))["units"] == 2


async def test_move_in_and_move_out_change_the_free_places(hub) -> None:
    flat = await unit(hub.http, (await site(hub.http, "temporary"))["site_id"], "A", capacity=2)
    free = lambda: hub.http.get("/v1/units", params={"free": "true"})  # noqa: E731

    first = await tenant(hub.http, flat["unit_id"], active_use=True)
    assert ok(await free())[0]["free_places"] == 1
    await tenant(hub.http, flat["unit_id"])
    assert ok(await free()) == []
    full = await hub.http.post(f"/v1/units/{flat['unit_id']}/move-ins", json={"on": "2024-04-01"})
    assert full.status_code == 409

    # A planned move-out: the place is offered from that day, the leaving tenant not counted.
    path = f"/v1/units/{flat['unit_id']}/residents/{first}/move-out"
    assert (await hub.http.post(path, json={"on": "2024-04-20"})).status_code == 204
    offered = ok(await free())
    assert offered[0]["free_places"] == 1 and offered[0]["available_from"] == "2024-04-20"

    detail = ok(await hub.http.get(f"/v1/units/{flat['unit_id']}"))
    assert [r["moved_out_on"] for r in detail["residents"]] == ["2024-04-20", None]
    assert detail["residents"][0]["active_use"] is True
    audit = await hub.rows(orm.audit_log, orm.audit_log.c.action == "view unit residents")
    assert [a.detail for a in audit] == [flat["unit_id"]]


async def test_a_unit_or_site_is_retired_only_when_empty(hub) -> None:
    house = await site(hub.http, "housing_first")
    flat = await unit(hub.http, house["site_id"])
    resident = await tenant(hub.http, flat["unit_id"])

    assert (await hub.http.post(f"/v1/units/{flat['unit_id']}/retire")).status_code == 409
    assert (await hub.http.post(f"/v1/sites/{house['site_id']}/retire")).status_code == 409
    path = f"/v1/units/{flat['unit_id']}/residents/{resident}/move-out"
    assert (await hub.http.post(path, json={"on": "2024-04-08"})).status_code == 204
    retired = ok(await hub.http.post(f"/v1/sites/{house['site_id']}/retire"))

    assert retired["retired_at"] is not None
    assert ok(await hub.http.get("/v1/sites")) == []
    assert ok(await hub.http.get("/v1/units")) == []
    assert (
        await hub.http.post(f"/v1/sites/{house['site_id']}/units", json={"label": "2"})
    ).status_code == 409


async def test_a_unit_capacity_cannot_drop_below_its_residents(hub) -> None:
    flat = await unit(hub.http, (await site(hub.http, "temporary"))["site_id"], capacity=2)
    await tenant(hub.http, flat["unit_id"])
    await tenant(hub.http, flat["unit_id"])

    assert (
        await hub.http.patch(f"/v1/units/{flat['unit_id']}", json={"capacity": 1})
    ).status_code == 409
    later = ok(
        await hub.http.patch(f"/v1/units/{flat['unit_id']}", json={"capacity": 3, "label": "B"})
    )
    assert later["capacity"] == 3 and later["label"] == "B" and later["free_places"] == 1


async def test_each_municipality_sees_and_changes_only_its_own_stock(hub) -> None:
    mine = await site(hub.http, "housing_first", "Alvdal HF")
    flat = await unit(hub.http, mine["site_id"])

    async with hub.as_party("800400") as nord:
        assert ok(await nord.get("/v1/sites")) == []
        assert (await nord.get(f"/v1/sites/{mine['site_id']}")).status_code == 404
        assert (
            await nord.patch(f"/v1/units/{flat['unit_id']}", json={"label": "x"})
        ).status_code == 404
        assert (
            await nord.post(f"/v1/sites/{mine['site_id']}/units", json={"label": "x"})
        ).status_code == 404
        assert (
            await nord.post(f"/v1/units/{flat['unit_id']}/move-ins", json={"on": "2024-04-08"})
        ).status_code == 404
        theirs = await site(nord, "temporary", "Nord akutt")
    assert [s["name"] for s in ok(await hub.http.get("/v1/sites"))] == ["Alvdal HF"]
    assert (await hub.http.get(f"/v1/sites/{theirs['site_id']}")).status_code == 404
    async with hub.as_party("59") as hospital:
        assert (await hospital.get("/v1/sites")).status_code == 403
    # Acting for someone else, even by naming them, is refused.
    assert (await hub.http.get("/v1/sites", params={"municipality": "800400"})).status_code == 403


async def test_a_place_being_left_is_taken_from_the_move_out_day_only(hub) -> None:
    flat = await unit(hub.http, (await site(hub.http, "housing_first"))["site_id"])
    leaving = await tenant(hub.http, flat["unit_id"])
    path = f"/v1/units/{flat['unit_id']}/residents/{leaving}/move-out"
    assert (await hub.http.post(path, json={"on": "2024-04-20"})).status_code == 204
    move_in = f"/v1/units/{flat['unit_id']}/move-ins"

    assert (await hub.http.post(move_in, json={"on": "2024-04-19"})).status_code == 409
    assert (await hub.http.post(move_in, json={"on": "2024-04-20"})).status_code == 201
    assert ok(await hub.http.get(f"/v1/units/{flat['unit_id']}"))["status"] == "occupied"
