"""The official samples through the real app: AppRec OK for every discharge-ready v1.6 sample, and
the Dialogmelding sample answered for what it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from pydantic import SecretStr

from hub_shared.testing.http import apprec_of, post_xml, status_and_errors

SAMPLE_NAMES = ("Utskrivningsklar", "Avmelding", "utskrevet")


def discharge_samples(reference: Path) -> list[Path]:
    plo = sorted(
        p
        for p in (reference / "samples" / "plo-1.6").glob("*.xml")
        if any(n in p.name for n in SAMPLE_NAMES)
    )
    constructed = sorted((reference / "samples" / "constructed").glob("02_*.xml"))
    return plo + constructed


async def test_every_official_discharge_sample_gets_ok_and_its_event(
    service, elin_reference, elin_schema
):
    samples = discharge_samples(elin_reference)
    assert [p.name.split("_")[1] for p in samples[:3]] == [
        "Avmelding",
        "Melding",
        "Utskrivningsklar",
    ]
    assert len(samples) == 4
    # In the order a hospital sends them: notice, withdrawal, discharge.
    ordered = [samples[2], samples[0], samples[1], samples[3]]
    stay_ids = []
    for sample in ordered:
        body = sample.read_bytes()
        response = await service.post(body)
        root = apprec_of(response)
        elin_schema.assertValid(root)
        assert status_and_errors(root) == ("1", [])
        original = etree.fromstring(body)
        assert root.findtext("{*}OriginalMsgId/{*}Id") == original.findtext(".//{*}MsgId")
        assert etree.QName(root).namespace == "http://www.kith.no/xmlstds/apprec/2012-02-15"
        stay_ids.append(response.headers["X-Stay-Id"])
    events = await service.events()
    assert [e.type for e in events] == [
        "DischargeReadyNotified",
        "DischargeReadyWithdrawn",
        "PatientDischarged",
        "DischargeReadyNotified",
    ]
    # The three St. Olavs samples are one stay: the notice and the withdrawal repeat the
    # admission time (code 1); the discharge has none and goes to the patient's open stay.
    assert stay_ids[0] == stay_ids[1] == stay_ids[2] != stay_ids[3]
    notice, withdrawal, discharge, constructed = (e.data for e in events)
    assert notice["ready_on"] == "2018-01-31" and notice["ready_estimated"] is True
    assert notice["stay"]["admitted_at"] == "2018-01-29T09:00:00Z"  # 10:00 Oslo, winter time
    assert notice["stay"]["admission_known"] is False
    assert notice["stay"]["sector"] == "somatic"
    assert notice["message"]["gen_date"] == "2018-01-31T09:20:11Z"
    assert notice["message"]["msg_id"] == "79c55ed0-0692-11e8-b566-0800200c9a66"
    assert withdrawal["withdrawn_at"] == "2018-01-30T23:00:00Z"  # the day 2018-01-31, Oslo
    assert discharge["died"] is False and discharge["destination_code"] == "1"
    assert discharge["discharged_at"] == "2018-01-31T23:00:00Z"
    assert constructed["ready_on"] == "2025-03-13"
    view = await service.stay(stay_ids[0])
    assert [(e["kind"], e["in_force"]) for e in view["timeline"]] == [
        ("ready_notice", True),
        ("withdrawal", True),
        ("discharge", True),
    ]
    assert view["readiness"] == "discharged"
    assert view["patient"] == "150765*****"
    assert "15076500565" not in str(view)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_dialogmelding_sample_is_refused_for_its_receiver_and_its_theme(
    settings, service_with, elin_reference, elin_schema
):
    """The official Helsefaglig dialog sample (NHN's validation test message) is sent by NHN to
    KS, a receiver the hub does not know: E21. Readdressed from a municipality to a hospital it
    is still theme 8, Forespørsel om helseopplysninger, not an answer to a notice: T10."""
    (sample,) = (elin_reference / "samples" / "dialogmelding").glob("*.xml")
    body = sample.read_bytes()
    # NHN has no token here; the development token may act for any sender.
    with_dev = settings.model_copy(update={"dev_token": SecretStr("dev")})
    async with service_with(with_dev) as service:
        as_sent = apprec_of(await post_xml(service.http, body, authorization="Bearer dev"))
        elin_schema.assertValid(as_sent)
        assert status_and_errors(as_sent) == ("2", ["E21"])
        readdressed = (
            body.replace(b"<Id>8142987</Id>", b"<Id>59</Id>")
            .replace(b"<Id>8143060</Id>", b"<Id>90998</Id>")
            .replace(b"<Id>112374</Id>", b"<Id>99387</Id>")
            .replace(b"<Id>8094866</Id>", b"<Id>800301</Id>")
            .replace(
                b"615aba81-6a88-41d1-a9f5-90b28cfc8b73", b"615aba81-6a88-41d1-a9f5-90b28cfc8b74"
            )
        )
        root = apprec_of(await service.answer(readdressed))
        elin_schema.assertValid(root)
        assert status_and_errors(root) == ("2", ["T10"])
        assert "TemaKodet 7" in root.find("{*}Error").get("OT")
        assert await service.events() == []
