"""Housing cases: opened from AdmissionNotified (patients without a fixed home) or by hand;
urgency and the clock from DischargeReadyNotified; closed by a cancelled admission or a discharge.
Events are fed through the service's idempotent consumer, in and out of order."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from housing_events import (
    Stay,
    admission,
    admission_cancelled,
    discharged,
    notice_cancelled,
    notice_moved,
    ready,
    withdrawn,
)
from office import case_of, cases, needs, ok, record_needs

from housing_match.adapters import orm


async def test_admission_without_fixed_home_opens_a_case_and_emits_the_event(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay, without_fixed_home=True))

    case = await case_of(hub.http, stay.stay_id)
    assert case["status"] == "open"
    assert case["opened_by"] == "admission"
    assert case["urgency"] == "undated"
    assert case["clock_days"] == 0 and case["notice_on"] is None
    assert case["needs_recorded"] is False
    assert case["patient"] == stay.patient_id[:6] + "*****"
    assert case["family_name"] == "Gundersen"
    events = await hub.events()
    assert [e.type for e in events] == ["HousingCaseOpened"]
    assert events[0].subject == stay.stay_id
    assert events[0].data["case_id"] == case["case_id"]
    assert events[0].data["municipality_her"] == "99387"
    assert events[0].data["opened_by"] == "admission"


async def test_admission_with_a_fixed_home_opens_no_case(hub) -> None:
    await hub.feed(admission(Stay(), without_fixed_home=False))

    assert await cases(hub.http, "all") == []
    assert await hub.events() == []


async def test_a_redelivered_admission_opens_one_case(hub) -> None:
    stay = Stay()
    event = admission(stay)
    await hub.feed(event, event)

    assert len(await cases(hub.http, "all")) == 1
    assert [e.type for e in await hub.events()] == ["HousingCaseOpened"]


async def test_the_discharge_ready_notice_starts_the_clock(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay))
    before = await case_of(hub.http, stay.stay_id)

    # Notice on Friday 5 April, ready from Saturday 6 April; today is Monday 8 April.
    await hub.feed(ready(stay, ready_on=date(2024, 4, 6), sent="2024-04-05T14:00"))
    after = await case_of(hub.http, stay.stay_id)

    assert before["urgency"] == "undated"
    assert after["urgency"] == "clock_running"
    assert after["notice_on"] == "2024-04-05"
    assert after["days_since_notice"] == 3
    assert after["clock_started_on"] == "2024-04-06"
    assert after["clock_days"] == 3  # Saturday, Sunday and today


async def test_a_notice_for_a_later_day_makes_the_case_expected_not_running(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay), ready(stay, ready_on=date(2024, 4, 15)))

    case = await case_of(hub.http, stay.stay_id)
    assert case["urgency"] == "discharge_expected"
    assert case["clock_started_on"] == "2024-04-15"
    assert case["clock_days"] == 0


async def test_the_list_puts_running_clocks_first(hub) -> None:
    calm, urgent, expected = Stay(), Stay(), Stay()
    await hub.feed(admission(calm), admission(urgent), admission(expected))
    await hub.feed(ready(urgent), ready(expected, ready_on=date(2024, 4, 20)))

    listed = [c["stay_id"] for c in await cases(hub.http)]
    assert listed == [urgent.stay_id, expected.stay_id, calm.stay_id]


async def test_a_notice_before_the_admission_counts_once_the_case_opens(hub) -> None:
    # discharge.v1 and admission.v1 are different topics: no order between them.
    stay = Stay()
    await hub.feed(ready(stay), admission(stay))

    case = await case_of(hub.http, stay.stay_id)
    assert case["urgency"] == "clock_running"
    assert case["clock_started_on"] == "2024-04-08"


async def test_withdrawn_readiness_stops_the_urgency(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay), ready(stay), withdrawn(stay))

    case = await case_of(hub.http, stay.stay_id)
    assert case["urgency"] == "undated" and case["clock_days"] == 0


@pytest.mark.parametrize("void", [notice_cancelled, notice_moved], ids=["cancelled", "moved"])
async def test_a_void_notice_no_longer_counts(hub, void) -> None:
    stay = Stay()
    notice = ready(stay)
    await hub.feed(notice, void(stay, notice), admission(stay))

    case = await case_of(hub.http, stay.stay_id)
    assert case["urgency"] == "undated" and case["clock_days"] == 0


async def test_a_cancelled_admission_closes_the_case(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay), admission_cancelled(stay))

    case = await case_of(hub.http, stay.stay_id)
    assert case["status"] == "closed"
    assert case["close_reason"] == "admission_cancelled"
    assert await cases(hub.http) == []  # not among the active ones


async def test_a_discharge_closes_the_case(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay), ready(stay), discharged(stay))

    case = await case_of(hub.http, stay.stay_id)
    assert case["status"] == "closed" and case["close_reason"] == "discharged"


async def test_a_discharge_before_the_admission_gives_the_same_closed_case(hub) -> None:
    stay = Stay()
    await hub.feed(discharged(stay), admission(stay))

    case = await case_of(hub.http, stay.stay_id)
    assert case["status"] == "closed" and case["close_reason"] == "discharged"
    assert [e.type for e in await hub.events()] == ["HousingCaseOpened"]


async def test_an_officer_opens_a_case_by_hand_and_it_meets_the_stays_events(hub) -> None:
    stay = Stay()
    body = {
        "patient": {"id": stay.patient_id, "family_name": "Gundersen", "given_name": "Roland"},
        "hospital_her": "90998",  # a unit: the stay is keyed by its organisation (59)
        "admitted_at": stay.admitted,
        "needs": needs(acceptable_kinds=["temporary"]),
    }
    opened = ok(await hub.http.post("/v1/cases", json=body), 201)
    assert opened["stay_id"] == stay.stay_id
    assert opened["opened_by"] == "officer" and opened["needs_recorded"] is True

    await hub.feed(admission(stay), ready(stay))  # the same stay: no second case
    case = await case_of(hub.http, stay.stay_id)
    assert case["case_id"] == opened["case_id"]
    assert case["urgency"] == "clock_running"
    events = await hub.events()
    assert [e.type for e in events] == ["HousingCaseOpened"]
    assert events[0].data["opened_by"] == "officer"

    again = await hub.http.post("/v1/cases", json=body)
    assert again.status_code == 409
    assert again.json()["case_id"] == opened["case_id"]


async def test_a_case_by_hand_needs_a_valid_patient_number_and_a_hospital(hub) -> None:
    stay = Stay()
    wrong_digits = stay.patient_id[:-1] + str((int(stay.patient_id[-1]) + 1) % 10)
    base = {"patient": {"id": stay.patient_id}, "hospital_her": "59", "admitted_at": stay.admitted}
    bad_number = {**base, "patient": {"id": wrong_digits}}
    not_a_hospital = {**base, "hospital_her": "99387"}

    assert (await hub.http.post("/v1/cases", json=bad_number)).status_code == 422
    assert (await hub.http.post("/v1/cases", json=not_a_hospital)).status_code == 422


async def test_needs_are_recorded_and_checked(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay))
    case = await case_of(hub.http, stay.stay_id)

    recorded = await record_needs(hub.http, case["case_id"], age=19, wished_district="Nord")
    assert recorded["needs_recorded"] is True
    assert recorded["needs"]["age"] == 19 and recorded["needs"]["wished_district"] == "Nord"

    both = needs(active_use=True, in_recovery=True)
    response = await hub.http.put(f"/v1/cases/{case['case_id']}/needs", json=both)
    assert response.status_code == 422
    assert "either in active use or in recovery" in response.json()["detail"]
    nothing = needs(acceptable_kinds=[])
    assert (
        await hub.http.put(f"/v1/cases/{case['case_id']}/needs", json=nothing)
    ).status_code == 422


async def test_an_officer_closes_a_case(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay))
    case = await case_of(hub.http, stay.stay_id)

    closed = ok(
        await hub.http.post(f"/v1/cases/{case['case_id']}/close", json={"reason": "egen bolig"})
    )
    assert closed["status"] == "closed" and closed["close_reason"] == "egen bolig"


async def test_cases_are_the_municipalitys_own_and_every_view_is_audited(hub) -> None:
    stay = Stay()
    await hub.feed(admission(stay))
    case = await case_of(hub.http, stay.stay_id)

    async with hub.as_party("800400") as other, hub.as_party("59") as hospital:
        assert (await other.get(f"/v1/cases/{case['case_id']}")).status_code == 404
        assert ok(await other.get("/v1/cases", params={"status": "all"})) == []
        assert (await hospital.get("/v1/cases")).status_code == 403
    assert (await hub.http.get("/v1/cases", headers={"authorization": ""})).status_code == 401

    audit = await hub.rows(orm.audit_log, orm.audit_log.c.stay_id == stay.stay_id)
    actions = [(a.caller, a.action) for a in audit]
    assert ("HER:99387", "view case") in actions and ("HER:99387", "list cases") in actions
    assert all(a.caller == "HER:99387" for a in audit)
    async with hub.uow() as uow:
        logged = (await uow.session.execute(sa.select(orm.audit_log.c.detail))).scalars().all()
    assert not any(stay.patient_id in text for text in logged)
