"""An issued invoice document as EHF: PEPPOL BIS Billing 3.0, UBL 2.1 (Invoice or CreditNote).

Choices, so that the municipality can check every line against what it received:

- One line per invoice line of billing, with the pseudonymous stay reference as the line's object
  identifier (BT-128, `DocumentReference` with type code 130) and as an item property; never the
  fødselsnummer. Quantity = days (unit code DAY), price = the daily rate, net amount = days x rate.
- Corrections are never silent edits. A correction document holds the credit lines (negative
  quantity, the same positive price) beside the new lines, and refers to the month's first invoice
  (`BillingReference`). While its total is zero or more it is an `Invoice` (type 380): the credit
  and its replacement stay side by side on one document, as PEPPOL's own "negative invoice
  correction" example does. A document whose total is negative (a credit only, or an accepted
  dispute) is a `CreditNote` (type 381) with the signs turned, because a Norwegian buyer expects a
  credit note, not an invoice to pay, when money goes back.
- VAT category O (outside the scope of VAT, exemption code VATEX-EU-O): the municipal payment for
  discharge-ready patients is a statutory payment (helse- og omsorgstjenesteloven § 11-4 and the
  regulation), not consideration for a supply to the municipality. Category O forbids a seller
  VAT number (BR-O-02), so none is written; "Foretaksregisteret" is (NO-R-002).
- Written with lxml, element order as the UBL 2.1 schemas require; no schema is fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from billing.adapters.repository import StoredLine
from billing.domain.days import OSLO
from billing.domain.invoicing import LineKind

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ORG_NUMBER_SCHEME = "0192"  # Enhetsregisteret ved Brønnøysundregisterne
CURRENCY = "NOK"
VAT_CATEGORY = "O"
VAT_EXEMPTION_CODE = "VATEX-EU-O"
VAT_EXEMPTION_REASON = (
    "Not subject to VAT: statutory municipal payment for discharge-ready patients "
    "(helse- og omsorgstjenesteloven § 11-4)"
)
ITEM_NAME = "Døgnpris, utskrivningsklar pasient"
CENT = Decimal("0.01")


class EhfUnavailable(ValueError):
    """The document cannot be written as valid EHF (e.g. a party without an organisation number)."""


@dataclass(frozen=True)
class EhfParty:
    name: str
    org_number: str | None
    her_id: str | None = None


@dataclass(frozen=True)
class EhfDocument:
    invoice_id: str
    issued_at: datetime
    document_type: str  # invoice | credit_note
    month: str  # YYYY-MM
    seller: EhfParty
    buyer: EhfParty
    lines: tuple[StoredLine, ...]
    references: tuple[str, ...] = ()
    """Earlier documents this one corrects (BillingReference)."""
    payment_terms_days: int = 30


def render(document: EhfDocument) -> bytes:
    """The document as UTF-8 XML with declaration."""
    for role, party in (("seller", document.seller), ("buyer", document.buyer)):
        if not party.org_number:
            raise EhfUnavailable(
                f"the {role} {party.name!r} has no organisation number in the address register "
                "(org_number): EHF needs it as the electronic address"
            )
    if not document.lines:
        raise EhfUnavailable("an EHF document needs at least one line (BR-16)")
    credit_note = document.document_type == "credit_note"
    # In a credit note a positive amount is money back to the buyer: turn every sign.
    sign = -1 if credit_note else 1
    root = etree.Element(
        _root_tag(credit_note), nsmap={None: _root_ns(credit_note), "cac": CAC, "cbc": CBC}
    )
    issue_day = document.issued_at.astimezone(OSLO).date()
    first, last = _month_bounds(document.month)
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", document.invoice_id)
    _cbc(root, "IssueDate", issue_day.isoformat())
    if not credit_note:
        due = issue_day + timedelta(days=document.payment_terms_days)
        _cbc(root, "DueDate", due.isoformat())
        _cbc(root, "InvoiceTypeCode", "380")
    else:
        _cbc(root, "CreditNoteTypeCode", "381")
    _cbc(root, "Note", _note(document))
    _cbc(root, "DocumentCurrencyCode", CURRENCY)
    _cbc(root, "BuyerReference", f"Utskrivningsklare pasienter {document.month}")
    period = _cac(root, "InvoicePeriod")
    _cbc(period, "StartDate", first.isoformat())
    _cbc(period, "EndDate", last.isoformat())
    for reference in document.references:
        billing = _cac(root, "BillingReference")
        _cbc(_cac(billing, "InvoiceDocumentReference"), "ID", reference)
    _party(_cac(root, "AccountingSupplierParty"), document.seller, seller=True)
    _party(_cac(root, "AccountingCustomerParty"), document.buyer, seller=False)
    # A positive amount due needs a due date or payment terms (BR-CO-25), on a credit note too.
    terms = _cac(root, "PaymentTerms")
    settled = "Krediteres innen" if credit_note else "Betales innen"
    _cbc(terms, "Note", f"{settled} {document.payment_terms_days} dager")
    total = sum((_money(s.line.amount) * sign for s in document.lines), Decimal(0))
    tax = _cac(root, "TaxTotal")
    _amount(tax, "TaxAmount", Decimal(0))
    subtotal = _cac(tax, "TaxSubtotal")
    _amount(subtotal, "TaxableAmount", total)
    _amount(subtotal, "TaxAmount", Decimal(0))
    _tax_category(_cac(subtotal, "TaxCategory"), with_reason=True)
    totals = _cac(root, "LegalMonetaryTotal")
    for name in ("LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount"):
        _amount(totals, name, total)
    _amount(totals, "PayableAmount", total)
    for stored in document.lines:
        _line(root, stored, sign, credit_note)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _line(root: etree._Element, stored: StoredLine, sign: int, credit_note: bool) -> None:
    line = stored.line
    element = _cac(root, "CreditNoteLine" if credit_note else "InvoiceLine")
    _cbc(element, "ID", str(stored.line_no))
    _cbc(element, "Note", _line_note(stored))
    quantity = _cbc(
        element, "CreditedQuantity" if credit_note else "InvoicedQuantity", str(line.days * sign)
    )
    quantity.set("unitCode", "DAY")
    _amount(element, "LineExtensionAmount", _money(line.amount) * sign)
    period = _cac(element, "InvoicePeriod")
    _cbc(period, "StartDate", line.first_day.isoformat())
    _cbc(period, "EndDate", (line.end_day - timedelta(days=1)).isoformat())
    reference = _cac(element, "DocumentReference")
    _cbc(reference, "ID", line.stay_ref)
    _cbc(reference, "DocumentTypeCode", "130")  # invoiced object identifier (BT-128)
    item = _cac(element, "Item")
    _cbc(item, "Description", _description(stored))
    _cbc(item, "Name", ITEM_NAME)
    _cbc(_cac(item, "SellersItemIdentification"), "ID", line.line_id)
    _tax_category(_cac(item, "ClassifiedTaxCategory"), with_reason=False)
    for name, value in _properties(stored):
        prop = _cac(item, "AdditionalItemProperty")
        _cbc(prop, "Name", name)
        _cbc(prop, "Value", value)
    price = _cac(element, "Price")
    _amount(price, "PriceAmount", _money(line.rate or Decimal(0)))
    base = _cbc(price, "BaseQuantity", "1")
    base.set("unitCode", "DAY")


def _properties(stored: StoredLine) -> Iterable[tuple[str, str]]:
    line = stored.line
    yield "Opphold (stay reference)", line.stay_ref
    yield "Sykehusavdeling (HER-id)", line.hospital_unit
    yield "Innlagt", _local(line.admitted_at)
    if line.admission_notice_at is not None:
        yield "Innleggelsesmelding (§ 8)", _local(line.admission_notice_at)
    yield "Utskrivningsklar-melding (§ 10)", _local(line.readiness_notice_at)
    if line.answer is not None:
        said = "kan ta imot" if line.answer.can_receive else "kan ikke ta imot"
        yield "Kommunens svar", f"{said}, {_local(line.answer.answered_at)}"
    yield "Avsluttet", f"{line.end_reason.value} {line.end_date.isoformat()}"
    yield "Avtaleprofil", line.profile_id
    yield "Meldinger (MsgId)", " ".join(line.message_ids)


def _description(stored: StoredLine) -> str:
    line = stored.line
    last = line.end_day - timedelta(days=1)
    days = f"{abs(line.days)} døgn {line.first_day.isoformat()}–{last.isoformat()}"
    if line.kind is LineKind.CREDIT:
        return f"Kreditering av linje {line.credits_line_id}: {days}"
    return f"Utskrivningsklar pasient, opphold {line.stay_ref}: {days}"


def _line_note(stored: StoredLine) -> str:
    line = stored.line
    if line.kind is LineKind.CREDIT:
        return f"Kreditering av {line.credits_line_id}"
    return f"Betalingsperiode {line.period_key}"


def _note(document: EhfDocument) -> str:
    text = (
        "Kommunal betaling for utskrivningsklare pasienter "
        f"(forskrift FOR-2011-11-18-1115), {document.month}"
    )
    if document.references:
        text += f". Korrigerer {', '.join(document.references)}"
    return text


def _party(parent: etree._Element, party: EhfParty, *, seller: bool) -> None:
    element = _cac(parent, "Party")
    endpoint = _cbc(element, "EndpointID", party.org_number or "")
    endpoint.set("schemeID", ORG_NUMBER_SCHEME)
    _cbc(_cac(element, "PartyName"), "Name", party.name)
    address = _cac(element, "PostalAddress")
    _cbc(_cac(address, "Country"), "IdentificationCode", "NO")
    if seller:
        scheme = _cac(element, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", "Foretaksregisteret")
        _cbc(_cac(scheme, "TaxScheme"), "ID", "TAX")
    legal = _cac(element, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", party.name)
    company = _cbc(legal, "CompanyID", party.org_number or "")
    company.set("schemeID", ORG_NUMBER_SCHEME)


def _tax_category(element: etree._Element, *, with_reason: bool) -> None:
    _cbc(element, "ID", VAT_CATEGORY)
    if with_reason:
        _cbc(element, "TaxExemptionReasonCode", VAT_EXEMPTION_CODE)
        _cbc(element, "TaxExemptionReason", VAT_EXEMPTION_REASON)
    _cbc(_cac(element, "TaxScheme"), "ID", "VAT")


def _amount(parent: etree._Element, name: str, value: Decimal) -> etree._Element:
    element = _cbc(parent, name, f"{_money(value):.2f}")
    element.set("currencyID", CURRENCY)
    return element


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _cbc(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{name}")
    element.text = text
    return element


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{name}")


def _root_ns(credit_note: bool) -> str:
    return CREDIT_NOTE_NS if credit_note else INVOICE_NS


def _root_tag(credit_note: bool) -> str:
    return f"{{{_root_ns(credit_note)}}}{'CreditNote' if credit_note else 'Invoice'}"


def _month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    following = (
        date(first.year + 1, 1, 1) if first.month == 12 else first.replace(month=first.month + 1)
    )
    return first, following - timedelta(days=1)


def _local(instant: datetime) -> str:
    return instant.astimezone(OSLO).strftime("%Y-%m-%d %H:%M")
