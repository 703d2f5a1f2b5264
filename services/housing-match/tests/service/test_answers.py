"""The municipality's answer to the hospital: written with the assignment, delivered by the
background sender to the hospital's endpoint (a real HTTP server here) with retries and backoff
until the AppRec comes back; a rejected AppRec is shown on the case and not retried. The XML is
checked against the official schema and read back as the structured answer."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from housing_events import Stay, admission, ready
from lxml import etree
from office import accept, case_of, ok, record_needs, run, site, unit

from hub_shared import broker
from hub_shared.elin.answer import MunicipalAnswer, read_answer
from hub_shared.elin.reader import read_message
from hub_shared.metrics import REGISTRY
from hub_shared.testing.hospital import FakeHospital, register_with_endpoint

NOTICE = "0b7f6a1e-3c2d-4e8f-9a10-5d6c7b8a9f01"
DIALOG = frozenset({"DIALOG_HELSEFAGLIG"})


@pytest.fixture
def hospital_port() -> int:
    return broker.free_port()


@pytest.fixture
def answering(settings, tmp_path: Path, hospital_port: int):
    return settings.model_copy(
        update={
            "register_file": register_with_endpoint(
                tmp_path / "register.toml", f"http://127.0.0.1:{hospital_port}/elin/messages"
            ),
            "outbound_backoff_seconds": 0.05,
        }
    )


async def assigned(hub, move_in: str = "2024-04-12", *, notice: bool = True) -> dict[str, Any]:
    """A discharge-ready patient (notice NOTICE, Monday 8 April) assigned a unit from `move_in`."""
    stay = Stay()
    await hub.feed(admission(stay))
    if notice:
        await hub.feed(ready(stay, msg_id=NOTICE))
    case = await case_of(hub.http, stay.stay_id)
    await record_needs(hub.http, case["case_id"], acceptable_kinds=["temporary"])
    await unit(hub.http, (await site(hub.http, "temporary"))["site_id"])
    proposal = (await run(hub.http))["proposals"][0]
    accepted = await accept(hub.http, proposal["proposal_id"], move_in)
    return {"stay": stay, "case": case, **accepted}


async def until(check, timeout: float = 20.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            found = await check()
            if found:
                return found
            await asyncio.sleep(0.02)


async def outbound(hub, msg_id: str) -> dict[str, Any]:
    return ok(await hub.http.get(f"/v1/outbound/{msg_id}"))


def read_back(body: bytes, schema) -> tuple[etree._Element, MunicipalAnswer]:
    root = etree.fromstring(body)
    schema.assertValid(root)
    message = read_message(body, schema=schema, supported_types=DIALOG)
    return root, read_answer(message)


async def test_the_answer_is_retried_with_backoff_until_the_apprec_comes_back(
    answering, start, hospital_port: int, elin_schema
) -> None:
    # The hospital is down (connection refused), then answers 500, then too slowly, then with an
    # AppRec for another message, then with its AppRec for ours.
    hospital = FakeHospital(hospital_port, elin_schema, ["500", "timeout", "other", "ok"])
    async with start(answering, deliver=True) as hub:
        done = await assigned(hub, "2024-04-12")
        answer = done["answer"]
        assert answer["answer_line"] == "KAN-MOTTA: 2024-04-12"
        msg_id = answer["msg_id"]

        async def refused_twice() -> bool:
            return (await outbound(hub, msg_id))["attempts"] >= 2

        await until(refused_twice)
        hospital.start()
        try:

            async def delivered() -> dict[str, Any] | None:
                found = await outbound(hub, msg_id)
                return found if found["status"] != "pending" else None

            final = await until(delivered)
        finally:
            hospital.stop()
        case = ok(await hub.http.get(f"/v1/cases/{done['case']['case_id']}"))

    outcomes = [a["outcome"] for a in final["attempt_log"]]
    refused = outcomes.index("http_error")
    assert refused >= 2 and set(outcomes[:refused]) == {"connection_error"}
    assert outcomes[refused:] == ["http_error", "timeout", "bad_apprec", "delivered"]
    assert final["status"] == "delivered" and final["attempts"] == len(outcomes)
    # Exponential backoff: after the n-th failure the sender waits 0.05 x 2^(n-1) s.
    log = final["attempt_log"]
    for before, after in pairwise(log):
        finished = datetime.fromisoformat(before["finished_at"])
        planned = datetime.fromisoformat(before["next_attempt_at"])
        started = datetime.fromisoformat(after["started_at"])
        wait = 0.05 * 2 ** (before["attempt"] - 1)
        assert (planned - finished).total_seconds() == pytest.approx(wait, abs=0.002)
        assert started >= planned
    # The hospital got the same message each time, and its AppRec is recorded.
    assert len({r.body for r in hospital.received}) == 1
    # Every attempt continues the trace of the officer's decision (W3C traceparent).
    trace_ids = {
        (r.traceparent or "").split("-")[1:2][0] for r in hospital.received if r.traceparent
    }
    assert len(trace_ids) == 1 and len(hospital.received) == len(
        [r for r in hospital.received if r.traceparent]
    )
    assert [r.answered for r in hospital.received] == ["500", "timeout", "other", "ok"]
    assert final["apprec"]["status"] == "1"
    assert final["apprec"]["msg_id"] == hospital.received[-1].apprec_id
    assert final["apprec"]["errors"] == []
    assert case["answer_status"] == "delivered"
    assert [m["status"] for m in case["messages"]] == ["delivered"]

    root, parsed = read_back(hospital.received[0].body, elin_schema)
    assert parsed == MunicipalAnswer(
        True,
        ready_from=date(2024, 4, 12),
        text="Kommunen kan ta imot pasienten fra fredag 12.04.2024.\nBotilbud: midlertidig bolig.",
    )
    assert root.find("{*}MsgInfo/{*}Type").get("V") == "DIALOG_HELSEFAGLIG"
    assert root.findtext("{*}MsgInfo/{*}MsgId") == msg_id
    assert root.find(".//{*}Notat/{*}TemaKodet").get("V") == "7"
    ref = root.find("{*}MsgInfo/{*}ConversationRef")
    assert ref.findtext("{*}RefToConversation") == NOTICE
    assert ref.findtext("{*}RefToParent") == NOTICE
    sender = root.find("{*}MsgInfo/{*}Sender/{*}Organisation")
    assert sender.findtext("{*}Ident/{*}Id") == "99387"
    assert sender.findtext("{*}Organisation/{*}Ident/{*}Id") == "800301"
    receiver = root.find("{*}MsgInfo/{*}Receiver/{*}Organisation")
    assert receiver.findtext("{*}Ident/{*}Id") == "59"
    assert receiver.findtext("{*}Organisation/{*}Ident/{*}Id") == "90998"
    patient = root.find("{*}MsgInfo/{*}Patient")
    assert patient.findtext("{*}Ident/{*}Id") == done["stay"].patient_id


async def test_a_rejected_apprec_is_shown_on_the_case_and_not_retried(
    answering, start, hospital_port: int, elin_schema
) -> None:
    hospital = FakeHospital(hospital_port, elin_schema, ["reject"]).start()
    rejections_before = _metric("hub_answers_to_hospitals_attempts_total", outcome="rejected")
    try:
        async with start(answering, deliver=True) as hub:
            done = await assigned(hub)
            case_id = done["case"]["case_id"]

            async def shown() -> dict[str, Any] | None:
                case = ok(await hub.http.get(f"/v1/cases/{case_id}"))
                return case if case["answer_status"] == "rejected" else None

            case = await until(shown)
            await asyncio.sleep(0.5)  # ten times the first backoff: a retry would have come
            final = await outbound(hub, done["answer"]["msg_id"])
    finally:
        hospital.stop()

    (message,) = case["messages"]
    assert message["status"] == "rejected"
    assert message["apprec"]["status"] == "2"
    assert message["apprec"]["errors"] == [
        {
            "code": "X99",
            "text": message["apprec"]["errors"][0]["text"],
            "extra": "Pasienten er ikke innlagt ved avdelingen",
        }
    ]
    assert message["last_error"] == "AppRec Avvist: X99"
    assert message["next_attempt_at"] is None
    assert len(hospital.received) == 1 and final["attempts"] == 1
    assert [a["outcome"] for a in final["attempt_log"]] == ["rejected"]
    # Operations see it: one rejected attempt counted, one answer waiting for a person.
    assert _metric("hub_answers_to_hospitals_attempts_total", outcome="rejected") == (
        rejections_before + 1
    )
    assert _metric("hub_answers_to_hospitals_undelivered", status="rejected") == 1
    assert _metric("hub_answers_to_hospitals_undelivered", status="pending") == 0
    assert _metric("hub_answers_to_hospitals_oldest_pending_seconds") == 0


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_hospital_gets_the_token_the_register_names(
    settings, start, tmp_path: Path, hospital_port: int, elin_schema, monkeypatch
) -> None:
    """Without the token variable set, nothing is sent (retried, counted); once set, the answer
    goes out with it."""
    hospital = FakeHospital(hospital_port, elin_schema, ["ok"]).start()
    variable = "HUB_TEST_ST_OLAV_ENDPOINT_TOKEN"
    monkeypatch.delenv(variable, raising=False)
    endpoint = f"http://127.0.0.1:{hospital_port}/elin/messages"
    with_token = settings.model_copy(
        update={
            "register_file": register_with_endpoint(
                tmp_path / "register.toml", endpoint, token_env=variable
            ),
            "outbound_backoff_seconds": 0.05,
        }
    )
    try:
        async with start(with_token, deliver=True) as hub:
            msg_id = (await assigned(hub))["answer"]["msg_id"]

            async def tried() -> bool:
                return (await outbound(hub, msg_id))["attempts"] >= 1

            await until(tried)
            assert hospital.received == []
            monkeypatch.setenv(variable, "s3cret-for-st-olav")

            async def delivered() -> dict[str, Any] | None:
                found = await outbound(hub, msg_id)
                return found if found["status"] == "delivered" else None

            final = await until(delivered)
    finally:
        hospital.stop()
    outcomes = [a["outcome"] for a in final["attempt_log"]]
    assert outcomes[-1] == "delivered" and set(outcomes[:-1]) == {"no_credentials"}
    assert [r.authorization for r in hospital.received] == ["Bearer s3cret-for-st-olav"]


async def test_no_answer_before_the_notice_and_one_as_soon_as_it_comes(hub, elin_schema) -> None:
    done = await assigned(hub, "2024-04-10", notice=False)
    assert done["answer"] is None
    assert ok(await hub.http.get("/v1/outbound")) == []

    # The notice arrives on Thursday 11 April for a patient ready that day: the place assigned
    # from Wednesday is ready, so the answer says "from Thursday".
    await hub.feed(
        ready(done["stay"], ready_on=date(2024, 4, 11), sent="2024-04-11T08:00", msg_id=NOTICE)
    )
    await hub.feed(
        ready(done["stay"], ready_on=date(2024, 4, 11), sent="2024-04-11T08:00", msg_id=NOTICE)
    )
    (answer,) = ok(await hub.http.get("/v1/outbound"))
    assert answer["answer_line"] == "KAN-MOTTA: 2024-04-11"
    assert answer["conversation_id"] == NOTICE and answer["status"] == "pending"
    xml = await hub.http.get(f"/v1/outbound/{answer['msg_id']}/xml")
    assert xml.headers["content-type"].startswith("application/xml")
    _root, parsed = read_back(xml.content, elin_schema)
    assert parsed.can_receive and parsed.ready_from == date(2024, 4, 11)


async def test_a_cancelled_assignment_tells_the_hospital_it_cannot_receive(
    hub, elin_schema
) -> None:
    done = await assigned(hub, "2024-04-09")
    first = done["answer"]["msg_id"]
    path = f"/v1/assignments/{done['assignment']['assignment_id']}/cancel"
    ok(await hub.http.post(path, json={"reason": "boligen brant"}))

    answers = ok(await hub.http.get("/v1/outbound"))
    assert [a["answer_line"] for a in answers] == ["KAN-MOTTA: 2024-04-09", "KAN-IKKE-MOTTA"]
    second = await hub.http.get(f"/v1/outbound/{answers[1]['msg_id']}/xml")
    root, parsed = read_back(second.content, elin_schema)
    assert parsed.can_receive is False and parsed.expected_on is None
    ref = root.find("{*}MsgInfo/{*}ConversationRef")
    assert ref.findtext("{*}RefToParent") == first  # replies to our own earlier answer
    assert ref.findtext("{*}RefToConversation") == NOTICE


async def test_a_stays_answers_go_out_in_order(settings, start) -> None:
    # The register's St. Olavs endpoint (port 8090) has no one listening in the tests; a long
    # backoff keeps the first answer from falling due again during the test.
    async with start(settings.model_copy(update={"outbound_backoff_seconds": 60})) as hub:
        done = await assigned(hub, "2024-04-09")
        cancel = f"/v1/assignments/{done['assignment']['assignment_id']}/cancel"
        ok(await hub.http.post(cancel, json={"reason": "x"}))

        assert await hub.sender.deliver_due() == 1  # only the first: the second waits for it
        first, second = ok(await hub.http.get("/v1/outbound"))
        assert first["attempts"] == 1
        assert first["last_error"] in ("ConnectError", "ConnectTimeout")
        assert second["attempts"] == 0
        assert await hub.sender.deliver_due() == 0  # the first is not due again for a minute


async def test_answers_are_the_municipalitys_own(hub) -> None:
    done = await assigned(hub)
    msg_id = done["answer"]["msg_id"]

    async with hub.as_party("800400") as nord:
        assert ok(await nord.get("/v1/outbound")) == []
        assert (await nord.get(f"/v1/outbound/{msg_id}")).status_code == 404
        assert (await nord.get(f"/v1/outbound/{msg_id}/xml")).status_code == 404
