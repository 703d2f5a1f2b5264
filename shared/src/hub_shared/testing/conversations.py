"""The worked cases of PAYMENT-RULES.md as conversations: the ordered steps that play a case
against the running hub (hub_shared.testing.worked_cases holds the cases as plain data).

Each step says where it goes and what it should cause:

- ``admission-notice`` / ``discharge-ready``: an ELIN message (``body``) to ``POST /elin/messages``,
  sent with the token of ``sender_her`` (``hub_shared.testing.http.bearer``);
- ``discharge-ready-api``: a JSON ``payload`` to ``path`` (``{stay_id}`` to fill in), the
  cooperation meeting of psykisk helsevern and TSB;
- ``housing-match``: the case event as data (``payload``), for housing-match's API to play.

``expects`` is the (topic, event type) the step should publish. Message ids are UUIDs derived
from the patient, the case and the event id, so a case played for another patient never collides.

Mapping choices (docs/municipal-answer.md for the answer):

- the notice goes to the municipality's casework service (saksbehandlertjeneste), admission and
  discharge to its nursing service (sykepleietjeneste), as HIS 1149 routes them;
- an answer replies to the latest notice before it (ConversationRef to its MsgId); "can receive"
  without a day is written with the answer's own day, as the rules read it;
- a death is ``LOG_UTSKREVET`` with Uttilstand 2 "som død" (HIS 1149 §3.5), its time as code 2;
- a time an event does not carry (withdrawal or discharge ``at``) is left out where the message
  allows (withdrawal: code 4 omitted) and is the GenDate where the standard requires one
  (discharge: code 2);
- answers and meetings cannot be cancelled, and answers not changed: Dialogmelding has no
  Forsendelsesstatus. Such a case raises ``ValueError``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from hub_shared.elin.answer import MunicipalAnswer, answer_note
from hub_shared.elin.builder import build_dialog_message, build_plo_message
from hub_shared.elin.codes import DESTINATION_TEXTS, MessageType
from hub_shared.elin.models import (
    CodedValue,
    ConversationRef,
    Party,
    PatientIdentity,
    ResponsiblePerson,
    TimedEvent,
)
from hub_shared.events import topics
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.settings import DEV_STAY_SECRET
from hub_shared.testing.messages import (
    ALVDAL,
    ALVDAL_CASEWORK,
    ST_OLAV,
    ST_OLAV_PSYCH,
    ST_OLAV_TSB,
    patient,
    random_person_number,
)
from hub_shared.testing.worked_cases import Case

Target = Literal["admission-notice", "discharge-ready", "discharge-ready-api", "housing-match"]
MEETING_PATH = "/stays/{stay_id}/cooperation-meeting"
_NAMESPACE = uuid.UUID("6c0b7d8e-2f51-4c1e-9a55-0e8f3c1d2b7a")
_HOSPITAL_UNITS = {p.service_her_id: p for p in (ST_OLAV, ST_OLAV_PSYCH, ST_OLAV_TSB)}
_MUNICIPALITIES = {"99387": (ALVDAL, ALVDAL_CASEWORK)}
_DOCTOR_HPR = "9144900"


@dataclass(frozen=True)
class Step:
    kind: str
    case_id: str
    target: Target
    sender_her: str
    msg_id: str
    body: bytes | None = None
    path: str | None = None
    payload: dict[str, Any] | None = None
    expects: tuple[str, str] | None = None
    replaces: str | None = None
    cancels: str | None = None


@dataclass(frozen=True)
class Conversation:
    case: Case
    patient: PatientIdentity
    stay_id: str
    admitted_at: datetime
    hospital: Party
    steps: tuple[Step, ...]
    ids: dict[str, str] = field(repr=False)

    def msg_id(self, case_id: str) -> str:
        """The MsgId (or registration id) a case event was sent under."""
        return self.ids[case_id]

    def expected(self, topic: str) -> list[str]:
        """The event types the conversation should publish on a topic, in order."""
        return [s.expects[1] for s in self.steps if s.expects and s.expects[0] == topic]


def default_patient(case: Case) -> PatientIdentity:
    """A fixed patient per case number; pass another for a shared broker (unique per run)."""
    return patient(random_person_number(random.Random(case["number"])))


def conversation(
    case: Case,
    *,
    person: PatientIdentity | None = None,
    secret: bytes = DEV_STAY_SECRET.encode(),
) -> Conversation:
    """The steps that play ``case`` for ``person``; ``secret`` derives the stay id (it must be the
    services' HUB_STAY_SECRET)."""
    person = person or default_patient(case)
    stay = case["stay"]
    hospital = _HOSPITAL_UNITS.get(stay["hospital_her"])
    municipality = _MUNICIPALITIES.get(stay["municipality_her"])
    if hospital is None or hospital.her_id != stay["hospital_trust"] or municipality is None:
        raise ValueError("the case's parties are not in hub_shared.testing.messages")
    admitted = datetime.fromisoformat(stay["admitted"])
    assert person.id is not None
    ids = {
        e["id"]: str(uuid.uuid5(_NAMESPACE, f"{person.id}/{case['number']}/{e['id']}"))
        for e in case["events"]
    }
    writer = _Writer(person, hospital, municipality, admitted, ids)
    steps = tuple(writer.step(event) for event in case["events"])
    stay_id = str(derive_stay_id(person.id, stay["hospital_trust"], admitted, secret))
    return Conversation(case, person, stay_id, admitted, hospital, steps, ids)


def _moment(text: str) -> datetime | date:
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def _doctor(name: str | None) -> ResponsiblePerson:
    given, _, family = (name or "Lege Testesen").rpartition(" ")
    return ResponsiblePerson(hpr=_DOCTOR_HPR, family_name=family, given_name=given or None)


@dataclass
class _Writer:
    """Writes one case event after another, remembering what later ones refer to."""

    person: PatientIdentity
    hospital: Party
    municipality: tuple[Party, Party]  # (nursing service, casework service)
    admitted: datetime
    ids: dict[str, str]
    kinds: dict[str, str] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    last_notice: str | None = None

    def step(self, event: dict[str, Any]) -> Step:
        kind = event["kind"]
        self.kinds[event["id"]] = kind
        if kind.startswith("housing_"):
            msg_id = self.ids[event["id"]]
            return Step(
                kind,
                event["id"],
                "housing-match",
                self.municipality[0].her_id or "",
                msg_id,
                payload=dict(event),
            )
        if kind == "cancel":
            return self._cancel(event)
        if kind == "answer":
            return self._answer(event)
        if kind == "meeting_called":
            return self._meeting(event)
        return self._plo(event, kind)

    # --- hospital messages ----------------------------------------------------------------
    def _plo(self, event: dict[str, Any], kind: str, status: str = "N") -> Step:
        if kind == "admission_notice" and event.get("admitted"):
            # A corrected admission time: this message and every later one carry it.
            self.admitted = datetime.fromisoformat(event["admitted"])
        msg_type, events, receiver, expects = self._shape(event, kind)
        msg_id = self.ids[event["id"]]
        replaces = self.ids[event["replaces"]] if event.get("replaces") else None
        if replaces is not None:
            status = "M"
            expects = (expects[0], "AdmissionChanged") if kind == "admission_notice" else expects
        root = self.roots.get(replaces, replaces) if replaces else msg_id
        self.roots[msg_id] = root
        if kind == "ready_notice":
            self.last_notice = msg_id
        body = self._message(msg_type, events, receiver, event, msg_id, status, replaces, root)
        target: Target = "admission-notice" if kind == "admission_notice" else "discharge-ready"
        return Step(
            kind,
            event["id"],
            target,
            self.hospital.her_id or "",
            msg_id,
            body=body,
            expects=expects,
            replaces=replaces,
        )

    def _shape(
        self, event: dict[str, Any], kind: str
    ) -> tuple[str, list[TimedEvent], Party, tuple[str, str]]:
        admitted = TimedEvent(code=1, at=self.admitted, estimated=False)
        nursing, casework = self.municipality
        sent = datetime.fromisoformat(event["sent"])
        if kind == "admission_notice":
            return "LOG_INNLAGT", [admitted], nursing, (topics.ADMISSION, "AdmissionNotified")
        if kind == "ready_notice":
            ready = TimedEvent(code=3, at=_moment(event["ready"]), estimated=False)
            return "LOG_UTSKRIVNINGSKLAR", [admitted, ready], casework, _discharge("Notified")
        if kind == "withdrawal":
            timed = [admitted]
            if event.get("at"):
                timed.append(TimedEvent(code=4, at=_moment(event["at"]), estimated=False))
            return "LOG_AVMELDING", timed, casework, _discharge("Withdrawn")
        if kind in ("discharge", "death"):
            at = _moment(event["at"]) if event.get("at") else sent
            timed = [TimedEvent(code=2, at=at, estimated=False)]
            return "LOG_UTSKREVET", timed, nursing, (topics.DISCHARGE, "PatientDischarged")
        raise ValueError(f"no message for a case event of kind {kind}")

    def _message(
        self,
        msg_type: str,
        events: list[TimedEvent],
        receiver: Party,
        event: dict[str, Any],
        msg_id: str,
        status: str,
        refers_to: str | None,
        root: str,
    ) -> bytes:
        died = event["kind"] == "death" or bool(event.get("died"))
        destination = event.get("destination") or "1"
        discharged = msg_type == MessageType.LOG_UTSKREVET and status != "C"
        return build_plo_message(
            msg_type=msg_type,
            msg_id=msg_id,
            gen_date=datetime.fromisoformat(event["sent"]),
            sender=self.hospital,
            receiver=receiver,
            patient=self.person,
            status=status,
            events=events,
            conversation_ref=ConversationRef(ref_to_parent=refers_to, ref_to_conversation=root)
            if refers_to
            else None,
            discharged_to=CodedValue(code=destination, text=DESTINATION_TEXTS.get(destination))
            if discharged
            else None,
            discharge_condition=("2" if died else "1") if discharged else None,
            responsible=_doctor(event.get("decided_by"))
            if msg_type in ("LOG_UTSKRIVNINGSKLAR", "LOG_AVMELDING")
            else None,
        )

    def _cancel(self, event: dict[str, Any]) -> Step:
        cancelled = event["cancels"]
        kind = self.kinds.get(cancelled)
        if kind in ("answer", "meeting_called") or kind is None or kind.startswith("housing_"):
            raise ValueError(f"a {kind} cannot be cancelled by a message")
        original = {**event, "kind": kind}
        msg_type, events, receiver, _ = self._shape(original, kind)
        msg_id, cancels = self.ids[event["id"]], self.ids[cancelled]
        root = self.roots.get(cancels, cancels)
        body = self._message(msg_type, events, receiver, original, msg_id, "C", cancels, root)
        if kind == "admission_notice":
            target: Target = "admission-notice"
            expects = (topics.ADMISSION, "AdmissionCancelled")
        else:
            target, expects = "discharge-ready", (topics.DISCHARGE, "DischargeMessageCancelled")
        return Step(
            "cancel",
            event["id"],
            target,
            self.hospital.her_id or "",
            msg_id,
            body=body,
            expects=expects,
            cancels=cancels,
        )

    # --- the municipality's answer and the meeting ----------------------------------------
    def _answer(self, event: dict[str, Any]) -> Step:
        if event.get("replaces"):
            raise ValueError("an answer is never changed: send a new one (municipal-answer.md)")
        sent = datetime.fromisoformat(event["sent"])
        day = date.fromisoformat(event["day"]) if event.get("day") else None
        if event["can_receive"]:
            answer = MunicipalAnswer(True, ready_from=day or sent.date())
        else:
            answer = MunicipalAnswer(False, expected_on=day)
        msg_id = self.ids[event["id"]]
        notice = self.last_notice
        casework = self.municipality[1]
        body = build_dialog_message(
            msg_id=msg_id,
            gen_date=sent,
            sender=casework,
            receiver=self.hospital,
            patient=self.person,
            note=answer_note(answer),
            conversation_ref=ConversationRef(ref_to_parent=notice, ref_to_conversation=notice)
            if notice
            else None,
        )
        return Step(
            "answer",
            event["id"],
            "discharge-ready",
            casework.her_id or "",
            msg_id,
            body=body,
            expects=_discharge("Answered"),
        )

    def _meeting(self, event: dict[str, Any]) -> Step:
        msg_id = self.ids[event["id"]]
        replaces = self.ids[event["replaces"]] if event.get("replaces") else None
        payload = {
            "registration_id": msg_id,
            "called_at": event.get("called") or event["sent"],
            "planned_for": event.get("planned_for"),
            "replaces_registration_id": replaces,
        }
        return Step(
            "meeting_called",
            event["id"],
            "discharge-ready-api",
            self.hospital.her_id or "",
            msg_id,
            path=MEETING_PATH,
            payload=payload,
            expects=(topics.DISCHARGE, "CooperationMeetingCalled"),
            replaces=replaces,
        )


def _discharge(suffix: str) -> tuple[str, str]:
    names = {
        "Notified": "DischargeReadyNotified",
        "Withdrawn": "DischargeReadyWithdrawn",
        "Answered": "MunicipalityAnswered",
    }
    return topics.DISCHARGE, names[suffix]
