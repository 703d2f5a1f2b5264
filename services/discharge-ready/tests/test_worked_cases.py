"""Every worked case of PAYMENT-RULES.md, played as the XML and API calls of its conversation
(hub_shared.testing.conversations), gives the discharge.v1 events the case calls for."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from hub_shared.events import topics
from hub_shared.events.envelope import Envelope
from hub_shared.testing.conversations import Conversation, Step, conversation
from hub_shared.testing.http import apprec_of, bearer, status_and_errors
from hub_shared.testing.worked_cases import CASES
from hub_shared.timeutil import local_to_utc


def _utc(text: str) -> str:
    """A case's Oslo wall-clock time (or day) as the events write it: UTC with Z."""
    moment = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    return local_to_utc(moment).isoformat().replace("+00:00", "Z")


async def play(service, admission_notice, conv: Conversation) -> None:
    for step in conv.steps:
        if step.target == "admission-notice":
            response = await admission_notice.post(step.body)
            assert status_and_errors(apprec_of(response)) == ("1", [])
            await service.deliver(*await admission_notice.new_events())
        elif step.target == "discharge-ready":
            response = await service.post(step.body, sender=step.sender_her)
            assert status_and_errors(apprec_of(response)) == ("1", []), step.kind
            assert response.headers["X-Stay-Id"] == conv.stay_id
        elif step.target == "discharge-ready-api":
            assert step.path is not None
            response = await service.http.post(
                step.path.format(stay_id=conv.stay_id),
                json=step.payload,
                headers=bearer(step.sender_her),
            )
            assert response.status_code == 201, response.text
        else:
            pytest.fail(f"no housing steps expected in the worked cases: {step.kind}")


def check_event(event: Envelope, step: Step, case_event: dict[str, Any], conv: Conversation):
    data = event.data
    assert event.subject == data["stay_id"] == conv.stay_id
    if step.kind == "meeting_called":
        assert data["registration_id"] == step.msg_id
        assert data["called_at"] == _utc(case_event.get("called") or case_event["sent"])
        assert data["planned_for"] == _utc(case_event["planned_for"])
        return
    assert data["message"]["msg_id"] == step.msg_id
    assert data["message"]["gen_date"] == _utc(case_event["sent"])
    if step.kind == "ready_notice":
        assert data["ready_on"] == case_event["ready"][:10]
        assert data["decided_by_hpr"] == "9144900"
        has_admission = any(e["kind"] == "admission_notice" for e in conv.case["events"])
        assert data["stay"]["admission_known"] is has_admission
        assert data["stay"]["admitted_at"] == _utc(conv.case["stay"]["admitted"])
        assert data["stay"]["sector"] == conv.case["stay"]["sector"]
    elif step.kind == "answer":
        day = case_event.get("day")
        assert data["can_receive"] is case_event["can_receive"]
        assert data["structured"] is True
        if case_event["can_receive"]:
            assert data["ready_from"] == (day or case_event["sent"][:10])
            assert data["expected_on"] is None
        else:
            assert (data["ready_from"], data["expected_on"]) == (None, day)
        assert data["answers_msg_id"] == _latest_notice_before(conv, step)
        assert data["hospital"]["her_id"] == "59" and data["municipality"]["her_id"] == "99387"
    elif step.kind == "withdrawal":
        assert data["withdrawn_at"] == _utc(case_event.get("at") or case_event["sent"])
    elif step.kind in ("discharge", "death"):
        assert data["died"] is (step.kind == "death")
        assert data["discharged_at"] == _utc(case_event.get("at") or case_event["sent"])


def _latest_notice_before(conv: Conversation, step: Step) -> str:
    notices = []
    for earlier in conv.steps:
        if earlier is step:
            return notices[-1]
        if earlier.kind == "ready_notice":
            notices.append(earlier.msg_id)
    raise AssertionError("step not in conversation")


def final_readiness(case: dict[str, Any]) -> str:
    kinds = [e["kind"] for e in case["events"]]
    if "death" in kinds:
        return "died"
    if "discharge" in kinds:
        return "discharged"
    readiness = [k for k in kinds if k in ("ready_notice", "withdrawal")]
    return {"ready_notice": "ready", "withdrawal": "withdrawn"}[readiness[-1]]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"case-{c['number']}")
async def test_worked_case_conversation_gives_its_events(service, admission_notice, case):
    conv = conversation(case)
    await play(service, admission_notice, conv)
    events = await service.events()
    assert [e.type for e in events] == conv.expected(topics.DISCHARGE)
    published = [s for s in conv.steps if s.expects and s.expects[0] == topics.DISCHARGE]
    by_id = {e["id"]: e for e in case["events"]}
    for event, step in zip(events, published, strict=True):
        check_event(event, step, by_id[step.case_id], conv)
    view = await service.stay(conv.stay_id, caller="99387")
    assert view["readiness"] == final_readiness(case)
    assert view["admission_known"] is any(e["kind"] == "admission_notice" for e in case["events"])
    assert all(entry["in_force"] for entry in view["timeline"])
    assert [e["msg_id"] for e in view["timeline"]] == [s.msg_id for s in published]


def test_every_worked_case_has_a_conversation():
    for case in CASES:
        conv = conversation(case)
        assert len(conv.steps) == len(case["events"])
        assert len(set(conv.ids.values())) == len(case["events"])
