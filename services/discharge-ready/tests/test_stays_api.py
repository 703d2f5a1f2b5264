"""The stay API: cooperation meetings (psykisk helsevern, TSB) and who may see a stay's timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from discharge_ready.adapters import orm
from hub_shared.db import make_engine
from hub_shared.testing.http import apprec_of, bearer, status_and_errors
from hub_shared.testing.messages import (
    ALVDAL_CASEWORK,
    ST_OLAV_PSYCH,
    ST_OLAV_TSB,
    admitted,
    event,
    plo,
)

ADMITTED = datetime(2024, 4, 2, 10, 0)


def notice(sender=ST_OLAV_PSYCH) -> bytes:
    return plo(
        "LOG_UTSKRIVNINGSKLAR",
        events=[admitted(ADMITTED), event(3, date(2024, 4, 8))],
        gen_date=datetime(2024, 4, 8, 9),
        sender=sender,
        receiver=ALVDAL_CASEWORK,
    )


async def stay_of(service, sender=ST_OLAV_PSYCH) -> str:
    response = await service.post(notice(sender))
    assert status_and_errors(apprec_of(response)) == ("1", [])
    return response.headers["X-Stay-Id"]


async def call(service, stay_id: str, caller: str = "59", **payload):
    return await service.http.post(
        f"/stays/{stay_id}/cooperation-meeting", json=payload, headers=bearer(caller)
    )


async def test_a_meeting_is_registered_and_corrected_by_a_new_registration(service):
    stay_id = await stay_of(service)
    first = await call(
        service, stay_id, called_at="2024-04-05T13:00", planned_for="2024-04-10T10:00"
    )
    assert first.status_code == 201, first.text
    first_id = first.json()["registration_id"]
    assert first.json()["called_at"].startswith("2024-04-05T11:00:00")  # Oslo, summer time
    correction = await call(
        service,
        stay_id,
        called_at="2024-04-05T13:00",
        planned_for="2024-04-11T10:00",
        replaces_registration_id=first_id,
    )
    assert correction.status_code == 201, correction.text
    second_id = correction.json()["registration_id"]
    events = await service.events()
    assert [e.type for e in events] == [
        "DischargeReadyNotified",
        "CooperationMeetingCalled",
        "CooperationMeetingCalled",
    ]
    called, corrected = events[1].data, events[2].data
    assert called["registration_id"] == first_id and called["replaces_registration_id"] is None
    assert called["called_at"] == "2024-04-05T11:00:00Z"
    assert called["planned_for"] == "2024-04-10T08:00:00Z"
    assert corrected["replaces_registration_id"] == first_id
    assert corrected["planned_for"] == "2024-04-11T08:00:00Z"
    assert {e.subject for e in events} == {stay_id}
    meetings = [
        e for e in (await service.stay(stay_id))["timeline"] if e["kind"] == "cooperation_meeting"
    ]
    assert [(m["msg_id"], m["status"], m["in_force"], m["superseded_by"]) for m in meetings] == [
        (first_id, "N", False, second_id),
        (second_id, "M", True, None),
    ]
    again = await call(
        service, stay_id, called_at="2024-04-05T13:00", replaces_registration_id=first_id
    )
    assert again.status_code == 409
    assert second_id in again.json()["detail"]


async def test_the_same_registration_id_again_changes_nothing(service):
    stay_id = await stay_of(service, ST_OLAV_TSB)
    registration = str(uuid.uuid4())
    payload = {"registration_id": registration, "called_at": "2024-04-05T13:00:00+02:00"}
    assert (await call(service, stay_id, **payload)).status_code == 201
    resent = await call(service, stay_id, **payload)
    assert resent.status_code == 200
    assert resent.json()["registration_id"] == registration
    assert len(await service.events()) == 2
    other_content = await call(service, stay_id, **{**payload, "called_at": "2024-04-06T13:00"})
    assert other_content.status_code == 409


@pytest.mark.parametrize(
    ("caller", "payload", "status"),
    [
        ("800200", {"called_at": "2024-04-05T13:00"}, 404),  # another hospital
        ("99387", {"called_at": "2024-04-05T13:00"}, 404),  # the municipality: not its to say
        ("59", {"called_at": "2024-04-05T13:00", "planned_for": "2024-04-04T10:00"}, 422),
        (
            "59",
            {"called_at": "2024-04-05T13:00", "replaces_registration_id": str(uuid.uuid4())},
            409,
        ),
        ("59", {"planned_for": "2024-04-10T10:00"}, 422),
    ],
)
async def test_refused_registrations(service, caller, payload, status):
    stay_id = await stay_of(service)
    response = await call(service, stay_id, caller=caller, **payload)
    assert response.status_code == status, response.text
    assert [e.type for e in await service.events()] == ["DischargeReadyNotified"]


async def test_no_meeting_for_a_somatic_stay_an_unknown_stay_or_without_a_token(service):
    somatic = await stay_of(
        service, sender=ST_OLAV_PSYCH.model_copy(update={"service_her_id": "90998"})
    )
    assert (await call(service, somatic, called_at="2024-04-05T13:00")).status_code == 409
    assert (await call(service, str(uuid.uuid4()), called_at="2024-04-05T13:00")).status_code == 404
    no_token = await service.http.post(
        f"/stays/{somatic}/cooperation-meeting", json={"called_at": "2024-04-05T13:00"}
    )
    assert no_token.status_code == 401


async def test_the_hospital_and_the_municipality_see_the_stay_others_do_not_and_views_are_audited(
    service,
):
    stay_id = await stay_of(service)
    assert (await service.http.get(f"/stays/{stay_id}", headers=bearer("59"))).status_code == 200
    assert (await service.http.get(f"/stays/{stay_id}", headers=bearer("99387"))).status_code == 200
    assert (
        await service.http.get(f"/stays/{stay_id}", headers=bearer("800400"))
    ).status_code == 404
    assert (
        await service.http.get(f"/stays/{stay_id}", headers=bearer("800200"))
    ).status_code == 404
    assert (
        await service.http.get(f"/stays/{uuid.uuid4()}", headers=bearer("59"))
    ).status_code == 404
    assert (await service.http.get(f"/stays/{stay_id}")).status_code == 401
    engine = make_engine(service.settings.resolved_database_url())
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(orm.audit_log).order_by(orm.audit_log.c.id))).all()
    await engine.dispose()
    assert [(r.caller, r.action, r.stay_id) for r in rows] == [
        ("HER:59", "view stay", stay_id),
        ("HER:99387", "view stay", stay_id),
    ]
