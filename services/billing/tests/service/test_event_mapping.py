"""From events to facts: every event kind, what a stay is, redaction, and the JSON of facts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from billing_envelopes import (
    adm,
    answer,
    cancel,
    case_stay,
    envelopes,
    patient_number,
    ready,
    stay_dict,
)

from billing.adapters.event_mapping import (
    UNKNOWN_SECTOR_NOTE,
    StoredFact,
    map_event,
    redacted,
    stay_facts,
)
from billing.adapters.fact_json import (
    FactFormatError,
    export,
    fact_from_json,
    fact_to_json,
    read_export,
)
from billing.domain import facts as domain
from hub_shared.events import parse_data
from hub_shared.testing.worked_cases import CASES

STAY = case_stay(stay_dict("map", "2024-04-02T10:00"), patient=patient_number(40))


def _stored(events: list[dict], stay=STAY) -> list[StoredFact]:
    found = []
    for envelope in envelopes(stay, events):
        mapped = map_event(parse_data(envelope), str(envelope.id))
        assert mapped is not None
        found.append(
            StoredFact(
                str(envelope.id), envelope.type, mapped.fact, mapped.stay_ref, mapped.from_admission
            )
        )
    return found


def test_every_worked_case_event_maps_to_the_domain_fact_of_its_kind() -> None:
    kinds = {
        "AdmissionNotified": domain.AdmissionNotice,
        "DischargeReadyNotified": domain.DischargeReadyNotice,
        "DischargeReadyWithdrawn": domain.ReadinessWithdrawn,
        "MunicipalityAnswered": domain.MunicipalityAnswer,
        "PatientDischarged": domain.Discharged,
        "CooperationMeetingCalled": domain.CooperationMeetingCalled,
    }
    seen = set()
    for case in CASES:
        stay = case_stay(case["stay"], patient=patient_number(case["number"]))
        for envelope, event in zip(envelopes(stay, case["events"]), case["events"], strict=True):
            mapped = map_event(parse_data(envelope), str(envelope.id))
            assert isinstance(mapped.fact, kinds[envelope.type]), envelope.type
            assert mapped.message_id == event["id"]
            seen.add(envelope.type)
    assert seen == set(kinds)


def test_the_answers_day_is_place_ready_or_an_estimate_and_a_death_is_a_discharge_as_dead():
    facts = [
        s.fact
        for s in _stored(
            [
                answer("a1", "2024-04-08T11:00", False, "2024-04-11"),
                answer("a2", "2024-04-12T08:00", True, "2024-04-12"),
                {"kind": "death", "id": "d1", "sent": "2024-04-13T07:00", "at": "2024-04-13T05:40"},
            ]
        )
    ]

    no, yes, died = facts
    assert (no.can_receive, no.day, yes.can_receive, yes.day) == (
        False,
        date(2024, 4, 11),
        True,
        date(2024, 4, 12),
    )
    assert died.died is True
    assert died.discharged_at == datetime(2024, 4, 13, 3, 40, tzinfo=UTC)


def test_a_housing_fact_rests_on_its_event_id() -> None:
    event = {
        "kind": "housing_assigned",
        "id": "h1",
        "assignment": "asg-1",
        "decided": "2024-04-09T14:00",
        "move_in": "2024-04-11",
    }
    envelope = envelopes(STAY, [event])[0]

    mapped = map_event(parse_data(envelope), str(envelope.id))

    assert mapped.fact == domain.HousingAssigned(
        message_id=str(envelope.id),
        assignment_id="asg-1",
        decided_at=datetime(2024, 4, 9, 12, 0, tzinfo=UTC),
        move_in=date(2024, 4, 11),
    )


def test_the_admission_in_force_says_what_the_stay_is() -> None:
    moved = {**stay_dict("map", "2024-04-02T10:00"), "hospital_her": "800101"}
    other = case_stay({**moved, "sector": "psychiatric"}, patient=patient_number(40))
    events = [adm("adm-1", "2024-04-02T15:00"), ready("rdy-1", "2024-04-08T09:00")]
    changed = _stored(events) + _stored(
        [adm("adm-2", "2024-04-03T09:00", replaces="adm-1")], stay=other
    )

    stay, notes = stay_facts(STAY.stay_id, changed)

    assert (stay.sector.value, stay.hospital_her, stay.hospital_trust) == (
        "psychiatric",
        "800101",
        "59",
    )
    assert stay.residence_municipality == stay.registered_municipality == "3428"
    assert notes == []
    cancelled, _ = stay_facts(
        STAY.stay_id, [*changed, *_stored([cancel("c1", "2024-04-04T09:00", "adm-2")], stay=other)]
    )
    assert cancelled.sector.value == "somatic"  # from the readiness notice's stay reference


def test_without_an_admission_time_there_is_no_stay_yet_and_an_unknown_sector_is_noted():
    assert stay_facts(STAY.stay_id, _stored([answer("a1", "2024-04-08T11:00", False)])) == (
        None,
        [],
    )
    unknown = case_stay(
        {**stay_dict("map", "2024-04-02T10:00"), "sector": "unknown"}, patient=patient_number(40)
    )

    stay, notes = stay_facts(STAY.stay_id, _stored([adm("a", "2024-04-02T15:00")], stay=unknown))

    assert stay.sector is domain.Sector.SOMATIC
    assert notes == [UNKNOWN_SECTOR_NOTE]


def test_the_patient_identity_is_not_kept() -> None:
    envelope = envelopes(STAY, [ready("r", "2024-04-08T09:00")])[0]

    kept = redacted(envelope.data)

    assert STAY.patient_id in envelope.model_dump_json()
    assert STAY.patient_id not in str(kept)
    assert kept["stay"]["hospital"]["her_id"] == "59"


@pytest.mark.parametrize("case", CASES, ids=[str(c["number"]) for c in CASES])
def test_facts_and_stays_survive_their_json(case) -> None:
    stay = case_stay(case["stay"], patient=patient_number(case["number"]))
    facts, _ = stay_facts(stay.stay_id, _stored(case["events"], stay=stay))

    for fact in facts.facts:
        assert fact_from_json(fact_to_json(fact)) == fact
    assert read_export(export(facts)) == facts


def test_a_broken_export_is_refused() -> None:
    with pytest.raises(FactFormatError):
        read_export({"format": "something else"})
    with pytest.raises(FactFormatError):
        fact_from_json({"kind": "Telepathy"})
    with pytest.raises(FactFormatError):
        fact_from_json(
            {"kind": "AdmissionNotice", "message_id": "x", "sent_at": "2024-04-02T10:00"}
        )
