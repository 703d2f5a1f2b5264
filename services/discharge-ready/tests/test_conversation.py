"""The readiness conversation through the real app: changes and cancellations, arrival out of
order, duplicates, messages that wait for their stay, the municipality's answers, AppRec errors."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Any

import pytest
from lxml import etree

from hub_shared.elin.builder import build_dialog_message
from hub_shared.elin.models import CodedValue, ConversationRef, PatientIdentity
from hub_shared.testing.http import apprec_of, bearer, status_and_errors
from hub_shared.testing.messages import (
    ALVDAL,
    ALVDAL_CASEWORK,
    ST_OLAV,
    admitted,
    event,
    log_innlagt,
    patient,
    plo,
)

ADMITTED = datetime(2024, 4, 2, 10, 0)
NOTICE_SENT = datetime(2024, 4, 8, 9, 0)
SOMEONE_ELSE = patient("01015000232", family="Testesen", given="Kari")


def notice(*, ready_on: date = date(2024, 4, 8), sent: datetime = NOTICE_SENT, **kw: Any) -> bytes:
    return plo(
        "LOG_UTSKRIVNINGSKLAR",
        events=[admitted(kw.pop("admitted_at", ADMITTED)), event(3, ready_on)],
        gen_date=sent,
        **{"receiver": ALVDAL_CASEWORK, **kw},
    )


def withdrawal(at: datetime, **kw: Any) -> bytes:
    events = [admitted(ADMITTED), event(4, at)]
    return plo("LOG_AVMELDING", events=events, gen_date=at, receiver=ALVDAL_CASEWORK, **kw)


def discharged(at: datetime, *, died: bool = False, **kw: Any) -> bytes:
    return plo(
        "LOG_UTSKREVET",
        events=[event(2, at)],
        gen_date=at,
        discharged_to=CodedValue(code="1"),
        discharge_condition="2" if died else "1",
        **kw,
    )


def answer(
    note: str,
    *,
    refers_to: str | None = None,
    sent: datetime = datetime(2024, 4, 8, 11, 0),
    person: PatientIdentity | None = None,
    theme: str = "7",
    msg_id: str | None = None,
) -> bytes:
    ref = (
        ConversationRef(ref_to_parent=refers_to, ref_to_conversation=refers_to)
        if refers_to
        else None
    )
    return build_dialog_message(
        msg_id=msg_id or str(uuid.uuid4()),
        gen_date=sent,
        sender=ALVDAL_CASEWORK,
        receiver=ST_OLAV,
        patient=person or patient(),
        note=note,
        theme=theme,
        conversation_ref=ref,
    )


def msg_id_of(body: bytes) -> str:
    return etree.fromstring(body).findtext(".//{*}MsgId")


async def accepted(response) -> str:
    assert status_and_errors(apprec_of(response)) == ("1", []), response.text
    return response.headers["X-Stay-Id"]


# --- changes and cancellations ------------------------------------------------------------------
async def test_change_and_cancellation_by_conversation_ref(service):
    original = notice()
    stay_id = await accepted(await service.post(original))
    first = msg_id_of(original)
    change = notice(
        ready_on=date(2024, 4, 9), sent=datetime(2024, 4, 8, 12), status="M", refers_to=first
    )
    cancel = notice(sent=datetime(2024, 4, 8, 13), status="C", refers_to=first)
    assert await accepted(await service.post(change)) == stay_id
    assert await accepted(await service.post(cancel)) == stay_id
    events = await service.events()
    assert [e.type for e in events] == [
        "DischargeReadyNotified",
        "DischargeReadyNotified",
        "DischargeMessageCancelled",
    ]
    assert events[1].data["replaces_msg_id"] == first
    assert events[1].data["ready_on"] == "2024-04-09"
    assert events[1].data["message"]["conversation_id"] == first
    assert events[2].data["cancels_msg_id"] == first
    assert events[2].data["cancelled_type"] == "LOG_UTSKRIVNINGSKLAR"
    view = await service.stay(stay_id)
    assert view["readiness"] == "not_ready"
    states = [(e["status"], e["in_force"], e["cancelled_by"]) for e in view["timeline"]]
    cancel_id = msg_id_of(cancel)
    assert states == [("N", False, cancel_id), ("M", False, cancel_id), ("C", False, None)]


async def test_a_cancelled_discharge_reopens_the_stay(service):
    stay_id = await accepted(await service.post(notice()))
    discharge = discharged(datetime(2024, 4, 10, 12))
    await accepted(await service.post(discharge))
    assert (await service.stay(stay_id))["readiness"] == "discharged"
    cancel = discharged(datetime(2024, 4, 10, 13), status="C", refers_to=msg_id_of(discharge))
    assert await accepted(await service.post(cancel)) == stay_id
    assert (await service.stay(stay_id))["readiness"] == "ready"
    assert [e.type for e in await service.events()][-1] == "DischargeMessageCancelled"


async def test_death_is_a_discharge_as_dead(service):
    stay_id = await accepted(await service.post(notice()))
    await accepted(await service.post(discharged(datetime(2024, 4, 11, 5, 40), died=True)))
    died = (await service.events())[-1]
    assert died.type == "PatientDischarged" and died.data["died"] is True
    assert died.data["discharged_at"] == "2024-04-11T03:40:00Z"  # summer time, UTC+2
    assert (await service.stay(stay_id))["readiness"] == "died"


async def test_pasientlogistikk_15_gets_apprec_10_and_says_its_version(service, elin_schema):
    response = await service.post(notice(version="1.5"))
    root = apprec_of(response)
    elin_schema.assertValid(root)
    assert etree.QName(root).namespace == "http://www.kith.no/xmlstds/apprec/2004-11-21"
    assert status_and_errors(root) == ("1", [])
    (notified,) = await service.events()
    assert notified.data["message"]["plo_version"] == "1.5"


# --- arrival out of order -----------------------------------------------------------------------
def _shape(view: dict[str, Any]) -> dict[str, Any]:
    """A stay view without what differs between two patients' runs (ids, receive times)."""
    timeline = [
        {k: v for k, v in e.items() if k in ("kind", "time", "status", "in_force", "details")}
        for e in view["timeline"]
    ]
    keep = ("linked", "admission", "admission_known", "admitted_at", "sector", "readiness")
    return {**{k: view[k] for k in keep}, "timeline": timeline}


async def test_notice_before_the_admission_event_ends_as_in_order(service, admission_notice):
    in_order, out_of_order = patient(), SOMEONE_ELSE
    await accepted(await admission_notice.post(log_innlagt(admitted_at=ADMITTED, person=in_order)))
    await service.deliver(*await admission_notice.new_events())
    first = await accepted(await service.post(notice(person=in_order)))

    second = await accepted(await service.post(notice(person=out_of_order)))
    await accepted(
        await admission_notice.post(log_innlagt(admitted_at=ADMITTED, person=out_of_order))
    )
    (late,) = await admission_notice.new_events()
    assert late.subject == second  # both services derive the same stay id
    await service.deliver(late)

    assert _shape(await service.stay(first)) == _shape(await service.stay(second))
    assert (await service.stay(second))["admission_known"] is True
    events = await service.events()
    assert [e.type for e in events] == ["DischargeReadyNotified"] * 2
    # What was known when each notice was told: the admission, or not yet.
    assert [e.data["stay"]["admission_known"] for e in events] == [True, False]


async def test_a_notice_keyed_by_a_corrected_admission_time_finds_the_stay(
    service, admission_notice
):
    person = patient()
    original = log_innlagt(admitted_at=ADMITTED, person=person)
    stay_id = await accepted(await admission_notice.post(original))
    corrected_at = datetime(2024, 4, 2, 9, 30)
    correction = log_innlagt(
        admitted_at=corrected_at, person=person, status="M", refers_to=msg_id_of(original)
    )
    assert await accepted(await admission_notice.post(correction)) == stay_id
    await service.deliver(*await admission_notice.new_events())

    ready = notice(person=person, admitted_at=corrected_at)
    assert await accepted(await service.post(ready)) == stay_id
    view = await service.stay(stay_id)
    assert view["admitted_at"].startswith("2024-04-02T07:30")  # 09:30 in Oslo, in UTC
    assert [e["msg_id"] for e in view["timeline"]] == [msg_id_of(ready)]


async def test_a_notice_keyed_by_a_corrected_admission_time_joins_the_corrected_stay(
    service, admission_notice
):
    person = patient()
    original = log_innlagt(admitted_at=ADMITTED, person=person)
    stay_id = await accepted(await admission_notice.post(original))
    await service.deliver(*await admission_notice.new_events())
    corrected_at = datetime(2024, 4, 2, 9, 30)
    correction = log_innlagt(
        admitted_at=corrected_at, person=person, status="M", refers_to=msg_id_of(original)
    )
    assert await accepted(await admission_notice.post(correction)) == stay_id
    (changed,) = await admission_notice.new_events()
    assert changed.type == "AdmissionChanged"
    # The hospital's readiness notice carries the corrected time and overtakes the change.
    ready = notice(person=person, admitted_at=corrected_at)
    twin_id = await accepted(await service.post(ready))
    assert twin_id != stay_id  # the notice formed a stay under the time no stay had yet
    await service.deliver(changed)

    view = await service.stay(stay_id)
    assert [e["msg_id"] for e in view["timeline"]] == [msg_id_of(ready)]
    assert (
        await service.http.get(f"/stays/{twin_id}", headers=bearer(ST_OLAV.her_id))
    ).status_code == 404
    told = [(e.type, e.subject) for e in await service.events()]
    assert told == [
        ("DischargeReadyNotified", twin_id),
        ("DischargeReadyNotified", stay_id),
        ("DischargeMessageMoved", twin_id),
    ]
    moved = (await service.events())[-1].data
    assert (moved["msg_id"], moved["moved_to"]) == (msg_id_of(ready), stay_id)
    # The same message again (the EPJ's retry) is answered as before and changes nothing.
    again = await service.post(ready)
    assert again.headers["X-Duplicate"] == "true"
    assert again.headers["X-Stay-Id"] == stay_id  # its message log row moved with it
    assert len(await service.events()) == 3


async def test_change_before_its_original_ends_as_in_order(service):
    original = notice()
    change = notice(
        ready_on=date(2024, 4, 9),
        sent=datetime(2024, 4, 8, 12),
        status="M",
        refers_to=msg_id_of(original),
    )
    stay_id = await accepted(await service.post(change))
    assert await accepted(await service.post(original)) == stay_id
    events = await service.events()
    assert [(e.type, e.data["replaces_msg_id"]) for e in events] == [
        ("DischargeReadyNotified", msg_id_of(original))
    ]
    view = await service.stay(stay_id)
    assert [(e["status"], e["in_force"]) for e in view["timeline"]] == [("N", False), ("M", True)]
    assert view["timeline"][0]["superseded_by"] == msg_id_of(change)


async def test_cancellation_before_its_original_voids_it(service):
    original = notice()
    cancel = notice(sent=datetime(2024, 4, 8, 13), status="C", refers_to=msg_id_of(original))
    stay_id = await accepted(await service.post(cancel))
    await accepted(await service.post(original))
    events = await service.events()
    assert [e.type for e in events] == ["DischargeMessageCancelled"]
    assert (await service.stay(stay_id))["readiness"] == "not_ready"


async def test_a_discharge_of_an_unknown_patient_waits_for_its_stay(service):
    discharge = discharged(datetime(2024, 4, 12, 14))
    waiting = await accepted(await service.post(discharge))
    assert await service.events() == []
    view = await service.stay(waiting)
    assert (view["linked"], view["admitted_at"], view["readiness"]) == (False, None, "discharged")
    assert [e["kind"] for e in view["timeline"]] == ["discharge"]

    stay_id = await accepted(await service.post(notice()))
    assert stay_id != waiting
    events = await service.events()
    assert [e.type for e in events] == ["DischargeReadyNotified", "PatientDischarged"]
    assert {e.subject for e in events} == {stay_id}
    assert (await service.stay(stay_id))["readiness"] == "discharged"
    assert (await service.stay(waiting))["timeline"] == []
    again = await service.post(discharge)  # the same MsgId: its AppRec, now with its stay
    assert again.headers["X-Duplicate"] == "true" and again.headers["X-Stay-Id"] == stay_id


async def test_a_discharge_and_its_stay_arriving_together_end_on_the_same_stay(service):
    # Posted together they share one transaction (group commit): the discharge waits, the
    # notice forms the stay and adopts it, and the discharge's message log entry moves too.
    discharge = discharged(datetime(2024, 4, 12, 14))
    first, second = await asyncio.gather(service.post(discharge), service.post(notice()))
    stay_id = await accepted(second)
    assert await accepted(first) != stay_id
    assert [e.type for e in await service.events()] == [
        "DischargeReadyNotified",
        "PatientDischarged",
    ]
    again = await service.post(discharge)
    assert again.headers["X-Duplicate"] == "true" and again.headers["X-Stay-Id"] == stay_id


async def test_a_waiting_discharge_joins_the_stay_its_admission_event_announces(
    service, admission_notice
):
    waiting = await accepted(await service.post(discharged(datetime(2024, 4, 12, 14))))
    await accepted(await admission_notice.post(log_innlagt(admitted_at=ADMITTED)))
    (admission,) = await admission_notice.new_events()
    await service.deliver(admission)
    (event_,) = await service.events()
    assert event_.type == "PatientDischarged" and event_.subject == admission.subject
    assert event_.data["stay"]["admission_known"] is True
    assert (await service.stay(waiting))["timeline"] == []


async def test_an_answer_before_its_notice_waits_and_then_answers_it(service):
    the_notice = notice()
    await accepted(await service.answer(answer("KAN-IKKE-MOTTA", refers_to=msg_id_of(the_notice))))
    assert await service.events() == []
    await accepted(await service.post(the_notice))
    events = await service.events()
    assert [e.type for e in events] == ["DischargeReadyNotified", "MunicipalityAnswered"]
    assert events[1].data["answers_msg_id"] == msg_id_of(the_notice)


async def test_the_same_admission_event_twice_changes_nothing(service, admission_notice):
    await accepted(await service.post(discharged(datetime(2024, 4, 12, 14))))
    await accepted(await admission_notice.post(log_innlagt(admitted_at=ADMITTED)))
    (admission,) = await admission_notice.new_events()
    await service.deliver(admission)
    before = await service.stay(admission.subject)
    await service.deliver(admission)
    assert len(await service.events()) == 1
    assert await service.stay(admission.subject) == before


# --- duplicates -----------------------------------------------------------------------------
async def test_same_msgid_twice_gets_the_same_apprec_and_no_second_event(service):
    body = notice()
    first, second = await service.post(body), await service.post(body)
    assert first.content == second.content
    assert second.headers["X-Duplicate"] == "true"
    assert len(await service.events()) == 1
    reply = answer("KAN-MOTTA: 2024-04-12", refers_to=msg_id_of(body))
    assert (await service.answer(reply)).content == (await service.answer(reply)).content
    assert len(await service.events()) == 2


# --- the municipality's answer ------------------------------------------------------------------
async def test_answers_link_by_conversation_ref_and_say_what_they_say(service):
    body = notice()
    stay_id = await accepted(await service.post(body))
    notice_id = msg_id_of(body)
    cannot = answer("KAN-IKKE-MOTTA; FORVENTET: 2024-04-11\nVi leter.", refers_to=notice_id)
    can = answer("KAN-MOTTA: 2024-04-12", refers_to=notice_id, sent=datetime(2024, 4, 12, 8))
    assert await accepted(await service.answer(cannot)) == stay_id
    assert await accepted(await service.answer(can)) == stay_id
    first, second = (e.data for e in (await service.events())[1:])
    assert (first["can_receive"], first["expected_on"], first["ready_from"]) == (
        False,
        "2024-04-11",
        None,
    )
    assert (second["can_receive"], second["ready_from"]) == (True, "2024-04-12")
    assert first["answers_msg_id"] == second["answers_msg_id"] == notice_id
    assert second["answered_at"] == "2024-04-12T06:00:00Z"
    assert second["municipality"]["unit_her_id"] == "800301"


async def test_an_answer_without_conversation_ref_goes_to_the_running_notice(service):
    body = notice()
    stay_id = await accepted(await service.post(body))
    assert await accepted(await service.answer(answer("KAN-IKKE-MOTTA"))) == stay_id
    assert (await service.events())[-1].data["answers_msg_id"] == msg_id_of(body)


async def test_an_answer_with_nothing_to_answer_waits(service):
    stay_id = await accepted(await service.post(notice()))
    await accepted(await service.post(withdrawal(datetime(2024, 4, 9, 10))))
    waiting = await accepted(await service.answer(answer("KAN-IKKE-MOTTA")))
    assert waiting != stay_id
    assert [e.type for e in await service.events()] == [
        "DischargeReadyNotified",
        "DischargeReadyWithdrawn",
    ]


@pytest.mark.parametrize(
    "note", ["Vi kan ta imot pasienten fredag.", "KAN-MOTTA: fredag", "KAN-MOTTA: 2024-02-30"]
)
async def test_an_unreadable_answer_is_accepted_and_never_counts_as_can_receive(service, note):
    body = notice()
    stay_id = await accepted(await service.post(body))
    assert await accepted(await service.answer(answer(note, refers_to=msg_id_of(body)))) == stay_id
    answered = (await service.events())[-1]
    assert answered.type == "MunicipalityAnswered"
    assert (answered.data["structured"], answered.data["can_receive"]) == (False, False)
    assert answered.data["ready_from"] is None and answered.data["expected_on"] is None
    entry = (await service.stay(stay_id))["timeline"][-1]
    assert entry["details"]["structured"] is False


# --- AppRec errors ------------------------------------------------------------------------------
def _replace(body: bytes, old: str, new: str) -> bytes:
    assert old.encode() in body
    return body.replace(old.encode(), new.encode(), 1)


def _error_cases() -> list:
    no_ready_day = plo("LOG_UTSKRIVNINGSKLAR", events=[admitted(ADMITTED)], gen_date=NOTICE_SENT)
    year_only = _replace(notice(), 'V="2024-04-08"/>', 'V="2024"/>')
    return [
        pytest.param(log_innlagt(admitted_at=ADMITTED), "59", "T10", id="T10-admission"),
        pytest.param(
            plo("LOG_DOD", events=[event(13, datetime(2024, 4, 9))], gen_date=NOTICE_SENT),
            "59",
            "T10",
            id="T10-LOG_DOD",
        ),
        pytest.param(answer("Hei", theme="6"), "99387", "T10", id="T10-other-theme"),
        pytest.param(no_ready_day, "59", "X99", id="X99-no-ready-day"),
        pytest.param(year_only, "59", "X99", id="X99-ready-day-not-a-date"),
        pytest.param(notice(person=patient("15076500566")), "59", "E31", id="E31"),
        pytest.param(notice(msg_id="not-a-uuid"), "59", "E10", id="E10"),
        pytest.param(
            notice(receiver=ALVDAL.model_copy(update={"service_her_id": "424242"})),
            "59",
            "E21",
            id="E21",
        ),
    ]


@pytest.mark.parametrize(("body", "sender", "code"), _error_cases())
async def test_each_refusal_is_a_valid_apprec_with_its_code_and_no_event(
    service, elin_schema, body, sender, code
):
    response = await service.post(body, sender=sender)
    root = apprec_of(response)
    elin_schema.assertValid(root)
    assert status_and_errors(root) == ("2", [code])
    assert "15076500565" not in response.text
    assert await service.events() == []


async def test_transport_errors_are_http_problems(service):
    response = await service.http.post(
        "/elin/messages", content=b"<x/>", headers={"content-type": "text/plain", **bearer("59")}
    )
    assert response.status_code == 415
    unauthenticated = await service.http.post(
        "/elin/messages", content=notice(), headers={"content-type": "application/xml"}
    )
    assert unauthenticated.status_code == 401


# --- safety ---------------------------------------------------------------------------------
async def test_a_reference_to_another_patients_message_is_not_followed(service):
    body = notice()
    stay_id = await accepted(await service.post(body))
    stray = answer("KAN-IKKE-MOTTA", refers_to=msg_id_of(body), person=SOMEONE_ELSE)
    assert await accepted(await service.answer(stray)) != stay_id
    assert [e.type for e in await service.events()] == ["DischargeReadyNotified"]


async def test_concurrent_messages_of_one_stay_all_land_once(service):
    body = notice()
    stay_id = await accepted(await service.post(body))
    replies = [
        answer(
            f"KAN-IKKE-MOTTA\nsvar {n}",
            refers_to=msg_id_of(body),
            sent=datetime(2024, 4, 8, 10 + n),
        )
        for n in range(5)
    ]
    sends = [service.answer(r) for r in replies] + [service.post(body) for _ in range(5)]
    responses = await asyncio.gather(*sends)
    assert {r.status_code for r in responses} == {200}
    assert {r.headers["X-Stay-Id"] for r in responses} == {stay_id}
    events = await service.events()
    assert [e.type for e in events] == ["DischargeReadyNotified"] + ["MunicipalityAnswered"] * 5
    assert len((await service.stay(stay_id))["timeline"]) == 6
