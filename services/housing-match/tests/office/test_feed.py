"""The office's consumer of billing.v1: the latest revision of each clock period is in force, a
voided period disappears, and a clock whose stay the office has not heard of yet is shown to the
paying municipality (by its number) until the hospital's notices name the stay's municipality."""

from __future__ import annotations

from decimal import Decimal

from office_harness import ALVDAL, NORD, OfficeHub, Patient, record
from office_pages import cells, page

from hub_shared.events.billing import (
    InvoiceIssued,
    PaymentClockStarted,
    PaymentClockStopped,
    PaymentClockVoided,
)
from hub_shared.events.envelope import Envelope, EventData

NBSP = "\u00a0"


async def billing_says(hub: OfficeHub, patient: Patient, *events: EventData) -> None:
    for data in events:
        envelope = Envelope.wrap(data, subject=patient.stay_id, source="/hub/billing")
        await hub.office_consumer.handle_record(record(envelope))


def started(patient: Patient, revision: int = 1, on: str = "2024-04-03") -> PaymentClockStarted:
    return PaymentClockStarted(
        stay_id=patient.stay_id,
        period_key="notice-1",
        started_on=on,
        notice_msg_id="notice-1",
        hospital_her="59",
        municipality_number="3428",
        daily_rate=Decimal("5745"),
        revision=revision,
    )


async def clocks_of(hub: OfficeHub, her_id: str) -> dict[str, dict[str, str]]:
    async with hub.officer(her_id) as officer:
        return cells(page(await officer.get("/office/")), "clocks-table", "stay")


async def test_a_clock_before_the_stay_is_known_goes_to_the_paying_municipality(
    hub: OfficeHub,
) -> None:
    patient = Patient("Ola", "Hansen", "2024-04-01T08:00", without_fixed_home=False)
    await billing_says(hub, patient, started(patient))
    assert patient.stay_id in await clocks_of(hub, ALVDAL)
    assert patient.stay_id not in await clocks_of(hub, NORD)
    await hub.publish(patient.admission())  # now the office knows the stay, and its initials
    shown = await clocks_of(hub, ALVDAL)
    assert shown[patient.stay_id]["days"] == "6"


async def test_the_latest_revision_is_in_force(hub: OfficeHub) -> None:
    patient = Patient("Ola", "Hansen", "2024-04-01T08:00", without_fixed_home=False)
    await hub.publish(patient.admission())
    stopped = PaymentClockStopped(
        stay_id=patient.stay_id,
        period_key="notice-1",
        started_on="2024-04-03",
        stopped_on="2024-04-05",
        end_reason="discharged",
        days=2,
        amount=Decimal("11490"),
        revision=2,
    )
    await billing_says(hub, patient, started(patient), stopped, started(patient, revision=1))
    assert patient.stay_id not in await clocks_of(hub, ALVDAL)  # stopped on Friday
    await billing_says(hub, patient, started(patient, revision=3, on="2024-04-04"))
    assert (await clocks_of(hub, ALVDAL))[patient.stay_id]["days"] == "5"  # runs again
    voided = PaymentClockVoided(
        stay_id=patient.stay_id, period_key="notice-1", reasons=["no_admission_notice"], revision=4
    )
    await billing_says(hub, patient, voided)
    assert patient.stay_id not in await clocks_of(hub, ALVDAL)
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get("/office/"))
        assert doc.xpath('//dd[@data-figure="clock-count"]')[0].text_content() == "0"


async def test_issued_invoices_are_listed_for_their_municipality(hub: OfficeHub) -> None:
    issued = InvoiceIssued(
        invoice_id="59-3428-2024-03-1",
        hospital_trust="59",
        municipality_number="3428",
        month="2024-03",
        issued_at="2024-04-02T08:00:00Z",
        lines=2,
        total=Decimal("22980"),
        total_days=4,
    )
    envelope = Envelope.wrap(issued, subject=issued.invoice_id, source="/hub/billing")
    await hub.office_consumer.handle_record(record(envelope))
    await hub.office_consumer.handle_record(record(envelope))  # redelivered: once
    async with hub.officer(ALVDAL) as officer:
        rows = cells(page(await officer.get("/office/invoices")), "invoices-table", "invoice")
    assert rows == {"59-3428-2024-03-1": {"total": f"kr{NBSP}22{NBSP}980"}}
    async with hub.officer(NORD) as officer:
        text = (await officer.get("/office/invoices")).text
    assert "59-3428-2024-03-1" not in text
