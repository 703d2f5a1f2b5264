"""Invoices: one line per period and month, idempotent issue, corrections by credit and new line,
the JSON, CSV and EHF forms, unpriced days, and the dispute of a line."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from billing_envelopes import (
    NOW,
    Clock,
    adm,
    answer,
    cancel,
    case_stay,
    discharged,
    envelopes,
    patient_number,
    ready,
    stay_dict,
)
from lxml import etree

from billing.adapters.ratefiles import load_rates
from billing.entrypoints.api import create_app
from hub_shared.testing.http import bearer
from hub_shared.testing.worked_cases import CASES

TRUST, ALVDAL, NORD = "59", "99387", "800400"
UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
PACKAGED_RATES = Path(__file__).resolve().parents[2] / "src/billing/data/rates.toml"


def _case(number: int) -> dict:
    return next(c for c in CASES if c["number"] == number)


ACROSS_MONTHS = [
    adm("b-adm", "2024-04-20T12:00"),
    ready("b-rdy", "2024-04-25T09:00"),
    answer("b-no", "2024-04-25T10:00", False),
    answer("b-yes", "2024-05-03T08:00", True, "2024-05-03"),
]


async def _feed_case(hub, number: int, patient: int, **stay_changes) -> str:
    case = _case(number)
    stay = case_stay({**case["stay"], **stay_changes}, patient=patient_number(patient))
    await hub.feed(envelopes(stay, case["events"]))
    return stay.stay_id


async def _feed(hub, name: str, admitted: str, events: list[dict], patient: int, **kw) -> str:
    stay = case_stay(stay_dict(name, admitted), patient=patient_number(patient), **kw)
    await hub.feed(envelopes(stay, events))
    return stay.stay_id


async def _issue(hub, month: str, municipality: str = "3428", as_: str = TRUST) -> httpx.Response:
    return await hub.post(
        "/v1/invoices",
        json={"hospital_trust": TRUST, "municipality_number": municipality, "month": month},
        as_=as_,
    )


def _lines(invoice: dict) -> list[tuple]:
    return [
        (x["kind"], x["stay_ref"], x["first_day"], x["last_day"], x["days"], x["rate"], x["amount"])
        for x in invoice["lines"]
    ]


async def test_a_month_is_invoiced_once_per_period_and_month_and_again_gives_the_same(hub):
    a = await _feed_case(hub, 2, 1)
    b = await _feed(hub, "b", "2024-04-20T10:00", ACROSS_MONTHS, 2)
    await _feed_case(hub, 3, 3, municipality_her=NORD)  # same trust, another municipality
    await _feed_case(hub, 3, 4, municipality_her=NORD)

    first = await _issue(hub, "2024-04")
    again = await _issue(hub, "2024-04")

    assert first.status_code == 201, first.text
    invoice = first.json()
    assert invoice["invoice_id"] == "59-3428-2024-04-1"
    assert first.headers["location"] == "/v1/invoices/59-3428-2024-04-1"
    assert (invoice["document_type"], invoice["sequence"], invoice["reason"]) == (
        "invoice",
        1,
        "issued",
    )
    assert sorted(_lines(invoice)) == sorted(
        [
            ("charge", a, "2024-04-08", "2024-04-11", 4, "5745", "22980"),
            ("charge", b, "2024-04-25", "2024-04-30", 6, "5745", "34470"),
        ]
    )
    assert (invoice["total_days"], Decimal(invoice["total_amount"])) == (10, Decimal(57450))
    line_a = next(x for x in invoice["lines"] if x["stay_ref"] == a)
    assert {"adm-1", "rdy-1", "ans-1", "ans-2"} <= set(line_a["message_ids"])
    assert line_a["answer"]["message_id"] == "ans-2"
    assert line_a["admitted_at"] == "2024-04-02T08:00:00Z"
    assert again.status_code == 200
    assert again.json() == invoice
    assert (await hub.get("/v1/invoices/59-3428-2024-04-1")).json() == invoice
    issued = [e.data for e in await hub.outbox() if e.type == "InvoiceIssued"]
    assert [(e["invoice_id"], e["lines"], Decimal(e["total"])) for e in issued] == [
        ("59-3428-2024-04-1", 2, Decimal(57450))
    ]
    may = (await _issue(hub, "2024-05")).json()
    assert _lines(may) == [("charge", b, "2024-05-01", "2024-05-02", 2, "5745", "11490")]
    nord = (await _issue(hub, "2024-04", municipality="5501")).json()
    assert [x["days"] for x in nord["lines"]] == [2, 2]


async def test_a_period_across_new_year_is_invoiced_at_each_years_rate(hub):
    stay = await _feed_case(hub, 20, 5)

    december = (await _issue(hub, "2023-12")).json()
    january = (await _issue(hub, "2024-01")).json()

    assert _lines(december) == [("charge", stay, "2023-12-29", "2023-12-31", 3, "5508", "16524")]
    assert _lines(january) == [("charge", stay, "2024-01-01", "2024-01-02", 2, "5745", "11490")]
    assert Decimal(december["total_amount"]) + Decimal(january["total_amount"]) == Decimal(28014)


async def test_a_month_that_has_not_ended_or_has_nothing_is_refused(hub):
    await _feed_case(hub, 2, 1)

    current = await _issue(hub, "2026-11")
    empty = await _issue(hub, "2024-02")
    stranger = await _issue(hub, "2024-04", as_=ALVDAL)

    assert current.status_code == 422
    assert "2026-12-01" in current.json()["detail"]
    assert empty.status_code == 422
    assert empty.json()["title"] == "Nothing To Invoice"
    assert stranger.status_code == 403  # a municipality does not issue the trust's invoices


async def test_a_correction_of_an_invoiced_month_is_a_credit_and_a_new_line(hub):
    events = [
        adm("d-adm", "2024-04-02T15:00"),
        ready("d-rdy", "2024-04-08T09:00"),
        answer("d-no", "2024-04-08T11:00", False),
        discharged("d-dis", "2024-04-10T13:00"),
    ]
    stay = await _feed(hub, "d", "2024-04-02T10:00", events, 6)
    original = (await _issue(hub, "2024-04")).json()
    assert _lines(original) == [("charge", stay, "2024-04-08", "2024-04-09", 2, "5745", "11490")]

    # The hospital cancels the discharge message and sends the right one: discharged 04-15.
    more = [
        *events,
        cancel("d-can", "2024-04-15T08:00", "d-dis"),
        discharged("d-dis2", "2024-04-15T13:00"),
    ]
    await _feed(hub, "d", "2024-04-02T10:00", more, 6)
    response = await _issue(hub, "2024-04")
    correction = response.json()

    assert response.status_code == 201
    assert (correction["invoice_id"], correction["sequence"], correction["reason"]) == (
        "59-3428-2024-04-2",
        2,
        "recomputed",
    )
    assert correction["corrects_invoice_id"] == "59-3428-2024-04-1"
    assert _lines(correction) == [
        ("credit", stay, "2024-04-08", "2024-04-09", -2, "5745", "-11490"),
        ("charge", stay, "2024-04-08", "2024-04-14", 7, "5745", "40215"),
    ]
    credit, charge = correction["lines"]
    assert credit["credits_line_ref"] == original["lines"][0]["line_ref"]
    assert charge["line_ref"] != original["lines"][0]["line_ref"]
    assert (correction["document_type"], Decimal(correction["total_amount"])) == (
        "invoice",
        Decimal(28725),
    )
    # Never a silent edit: the first invoice is as it was issued.
    assert (await hub.get("/v1/invoices/59-3428-2024-04-1")).json() == original
    assert (await _issue(hub, "2024-04")).json() == correction

    # The ready date is corrected (M) to 04-09: one day less, so money goes back: a credit note.
    changed = ready("d-rdy2", "2024-04-09T09:00", "2024-04-09", replaces="d-rdy")
    await _feed(hub, "d", "2024-04-02T10:00", [*more, changed], 6)
    credit_note = (await _issue(hub, "2024-04")).json()
    assert credit_note["document_type"] == "credit_note"
    assert _lines(credit_note) == [
        ("credit", stay, "2024-04-08", "2024-04-14", -7, "5745", "-40215"),
        ("charge", stay, "2024-04-09", "2024-04-14", 6, "5745", "34470"),
    ]
    issued = [e.data for e in await hub.outbox() if e.type == "InvoiceIssued"]
    assert [(e["sequence"], e["document_type"], Decimal(e["total"])) for e in issued] == [
        (1, "invoice", Decimal(11490)),
        (2, "invoice", Decimal(28725)),
        (3, "credit_note", Decimal(-5745)),
    ]


async def test_csv_has_one_row_per_line(hub):
    stay = await _feed(hub, "b", "2024-04-20T10:00", ACROSS_MONTHS, 2)
    await _issue(hub, "2024-04")

    by_accept = await hub.get("/v1/invoices/59-3428-2024-04-1", headers={"accept": "text/csv"})
    by_query = await hub.get("/v1/invoices/59-3428-2024-04-1?format=csv")

    assert by_accept.status_code == 200
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == by_query.text
    rows = list(csv.DictReader(io.StringIO(by_accept.text)))
    assert [
        (r["stay_ref"], r["first_day"], r["last_day"], r["days"], r["rate"], r["amount"])
        for r in rows
    ] == [(stay, "2024-04-25", "2024-04-30", "6", "5745.00", "34470.00")]
    assert rows[0]["readiness_notice_at"] == "2024-04-25T09:00"
    assert rows[0]["answer"] == "can_receive"
    assert set(rows[0]["message_ids"].split()) >= {"b-adm", "b-rdy", "b-no", "b-yes"}


def _ehf(response: httpx.Response) -> etree._Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return etree.fromstring(response.content)  # well-formed, or this raises


def _text(node: etree._Element, path: str) -> str:
    found = node.findtext(path, namespaces=UBL)
    assert found is not None, f"{path} missing"
    return found


def _check_bis_structure(root: etree._Element, lines_tag: str, quantity_tag: str) -> Decimal:
    """The BIS Billing 3.0 elements every document needs, in UBL order, with consistent sums."""
    assert _text(root, "cbc:CustomizationID") == (
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
    )
    assert _text(root, "cbc:ProfileID") == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    assert _text(root, "cbc:DocumentCurrencyCode") == "NOK"
    assert _text(root, "cbc:BuyerReference")
    order = [etree.QName(child).localname for child in root]
    required = [
        "CustomizationID",
        "ProfileID",
        "ID",
        "IssueDate",
        "DocumentCurrencyCode",
        "BuyerReference",
        "AccountingSupplierParty",
        "AccountingCustomerParty",
        "TaxTotal",
        "LegalMonetaryTotal",
        lines_tag,
    ]
    positions = [order.index(name) for name in required]
    assert positions == sorted(positions), order
    for role, org in (
        ("AccountingSupplierParty", "883974832"),
        ("AccountingCustomerParty", "939984194"),
    ):
        party = root.find(f"cac:{role}/cac:Party", UBL)
        endpoint = party.find("cbc:EndpointID", UBL)
        assert (endpoint.get("schemeID"), endpoint.text) == ("0192", org)
        assert _text(party, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "NO"
        assert _text(party, "cac:PartyLegalEntity/cbc:RegistrationName")
        assert not party.xpath("cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']", namespaces=UBL)
    lines = root.findall(f"cac:{lines_tag}", UBL)
    assert lines
    total = Decimal(0)
    for line in lines:
        quantity = line.find(f"cbc:{quantity_tag}", UBL)
        assert quantity.get("unitCode") == "DAY"
        price = Decimal(_text(line, "cac:Price/cbc:PriceAmount"))
        assert price >= 0
        amount = Decimal(_text(line, "cbc:LineExtensionAmount"))
        assert amount == Decimal(quantity.text) * price
        assert _text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID") == "O"
        assert _text(line, "cac:Item/cbc:Name")
        assert _text(line, "cac:DocumentReference/cbc:DocumentTypeCode") == "130"
        total += amount
    totals = root.find("cac:LegalMonetaryTotal", UBL)
    for name in (
        "LineExtensionAmount",
        "TaxExclusiveAmount",
        "TaxInclusiveAmount",
        "PayableAmount",
    ):
        assert Decimal(_text(totals, f"cbc:{name}")) == total, name
    assert Decimal(_text(root, "cac:TaxTotal/cbc:TaxAmount")) == 0
    if total > 0:  # BR-CO-25
        assert root.find("cbc:DueDate", UBL) is not None or _text(root, "cac:PaymentTerms/cbc:Note")
    subtotal = root.find("cac:TaxTotal/cac:TaxSubtotal", UBL)
    assert Decimal(_text(subtotal, "cbc:TaxableAmount")) == total
    assert _text(subtotal, "cac:TaxCategory/cbc:ID") == "O"
    assert _text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReason")
    return total


async def test_ehf_invoice_has_the_bis_elements_and_consistent_sums(hub):
    patient = patient_number(2)
    stay = await _feed_case(hub, 2, 2)
    b = await _feed(hub, "b", "2024-04-20T10:00", ACROSS_MONTHS, 7)
    await _issue(hub, "2024-04")

    response = await hub.get("/v1/invoices/59-3428-2024-04-1?format=ehf")
    root = _ehf(response)

    assert etree.QName(root).namespace == "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    assert _text(root, "cbc:InvoiceTypeCode") == "380"
    assert _text(root, "cbc:ID") == "59-3428-2024-04-1"
    assert _text(root, "cbc:DueDate") == "2026-12-24"
    assert (
        _text(root, "cac:InvoicePeriod/cbc:StartDate"),
        _text(root, "cac:InvoicePeriod/cbc:EndDate"),
    ) == (
        "2024-04-01",
        "2024-04-30",
    )
    assert _check_bis_structure(root, "InvoiceLine", "InvoicedQuantity") == Decimal("57450.00")
    refs = sorted(
        _text(x, "cac:DocumentReference/cbc:ID") for x in root.findall("cac:InvoiceLine", UBL)
    )
    assert refs == sorted([stay, b])
    assert patient.encode() not in response.content
    by_accept = await hub.get(
        "/v1/invoices/59-3428-2024-04-1", headers={"accept": "application/xml"}
    )
    assert by_accept.content == response.content


async def test_ehf_of_corrections_invoice_with_credit_lines_then_a_credit_note(hub):
    events = [
        adm("d-adm", "2024-04-02T15:00"),
        ready("d-rdy", "2024-04-08T09:00"),
        discharged("d-dis", "2024-04-10T13:00"),
    ]
    await _feed(hub, "d", "2024-04-02T10:00", events, 6)
    await _issue(hub, "2024-04")
    more = [
        *events,
        cancel("d-can", "2024-04-15T08:00", "d-dis"),
        discharged("d-d2", "2024-04-15T13:00"),
    ]
    await _feed(hub, "d", "2024-04-02T10:00", more, 6)
    await _issue(hub, "2024-04")
    await _feed(
        hub, "d", "2024-04-02T10:00", [*more, cancel("d-c2", "2024-04-16T08:00", "d-rdy")], 6
    )
    await _issue(hub, "2024-04")

    correction = _ehf(await hub.get("/v1/invoices/59-3428-2024-04-2?format=ehf"))
    credit_note = _ehf(await hub.get("/v1/invoices/59-3428-2024-04-3?format=ehf"))

    assert _check_bis_structure(correction, "InvoiceLine", "InvoicedQuantity") == Decimal(
        "28725.00"
    )
    quantities = [x.text for x in correction.findall("cac:InvoiceLine/cbc:InvoicedQuantity", UBL)]
    assert quantities == ["-2", "7"]
    assert _text(correction, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == (
        "59-3428-2024-04-1"
    )
    assert etree.QName(credit_note).localname == "CreditNote"
    assert _text(credit_note, "cbc:CreditNoteTypeCode") == "381"
    # The readiness notice was cancelled: the whole 7 days go back, as a positive credit.
    assert _check_bis_structure(credit_note, "CreditNoteLine", "CreditedQuantity") == Decimal(
        "40215.00"
    )
    assert _text(credit_note, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == (
        "59-3428-2024-04-2"
    )


async def test_ehf_needs_organisation_numbers(hub):
    await _feed_case(hub, 3, 3, municipality_her=NORD)
    issued = await hub.post(
        "/v1/invoices",
        json={"hospital_trust": TRUST, "municipality_number": "5501", "month": "2024-04"},
    )
    assert issued.status_code == 201

    response = await hub.get(f"/v1/invoices/{issued.json()['invoice_id']}?format=ehf")

    assert response.status_code == 422
    assert "organisation number" in response.json()["detail"]


async def test_days_without_a_rate_are_shown_unpriced_and_held_back_until_the_rate_is_added(
    hub, settings, tmp_path
):
    events = [
        adm("u-adm", "2025-01-06T12:00"),
        ready("u-rdy", "2025-01-13T09:00"),
        discharged("u-dis", "2025-01-16T12:00"),
    ]
    stay = await _feed(hub, "u", "2025-01-06T10:00", events, 8)
    summary = await hub.stay(stay)
    held = await _issue(hub, "2025-01")

    assert (summary["total_days"], summary["unpriced_days"], summary["total_amount"]) == (3, 3, "0")
    assert "unpriced_days" in summary["flags"] and "unpriced_year" in summary["reasons"]
    assert held.status_code == 422
    assert [(h["stay_ref"], h["days"]) for h in held.json()["held_back"]] == [(stay, 3)]

    # The operator adds 2025 to a rate file: no code change.
    rates = tmp_path / "rates.toml"
    rates.write_text(
        PACKAGED_RATES.read_text(encoding="utf-8")
        + "\n[[rate]]\nvalid_from = 2025-01-01\nvalid_to = 2025-12-31\nnok_per_day = 5900\n"
        'source = "test"\n',
        encoding="utf-8",
    )
    assert load_rates(rates).rate_on(datetime(2025, 6, 1).date()).nok_per_day == 5900
    restarted = create_app(
        settings.model_copy(update={"rates_file": rates}), background=False, clock=Clock(NOW)
    )
    async with LifespanManager(restarted) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            response = await http.post(
                "/v1/invoices",
                json={"hospital_trust": TRUST, "municipality_number": "3428", "month": "2025-01"},
                headers=bearer(TRUST),
            )
    assert response.status_code == 201, response.text
    assert _lines(response.json()) == [
        ("charge", stay, "2025-01-13", "2025-01-15", 3, "5900", "17700")
    ]


# --- disputes ---------------------------------------------------------------------------------


async def _invoiced_april(hub) -> dict:
    await _feed_case(hub, 2, 1)
    await _feed_case(hub, 14, 9)
    return (await _issue(hub, "2024-04")).json()


async def test_the_municipality_contests_and_the_trust_accepts_with_a_credit_note(hub):
    invoice = await _invoiced_april(hub)
    path = f"/v1/invoices/{invoice['invoice_id']}/lines/1"
    line = invoice["lines"][0]

    by_trust = await hub.post(f"{path}/contest", json={"reason": "could_receive"}, as_=TRUST)
    contested = await hub.post(
        f"{path}/contest",
        json={"reason": "could_receive", "note": "We answered on 04-10 that we could receive"},
        as_=ALVDAL,
    )
    twice = await hub.post(f"{path}/contest", json={"reason": "other", "note": "x"}, as_=ALVDAL)
    by_municipality = await hub.post(f"{path}/accept", json={}, as_=ALVDAL)
    accepted = await hub.post(f"{path}/accept", json={"resolution": "Agreed"}, as_=TRUST)

    assert by_trust.status_code == 403
    assert contested.status_code == 200, contested.text
    assert contested.json()["dispute"] == {
        "status": "contested",
        "reason": "could_receive",
        "note": "We answered on 04-10 that we could receive",
        "resolution": None,
        "credit_invoice_id": None,
    }
    assert twice.status_code == 409
    assert by_municipality.status_code == 403
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["line"]["dispute"]["status"] == "accepted"
    credit_note = body["credit_note"]
    assert body["line"]["dispute"]["credit_invoice_id"] == credit_note["invoice_id"]
    assert credit_note["document_type"] == "credit_note"
    assert credit_note["reason"] == "dispute_accepted"
    assert [
        (x["kind"], x["days"], x["amount"], x["credits_line_ref"]) for x in credit_note["lines"]
    ] == [("credit", -line["days"], f"-{line['amount']}", line["line_ref"])]
    # Settled: issuing the month again charges the accepted line no more and changes nothing.
    again = await _issue(hub, "2024-04")
    assert (again.status_code, again.json()["invoice_id"]) == (200, credit_note["invoice_id"])
    root = _ehf(await hub.get(f"/v1/invoices/{credit_note['invoice_id']}?format=ehf"))
    assert etree.QName(root).localname == "CreditNote"


async def test_the_trust_rejects_a_dispute_with_a_reason_and_the_evidence_shows_the_messages(hub):
    invoice = await _invoiced_april(hub)
    path = f"/v1/invoices/{invoice['invoice_id']}/lines/2"
    await hub.post(f"{path}/contest", json={"reason": "notice_not_received"}, as_=ALVDAL)

    without_reason = await hub.post(f"{path}/reject", json={"resolution": ""}, as_=TRUST)
    rejected = await hub.post(
        f"{path}/reject", json={"resolution": "AppRec OK from the municipality"}, as_=TRUST
    )
    evidence = await hub.get(f"{path}/evidence", as_=ALVDAL)

    assert without_reason.status_code == 422
    assert rejected.json()["dispute"]["status"] == "rejected"
    assert rejected.json()["dispute"]["resolution"] == "AppRec OK from the municipality"
    assert evidence.status_code == 200, evidence.text
    pack = evidence.json()
    line = pack["line"]
    used = {m["message_id"]: m for m in pack["messages"] if m["used_by_line"]}
    assert set(line["message_ids"]) == set(used)
    notice = used["rdy-1"]
    assert notice["gen_date"] == "2024-04-08T07:00:00Z"
    assert notice["received_at"] == "2024-04-08T07:00:03Z"
    assert notice["apprec_held_by"] == "discharge-ready"
    assert any("§ 8" in step for step in pack["steps_at_issue"])
    assert any("Days from" in step for step in pack["steps_at_issue"])
    assert pack["profile"]["id"] == "national"
    assert pack["recomputed_now"]["same_as_invoiced"] is True
    assert [(s["action"], s["caller"]) for s in pack["dispute_log"]] == [
        ("contest", "HER:99387"),
        ("reject", "HER:59"),
    ]


async def test_a_line_a_correction_credited_can_be_neither_contested_nor_credited_again(hub):
    events = [
        adm("d-adm", "2024-04-02T15:00"),
        ready("d-rdy", "2024-04-08T09:00"),
        discharged("d-dis", "2024-04-10T13:00"),
        adm("e-adm", "2024-04-02T15:00"),
    ]
    await _feed(hub, "d", "2024-04-02T10:00", events[:3], 6)
    await _feed(hub, "e", "2024-04-02T10:00", [events[3], *events[1:3]], 16)
    await _issue(hub, "2024-04")
    contested = await hub.post(
        "/v1/invoices/59-3428-2024-04-1/lines/1/contest",
        json={"reason": "other", "note": "discharged later"},
        as_=ALVDAL,
    )
    assert contested.status_code == 200
    more = [
        *events[:3],
        cancel("d-can", "2024-04-15T08:00", "d-dis"),
        discharged("d-d2", "2024-04-15T13:00"),
    ]
    await _feed(hub, "d", "2024-04-02T10:00", more, 6)
    await _feed(hub, "e", "2024-04-02T10:00", [events[3], *more[1:]], 16)
    await _issue(hub, "2024-04")  # both lines credited, and charged anew

    contest = await hub.post(
        "/v1/invoices/59-3428-2024-04-1/lines/2/contest",
        json={"reason": "other", "note": "n"},
        as_=ALVDAL,
    )
    accept = await hub.post("/v1/invoices/59-3428-2024-04-1/lines/1/accept", json={}, as_=TRUST)

    assert contest.status_code == 409
    assert "59-3428-2024-04-2 line" in contest.json()["detail"]
    assert accept.status_code == 409
    assert "credited by 59-3428-2024-04-2" in accept.json()["detail"]
    assert len((await hub.get("/v1/invoices/59-3428-2024-04-2")).json()["lines"]) == 4


@pytest.mark.parametrize("party", [NORD, "800200"])
async def test_other_parties_do_not_see_an_invoice(hub, party):
    invoice = await _invoiced_april(hub)
    response = await hub.get(f"/v1/invoices/{invoice['invoice_id']}", as_=party)
    assert response.status_code == 404
