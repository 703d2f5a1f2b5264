"""admission-notice through its real HTTP app: official samples, AppRec errors, duplicates, N/M/C."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from lxml import etree

from admission_notice.entrypoints.api import create_app
from hub_shared.elin.models import Address
from hub_shared.http.elin import ElinIngress
from hub_shared.testing.http import apprec_of, status_and_errors
from hub_shared.testing.http import post_xml as post
from hub_shared.testing.messages import ALVDAL, ST_OLAV, log_innlagt, patient

ADMITTED = datetime(2024, 4, 2, 10, 0)


def innlagt_samples(reference: Path) -> list[Path]:
    samples = list((reference / "samples" / "plo-1.6").glob("*Innlagt*"))
    samples += list((reference / "samples" / "constructed").glob("*MsgHead_LOG_INNLAGT*"))
    return samples


async def test_official_innlagt_samples_get_ok_apprec_and_an_event(
    client, elin_reference, elin_schema, outbox_events
):
    samples = innlagt_samples(elin_reference)
    assert len(samples) == 2
    for sample in samples:
        body = sample.read_bytes()
        root = apprec_of(await post(client, body))
        elin_schema.assertValid(root)
        assert status_and_errors(root) == ("1", [])
        msg_id = etree.fromstring(body).findtext(".//{*}MsgId")
        assert root.findtext("{*}OriginalMsgId/{*}Id") == msg_id
        assert root.find("{*}OriginalMsgId/{*}MsgType").get("V") == "LOG_INNLAGT"
    events = await outbox_events()
    assert [e.type for e in events] == ["AdmissionNotified", "AdmissionNotified"]
    first = events[0].data
    assert first["hospital"]["her_id"] == "59" and first["hospital"]["unit_her_id"] == "90998"
    assert first["municipality"]["her_id"] == "99387"
    assert first["municipality"]["municipality_number"] == "3428"
    assert first["sector"] == "somatic"
    assert first["without_fixed_home"] is False
    # 2018-01-29T10:00 Oslo (winter time, UTC+1) is 09:00 UTC.
    assert first["admitted_at"] == "2018-01-29T09:00:00Z"
    assert first["message"]["gen_date"] == "2018-01-29T09:11:54Z"
    assert events[0].subject == first["stay_id"]


async def test_v15_message_is_answered_with_apprec_10(client, elin_schema, outbox_events):
    body = log_innlagt(admitted_at=ADMITTED, version="1.5")
    root = apprec_of(await post(client, body))
    elin_schema.assertValid(root)
    assert etree.QName(root).namespace == "http://www.kith.no/xmlstds/apprec/2004-11-21"
    assert status_and_errors(root) == ("1", [])
    assert [e.data["message"]["plo_version"] for e in await outbox_events()] == ["1.5"]


async def test_v16_message_is_answered_with_apprec_11(client):
    root = apprec_of(await post(client, log_innlagt(admitted_at=ADMITTED)))
    assert etree.QName(root).namespace == "http://www.kith.no/xmlstds/apprec/2012-02-15"


def _replace(body: bytes, old: str, new: str) -> bytes:
    assert old.encode() in body
    return body.replace(old.encode(), new.encode(), 1)


def _drop(body: bytes, local_name: str) -> bytes:
    root = etree.fromstring(body)
    node = root.find(f".//{{*}}{local_name}")
    node.getparent().remove(node)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _error_cases() -> list:
    ok = log_innlagt(admitted_at=ADMITTED, msg_id=str(uuid.uuid4()))
    return [
        pytest.param(b"this is not xml", "T01", id="T01-not-xml"),
        pytest.param(ok[: len(ok) // 2], "T01", id="T01-truncated"),
        pytest.param(_drop(ok, "GenDate"), "T02", id="T02-schema-invalid"),
        pytest.param(
            _replace(ok, 'V="LOG_INNLAGT"', 'V="LOG_UTSKRIVNINGSKLAR"'), "T10", id="T10-wrong-type"
        ),
        pytest.param(b"<Foo xmlns='urn:x'/>", "T10", id="T10-wrong-root"),
        pytest.param(
            log_innlagt(admitted_at=ADMITTED, msg_id="not-a-uuid-123"), "E10", id="E10-msgid"
        ),
        pytest.param(
            log_innlagt(
                admitted_at=ADMITTED,
                receiver=ALVDAL.model_copy(update={"her_id": "424242", "service_her_id": "424243"}),
            ),
            "E21",
            id="E21-unknown-receiver",
        ),
        pytest.param(
            log_innlagt(admitted_at=ADMITTED, person=patient().model_copy(update={"id": None})),
            "E30",
            id="E30-no-fnr",
        ),
        pytest.param(
            log_innlagt(admitted_at=ADMITTED, person=patient("15076500566")), "E31", id="E31"
        ),
        pytest.param(
            log_innlagt(
                admitted_at=ADMITTED,
                person=patient().model_copy(update={"family_name": None, "given_name": None}),
            ),
            "E36",
            id="E36-no-name",
        ),
    ]


@pytest.mark.parametrize(("body", "code"), _error_cases())
async def test_each_error_is_a_schema_valid_apprec_with_its_code(
    client, elin_schema, outbox_events, body, code
):
    response = await post(client, body)
    root = apprec_of(response)
    elin_schema.assertValid(root)
    status, errors = status_and_errors(root)
    assert status == "2"
    assert code in errors
    error = root.find("{*}Error")
    assert error.get("DN") and error.get("S") == "2.16.578.1.12.4.1.1.8221"
    assert "15076500565" not in response.text
    assert await outbox_events() == []


async def test_transport_errors_are_http_problems(client, settings):
    wrong_type = await client.post(
        "/elin/messages", content=b"<x/>", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    assert wrong_type.headers["content-type"] == "application/problem+json"
    huge = b"<x>" + b"a" * (settings.max_body_bytes + 1) + b"</x>"
    too_large = await post(client, huge)
    assert too_large.status_code == 413


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_ingress_route_is_served_by_the_plain_asgi_app(settings):
    # FastAPI's route documents it; ElinIngress serves it without FastAPI's endpoint wrapper.
    app = create_app(settings, background=False)
    (route,) = [r for r in app.routes if getattr(r, "path", None) == "/elin/messages"]
    assert isinstance(route, APIRoute)
    assert isinstance(route.app, ElinIngress)


async def test_the_ingress_is_documented_and_answers_post_only(client):
    # Served by a plain ASGI app (hub_shared.http.elin.ElinIngress), still FastAPI's route.
    operation = (await client.get("/openapi.json")).json()["paths"]["/elin/messages"]["post"]
    assert operation["tags"] == ["ELIN"]
    assert {"200", "401", "413", "415", "503"} <= set(operation["responses"])
    assert "application/xml" in operation["responses"]["200"]["content"]
    wrong_method = await client.get("/elin/messages")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"


async def test_same_msgid_twice_gets_the_same_apprec_and_no_second_event(client, outbox_events):
    body = log_innlagt(admitted_at=ADMITTED)
    first = await post(client, body)
    second = await post(client, body)
    assert first.content == second.content
    assert second.headers["X-Duplicate"] == "true"
    assert len(await outbox_events()) == 1


async def test_concurrent_resend_storm_stores_one_message_and_one_event(client, outbox_events):
    body = log_innlagt(admitted_at=ADMITTED)
    answers = await asyncio.gather(*(post(client, body) for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(await outbox_events()) == 1


async def test_rejected_msgid_resent_gets_the_same_rejection(client, outbox_events):
    body = log_innlagt(admitted_at=ADMITTED, person=patient("15076500566"))
    first, second = await post(client, body), await post(client, body)
    assert first.content == second.content
    assert status_and_errors(apprec_of(second)) == ("2", ["E31"])


async def test_change_and_cancel_by_conversation_ref_keep_the_stay(client, outbox_events):
    original = str(uuid.uuid4())
    await post(client, log_innlagt(admitted_at=ADMITTED, msg_id=original))
    corrected = datetime(2024, 4, 2, 9, 30)
    change = log_innlagt(admitted_at=corrected, status="M", refers_to=original)
    assert status_and_errors(apprec_of(await post(client, change))) == ("1", [])
    cancel = log_innlagt(admitted_at=corrected, status="C", refers_to=original)
    assert status_and_errors(apprec_of(await post(client, cancel))) == ("1", [])
    events = await outbox_events()
    assert [e.type for e in events] == [
        "AdmissionNotified",
        "AdmissionChanged",
        "AdmissionCancelled",
    ]
    assert len({e.subject for e in events}) == 1
    assert events[1].data["replaces_msg_id"] == original
    assert events[1].data["admitted_at"] == "2024-04-02T07:30:00Z"
    stay = (await client.get(f"/stays/{events[0].subject}")).json()
    assert stay["status"] == "cancelled"
    assert stay["admitted_at"].startswith("2024-04-02T07:30:00")
    assert len(stay["messages"]) == 3
    assert "15076500565" not in str(stay)


async def test_the_time_a_correction_replaced_still_names_the_corrected_stay(client, outbox_events):
    # The stay keeps the id its first admission time derived to. A new notice with that first
    # time again (a new MsgId) is the same admission announced again: acknowledged, no event
    # (it used to collide with the corrected stay's id and fail with a 500).
    original = str(uuid.uuid4())
    first = await post(client, log_innlagt(admitted_at=ADMITTED, msg_id=original))
    change = log_innlagt(admitted_at=datetime(2024, 4, 2, 9, 30), status="M", refers_to=original)
    await post(client, change)
    again = await post(client, log_innlagt(admitted_at=ADMITTED))
    assert status_and_errors(apprec_of(again)) == ("1", [])
    assert again.headers["X-Stay-Id"] == first.headers["X-Stay-Id"]
    assert [e.type for e in await outbox_events()] == ["AdmissionNotified", "AdmissionChanged"]
    stay = (await client.get(f"/stays/{first.headers['X-Stay-Id']}")).json()
    assert stay["admitted_at"].startswith("2024-04-02T07:30")


async def test_cancel_without_conversation_ref_links_by_stay_key(client, outbox_events):
    await post(client, log_innlagt(admitted_at=ADMITTED))
    await post(client, log_innlagt(admitted_at=ADMITTED, status="C"))
    events = await outbox_events()
    assert [e.type for e in events] == ["AdmissionNotified", "AdmissionCancelled"]
    assert events[0].subject == events[1].subject


async def test_same_admission_under_a_new_msgid_is_acknowledged_without_a_new_event(
    client, outbox_events
):
    await post(client, log_innlagt(admitted_at=ADMITTED))
    root = apprec_of(await post(client, log_innlagt(admitted_at=ADMITTED)))
    assert status_and_errors(root) == ("1", [])
    assert len(await outbox_events()) == 1


@pytest.mark.parametrize(
    ("address", "without_home"),
    [
        (Address(street="Flåklypa 31", postal_code="2560", city="Alvdal"), False),
        (None, True),
        (Address(street="Uten fast bopel", city="Alvdal"), True),
    ],
)
async def test_patient_without_fixed_home_is_marked(client, outbox_events, address, without_home):
    person = patient(address=address)
    await post(client, log_innlagt(admitted_at=ADMITTED, person=person))
    (event,) = await outbox_events()
    assert event.data["without_fixed_home"] is without_home


async def test_sector_comes_from_the_sending_unit_in_the_register(client, outbox_events):
    psych = ST_OLAV.model_copy(update={"service_her_id": "800101"})
    await post(client, log_innlagt(admitted_at=ADMITTED, sender=psych))
    (event,) = await outbox_events()
    assert event.data["sector"] == "psychiatric"


async def test_unknown_stay_is_404(client):
    assert (await client.get(f"/stays/{uuid.uuid4()}")).status_code == 404


async def test_a_cancellation_overtaking_its_original_keeps_the_late_original_void(
    client, outbox_events
):
    original = str(uuid.uuid4())
    gen = datetime(2024, 4, 2, 11, 0)
    cancel = log_innlagt(
        admitted_at=ADMITTED, gen_date=gen.replace(hour=12), status="C", refers_to=original
    )
    assert status_and_errors(apprec_of(await post(client, cancel))) == ("1", [])
    late = log_innlagt(admitted_at=ADMITTED, gen_date=gen, msg_id=original)
    assert status_and_errors(apprec_of(await post(client, late))) == ("1", [])
    events = await outbox_events()
    assert [e.type for e in events] == ["AdmissionCancelled"]
    stay = (await client.get(f"/stays/{events[0].subject}")).json()
    assert stay["status"] == "cancelled"
