"""What a housing officer does through the API, as short helpers for the tests."""

from __future__ import annotations

from typing import Any

import httpx

ALL_KINDS = ["housing_first", "transitional", "staffed", "temporary", "crisis_bed"]


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def site(
    http: httpx.AsyncClient,
    kind: str,
    name: str | None = None,
    district: str = "Sentrum",
    **rules: Any,
) -> dict[str, Any]:
    body = {"name": name or f"{kind} site", "district": district, "kind": kind, "rules": rules}
    return ok(await http.post("/v1/sites", json=body), 201)


async def unit(
    http: httpx.AsyncClient, site_id: str, label: str = "1", capacity: int = 1, **more: Any
) -> dict[str, Any]:
    body = {"label": label, "capacity": capacity, **more}
    return ok(await http.post(f"/v1/sites/{site_id}/units", json=body), 201)


async def tenant(
    http: httpx.AsyncClient, unit_id: str, on: str = "2024-01-02", **profile: Any
) -> str:
    """A tenant housed outside the hub moves in (with the profile the site rules see)."""
    body = {"on": on, **profile}
    return ok(await http.post(f"/v1/units/{unit_id}/move-ins", json=body), 201)["id"]


def needs(**fields: Any) -> dict[str, Any]:
    """Needs every kind of site accepts unless `fields` say otherwise."""
    return {
        "acceptable_kinds": ALL_KINDS,
        "age": 30,
        "individual_plan": True,
        "crisis_plan": True,
        "day_activity": True,
        "long_treatment": True,
        "known_user": True,
        "consent_to_share": True,
        **fields,
    }


async def record_needs(http: httpx.AsyncClient, case_id: str, **fields: Any) -> dict[str, Any]:
    return ok(await http.put(f"/v1/cases/{case_id}/needs", json=needs(**fields)))


async def cases(http: httpx.AsyncClient, status: str = "active") -> list[dict[str, Any]]:
    return ok(await http.get("/v1/cases", params={"status": status}))


async def case_of(http: httpx.AsyncClient, stay_id: str, status: str = "all") -> dict[str, Any]:
    found = [c for c in await cases(http, status) if c["stay_id"] == stay_id]
    assert len(found) == 1, found
    return ok(await http.get(f"/v1/cases/{found[0]['case_id']}"))


async def run(http: httpx.AsyncClient) -> dict[str, Any]:
    return ok(await http.post("/v1/matching/run"), 201)


async def accept(http: httpx.AsyncClient, proposal_id: str, move_in: str) -> dict[str, Any]:
    return ok(
        await http.post(f"/v1/proposals/{proposal_id}/accept", json={"move_in": move_in}), 201
    )
