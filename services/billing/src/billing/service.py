"""Use cases of billing: take an event, recompute a stay, show clocks and stays, issue invoices,
and carry a disputed line from contest to accept or reject.

Every use case runs in the caller's unit of work; the events it causes go to the outbox in the same
transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing.adapters.event_mapping import MappedEvent, map_event, redacted, stay_facts
from billing.adapters.fact_json import fact_to_json
from billing.adapters.ratefiles import load_agreements, load_rates
from billing.adapters.repository import (
    Db,
    FactCache,
    FactRow,
    FactStore,
    InvoiceRepository,
    Projection,
    StayKeys,
    StoredLine,
    clock_values,
    dumps,
)
from billing.domain import (
    AgreementBook,
    AgreementProfile,
    DisputeReason,
    InvoiceLine,
    LineKind,
    RateTable,
    Reason,
    StayAssessment,
    StayFacts,
    accept,
    assess,
    assess_now_and_ahead,
    choose_profile,
    contest,
    month_lines,
    reconcile,
    reject,
)
from billing.domain.days import month_start, next_month_start, oslo_day
from billing.domain.publication import (
    Announcement,
    Change,
    PublishedClock,
    changes,
    clocks_of,
)
from billing.settings import Settings
from hub_shared.auth import Caller
from hub_shared.consumer import span_of
from hub_shared.db.uow import UnitOfWork
from hub_shared.events import EVENT_MODELS, topics
from hub_shared.events.admission import AdmissionNotified
from hub_shared.events.billing import (
    InvoiceIssued,
    PaymentClockStarted,
    PaymentClockStopped,
    PaymentClockVoided,
)
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.register import AddressRegister, load_register
from hub_shared.timeutil import utc_now

log = logging.getLogger(__name__)

CONSUMED_TOPICS = (topics.ADMISSION, topics.DISCHARGE, topics.HOUSING)

# Stay-level rules that leave every period of the stay without payment.
_ANNULLING = (Reason.NO_ADMISSION_NOTICE, Reason.LATE_ADMISSION_NOTICE)
_ANNULLING_PROFILE = (Reason.NO_DISCHARGE_DOCUMENTATION,)


class NotFound(Exception):
    pass


class Refused(Exception):
    """The request cannot be carried out as asked (problem detail in the message)."""


class MonthNotEnded(Refused):
    pass


class NothingToInvoice(Refused):
    def __init__(self, message: str, held_back: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.held_back = held_back


@dataclass(frozen=True)
class BillingConfig:
    rates: RateTable
    agreements: AgreementBook
    register: AddressRegister
    stay_secret: bytes
    horizon: timedelta = timedelta(days=731)
    payment_terms_days: int = 30
    fact_cache_rows: int = 50_000

    @classmethod
    def from_settings(cls, settings: Settings) -> BillingConfig:
        return cls(
            rates=load_rates(settings.rates_file),
            agreements=load_agreements(settings.agreements_file),
            register=load_register(settings.register_file),
            stay_secret=settings.stay_secret.get_secret_value().encode(),
            horizon=timedelta(days=settings.clock_horizon_days),
            payment_terms_days=settings.payment_terms_days,
            fact_cache_rows=settings.fact_cache_rows,
        )


@dataclass(frozen=True)
class StayReport:
    """A stay assessed now from its stored facts, with the facts it rests on."""

    stay: StayFacts
    profile: AgreementProfile
    assessment: StayAssessment
    notes: tuple[str, ...]
    rows: tuple[FactRow, ...]


@dataclass(frozen=True)
class Recomputed:
    stay_id: str
    complete: bool
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class RunningClock:
    stay_id: str
    period_key: str
    hospital_trust: str | None
    hospital_her: str
    municipality_number: str | None
    since: date
    stops_on: date | None
    days: int
    amount: Decimal
    unpriced_days: int
    daily_rate: Decimal | None
    revision: int


@dataclass
class IssuedDocument:
    invoice: Any  # the invoices row
    lines: list[StoredLine]
    held_back: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Billing:
    config: BillingConfig
    clock: Callable[[], datetime] = utc_now
    facts: FactCache = field(init=False, repr=False)
    """The facts recomputations read, decoded once (see FactCache); reads for people bypass it."""

    def __post_init__(self) -> None:
        self.facts = FactCache(self.config.fact_cache_rows)

    # --- events in -----------------------------------------------------------------------

    async def apply_event(self, uow: UnitOfWork, envelope: Envelope) -> None:
        """The consumer's handler for one event (see `apply_events`)."""
        await self.apply_events(uow, [envelope])

    async def apply_events(self, uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
        """The consumer's handler: keep each event's fact, then recompute every stay they touch,
        with one read and one write of its projection. The effect is that of applying the events
        one by one: the same projection (a stay's assessment depends on its set of facts only) and
        the same clock announcements, in the same order (`recompute_many`).

        An event already in the fact store (a replay, under any consumer group) changes nothing.
        """
        kept: dict[str, FactRow] = {}
        other_keys: dict[str, str] = {}
        for envelope in envelopes:
            model = EVENT_MODELS.get(envelope.type)
            if model is None or model.TOPIC not in CONSUMED_TOPICS:
                continue
            data = model.model_validate(envelope.data)  # an invalid event fails: bounded retry, DLQ
            mapped = map_event(data, str(envelope.id))
            if mapped is None:
                continue
            stay_id = getattr(data, "stay_id", None) or envelope.subject
            row = self._fact_row(envelope, model.TOPIC, stay_id, mapped)
            kept.setdefault(row.event_id, row)
            if isinstance(data, AdmissionNotified):  # AdmissionChanged too
                key_id = self.key_id(data.patient.id, data.hospital.her_id, data.admitted_at)
                if key_id is not None and key_id != stay_id:
                    other_keys[key_id] = stay_id
        await StayKeys(uow.session).remember(other_keys)
        store = FactStore(uow.session, self.facts)
        for event_id in await store.known(kept):
            del kept[event_id]
        if not kept:
            return
        await store.add_many(_fact_values(row) for row in kept.values())
        for row in kept.values():
            self.facts.put(row)
        arrivals: dict[str, list[str]] = {}
        for event_id, row in kept.items():
            arrivals.setdefault(row.stay_id, []).append(event_id)
        await self.recompute_many(uow, list(arrivals), arrivals=arrivals)

    def _fact_row(
        self, envelope: Envelope, topic: str, stay_id: str, mapped: MappedEvent
    ) -> FactRow:
        return FactRow(
            event_id=str(envelope.id),
            stay_id=stay_id,
            topic=topic,
            event_type=envelope.type,
            source=envelope.source,
            event_time=envelope.time,
            consumed_at=self.clock(),
            message_id=mapped.message_id,
            gen_date=mapped.gen_date,
            received_at=mapped.received_at,
            from_admission=mapped.from_admission,
            fact=mapped.fact,
            stay_ref=mapped.stay_ref,
            data_json=dumps(redacted(envelope.data)),
        )

    async def recompute(self, uow: UnitOfWork, stay_id: str) -> Recomputed:
        """Assess the stay from all its facts, publish what changed about its clocks, and keep the
        projection. Depends on the set of facts only, so replays and duplicates publish nothing."""
        (result,) = await self.recompute_many(uow, [stay_id])
        return result

    async def recompute_many(
        self,
        uow: UnitOfWork,
        stay_ids: Sequence[str],
        *,
        arrivals: Mapping[str, Sequence[str]] | None = None,
    ) -> list[Recomputed]:
        """`recompute` for several stays, with one read and one write per table for all of them.

        `arrivals` names, per stay, the events just added to its facts, in the order they came.
        Subscribers are then told what they would have been told had each come in a transaction
        of its own: the clock announcements after each event, each in that event's trace."""
        now = self.clock()
        session = uow.session
        facts = await FactStore(session, self.facts).for_stays(stay_ids)
        projection = Projection(session)
        published = await projection.clocks_of_stays(stay_ids)
        stays: list[dict[str, Any]] = []
        clocks: list[dict[str, Any]] = []
        results: list[Recomputed] = []
        for stay_id in stay_ids:
            rows = facts.get(stay_id, [])
            arrived = list((arrivals or {}).get(stay_id, ()))
            known = published.get(stay_id, {})
            found: list[Change] = []
            for event_id, step in self._announcements_before(stay_id, rows, arrived, known, now):
                clocks += _stage(uow, stay_id, event_id, step, now)
                known = {**known, **{change.clock.period_key: change.clock for change in step}}
                found += step
            basis = self._basis(stay_id, rows)
            if basis is None:
                stays.append(_incomplete(stay_id, len(rows), now))
                results.append(Recomputed(stay_id, complete=False, changes=tuple(found)))
                continue
            stay, profile, notes = basis
            assessment, horizon = assess_now_and_ahead(
                stay, self.config.rates, profile, as_of=now, horizon=now + self.config.horizon
            )
            report = StayReport(stay, profile, assessment, notes, tuple(rows))
            last = changes(known, clocks_of(horizon), reasons=_void_reasons(horizon))
            clocks += _stage(uow, stay_id, arrived[-1] if arrived else None, last, now)
            found += last
            stays.append(_stay_values(report, horizon, len(rows), now))
            results.append(Recomputed(stay_id, complete=True, changes=tuple(found)))
        await projection.save_clocks(clocks)
        await projection.save_stays(stays)
        await uow.flush()
        return results

    def _announcements_before(
        self,
        stay_id: str,
        rows: list[FactRow],
        arrived: list[str],
        published: Mapping[str, PublishedClock],
        now: datetime,
    ) -> Iterable[tuple[str, list[Change]]]:
        """The clock announcements after each of the events that arrived before the last one:
        the stay's facts as they stood then, assessed up to the horizon, against what had been
        published by then."""
        if len(arrived) < 2:
            return
        new = set(arrived)
        by_id = {row.event_id: row for row in rows}
        facts = [row for row in rows if row.event_id not in new]
        known = dict(published)
        for event_id in arrived[:-1]:
            facts.append(by_id[event_id])
            basis = self._basis(stay_id, facts)
            if basis is None:
                continue
            stay, profile, _notes = basis
            ahead = assess(stay, self.config.rates, profile, as_of=now + self.config.horizon)
            step = changes(known, clocks_of(ahead), reasons=_void_reasons(ahead))
            known.update((change.clock.period_key, change.clock) for change in step)
            yield event_id, step

    def _report(self, stay_id: str, rows: list[FactRow], now: datetime) -> StayReport | None:
        basis = self._basis(stay_id, rows)
        if basis is None:
            return None
        stay, profile, notes = basis
        assessment = assess(stay, self.config.rates, profile, as_of=now)
        return StayReport(stay, profile, assessment, notes, tuple(rows))

    def _basis(
        self, stay_id: str, rows: list[FactRow]
    ) -> tuple[StayFacts, AgreementProfile, tuple[str, ...]] | None:
        """The stay from its facts, the profile it is judged under, and the notes on both."""
        stay, notes = stay_facts(stay_id, (row.stored for row in rows))
        if stay is None:
            return None
        notes += [
            f"The municipality's answer {row.message_id} is not in the agreed form: read as "
            "'cannot receive' (it does not stop the clock); a person must read the message"
            for row in rows
            if row.unreadable_answer
        ]
        return stay, choose_profile(stay, self.config.agreements), tuple(notes)

    # --- reads ---------------------------------------------------------------------------

    async def stay_report(self, session: Db, stay_id: str) -> StayReport | None:
        """The stay assessed now from its stored facts; None when nothing is known of it yet."""
        rows = await FactStore(session).for_stay(stay_id)
        if not rows:
            return None
        return self._report(stay_id, rows, self.clock())

    def key_id(
        self, patient_id: str | None, hospital_her: str, admitted_at: datetime
    ) -> str | None:
        """The id the stay key derives to (the hospital's organisation stands for its units);
        None when the key cannot derive one."""
        if not patient_id:
            return None
        hospital = self.config.register.organisation_id(hospital_her)
        return str(derive_stay_id(patient_id, hospital, admitted_at, self.config.stay_secret))

    async def stay_of_key(
        self, session: Db, patient_id: str, hospital_her: str, admitted_at: datetime
    ) -> str:
        """The stay a key names: the one it derives to, or the stay whose admission time was
        corrected to it. Raises ValueError for a key that derives no id."""
        key_id = self.key_id(patient_id, hospital_her, admitted_at)
        if key_id is None:
            raise ValueError("no patient identifier")
        return await StayKeys(session).stay_of(key_id)

    async def stay_rows(self, session: Db, stay_id: str) -> list[FactRow]:
        return await FactStore(session).for_stay(stay_id)

    async def running_clocks(self, session: Db, municipality_her: str) -> list[RunningClock]:
        """Clocks running today (Oslo) for a municipality, with days and NOK so far."""
        today = oslo_day(self.clock())
        rows = await Projection(session).running_clocks(
            self.config.register.organisation_id(municipality_her), today
        )
        rate_today = self.config.rates.rate_on(today)
        found = []
        for row in rows:
            end = today + timedelta(days=1)
            if row.stops_on is not None:
                end = min(end, row.stops_on)
            days, amount, unpriced = self._price(row.started_on, end)
            found.append(
                RunningClock(
                    stay_id=row.stay_id,
                    period_key=row.period_key,
                    hospital_trust=row.hospital_trust,
                    hospital_her=row.hospital_her,
                    municipality_number=row.municipality_number,
                    since=row.started_on,
                    stops_on=row.stops_on,
                    days=days,
                    amount=amount,
                    unpriced_days=unpriced,
                    daily_rate=rate_today.nok_per_day if rate_today else None,
                    revision=row.revision,
                )
            )
        return found

    def _price(self, start: date, end: date) -> tuple[int, Decimal, int]:
        days, amount, unpriced = 0, Decimal(0), 0
        for segment in self.config.rates.segments(start, end):
            days += segment.days
            if segment.rate is None:
                unpriced += segment.days
            else:
                amount += segment.rate.nok_per_day * segment.days
        return days, amount, unpriced

    # --- invoices ------------------------------------------------------------------------

    async def issue_invoice(
        self, uow: UnitOfWork, hospital_trust: str, municipality: str, month: date
    ) -> tuple[IssuedDocument, bool]:
        """The month's invoice of a trust to a municipality: the first call issues it, a later call
        returns the same document unless a recomputation changed it, and then issues a correction
        (credit lines for what changed, and the new lines). Returns (document, newly issued)."""
        now = self.clock()
        first, end = month_start(month), next_month_start(month)
        if end > oslo_day(now):
            raise MonthNotEnded(
                f"{first:%Y-%m} has not ended (Europe/Oslo): it can be invoiced from {end}"
            )
        label = f"{first:%Y-%m}"
        repo = InvoiceRepository(uow.session)
        series = await repo.series(hospital_trust, municipality, label)
        previous = await repo.series_lines(row.invoice_id for row in series)
        stay_ids = set(
            await Projection(uow.session).stays_for_invoice(
                hospital_trust, municipality, first, end
            )
        ) | {stored.line.stay_ref for stored in previous}
        recomputed, steps, held_back = await self._month_lines(
            uow.session, sorted(stay_ids), hospital_trust, municipality, first
        )
        corrections = reconcile([s.line for s in previous], recomputed)
        if not corrections:
            if series:
                latest = series[-1]
                return IssuedDocument(latest, await repo.lines(latest.invoice_id), held_back), False
            raise NothingToInvoice(
                f"No priced payable days of {hospital_trust} for {municipality} in {label}",
                held_back,
            )
        reasons = {key: self._credit_step(previous, key) for key in {c.key for c in corrections}}
        lines: list[tuple[InvoiceLine, tuple[str, ...]]] = []
        for correction in corrections:
            for credit in correction.credits:
                lines.append((credit, reasons[correction.key]))
            for charge in correction.charges:
                lines.append((charge, steps[(charge.stay_ref, charge.period_key)]))
        document = await self._add_document(
            uow,
            series,
            hospital_trust,
            municipality,
            label,
            lines,
            reason="issued" if not series else "recomputed",
            held_back=held_back,
        )
        return document, True

    async def _month_lines(
        self,
        session: Db,
        stay_ids: Iterable[str],
        hospital_trust: str,
        municipality: str,
        month: date,
    ) -> tuple[list[InvoiceLine], dict[tuple[str, str], tuple[str, ...]], list[dict[str, Any]]]:
        lines: list[InvoiceLine] = []
        steps: dict[tuple[str, str], tuple[str, ...]] = {}
        held_back: list[dict[str, Any]] = []
        for stay_id in stay_ids:
            report = await self.stay_report(session, stay_id)
            if report is None:
                continue
            found = month_lines(
                report.assessment,
                hospital_trust=hospital_trust,
                municipality=municipality,
                month=month,
            )
            periods = {p.key: p for p in report.assessment.periods}
            for line in found:
                period = periods[line.period_key]
                steps[(line.stay_ref, line.period_key)] = (
                    *report.assessment.steps,
                    *report.notes,
                    *period.steps,
                )
                if not line.priced:
                    held_back.append(
                        {
                            "stay_ref": line.stay_ref,
                            "period_key": line.period_key,
                            "first_day": line.first_day.isoformat(),
                            "days": line.days,
                            "reason": f"no rate for {line.first_day.year}: held back until an "
                            "operator adds it to the rate file",
                        }
                    )
            lines += found
        return lines, steps, held_back

    @staticmethod
    def _credit_step(previous: list[StoredLine], key: Any) -> tuple[str, ...]:
        where = [f"{s.invoice_id} line {s.line_no}" for s in previous if s.line.key == key]
        return (
            f"Credit: a recomputation from the stay's facts changed what {', '.join(where)} "
            "invoiced; the new lines follow",
        )

    async def _add_document(
        self,
        uow: UnitOfWork,
        series: list[Any],
        hospital_trust: str,
        municipality: str,
        label: str,
        lines: list[tuple[InvoiceLine, tuple[str, ...]]],
        *,
        reason: str,
        held_back: list[dict[str, Any]] | None = None,
    ) -> IssuedDocument:
        now = self.clock()
        sequence = (series[-1].sequence if series else 0) + 1
        invoice_id = f"{hospital_trust}-{municipality}-{label}-{sequence}"
        total_days = sum(line.days for line, _ in lines)
        total = sum((line.amount for line, _ in lines), Decimal(0))
        document_type = "credit_note" if total < 0 else "invoice"
        corrects = series[0].invoice_id if series else None
        values = {
            "invoice_id": invoice_id,
            "hospital_trust": hospital_trust,
            "municipality_number": municipality,
            "municipality_her": self.municipality_her(municipality),
            "month": label,
            "sequence": sequence,
            "document_type": document_type,
            "reason": reason,
            "corrects_invoice_id": corrects,
            "issued_at": now,
            "total_days": total_days,
            "total_amount": total,
            "held_back": dumps(held_back or []),
        }
        repo = InvoiceRepository(uow.session)
        await repo.add(values, lines)
        await uow.publish(
            InvoiceIssued(
                invoice_id=invoice_id,
                hospital_trust=hospital_trust,
                municipality_number=municipality,
                month=label,
                issued_at=now,
                lines=len(lines),
                total=total,
                sequence=sequence,
                document_type=document_type,  # type: ignore[arg-type]
                corrects_invoice_id=corrects,
                total_days=total_days,
            ),
            subject=f"{hospital_trust}-{municipality}-{label}",
        )
        invoice = await repo.invoice(invoice_id)
        return IssuedDocument(invoice, await repo.lines(invoice_id), held_back or [])

    def municipality_her(self, municipality: str) -> str | None:
        """The paying municipality's HER-id (organisation level), from the address register."""
        for party in self.config.register.party:
            if party.kind == "municipality" and party.municipality_number == municipality:
                return party.her_id
        return None

    # --- disputes ------------------------------------------------------------------------

    async def line(self, session: Db, invoice_id: str, line_no: int) -> StoredLine:
        stored = await InvoiceRepository(session).line(invoice_id, line_no)
        if stored is None:
            raise NotFound(f"No line {line_no} on invoice {invoice_id}")
        return stored

    async def contest_line(
        self,
        uow: UnitOfWork,
        invoice_id: str,
        line_no: int,
        reason: DisputeReason,
        note: str | None,
        caller: Caller,
    ) -> StoredLine:
        stored = await self.line(uow.session, invoice_id, line_no)
        await self._still_in_force(uow.session, stored)
        contested = _domain(contest, stored.line, reason, note)
        repo = InvoiceRepository(uow.session)
        await repo.set_dispute(invoice_id, line_no, contested.dispute)
        await self._log(repo, stored, caller, "contest", reason.value, note)
        return await self.line(uow.session, invoice_id, line_no)

    async def accept_line(
        self, uow: UnitOfWork, invoice_id: str, line_no: int, resolution: str | None, caller: Caller
    ) -> tuple[StoredLine, IssuedDocument]:
        """The trust accepts the dispute: the line is marked, and a credit note credits it."""
        stored = await self.line(uow.session, invoice_id, line_no)
        await self._still_in_force(uow.session, stored)  # else it would be credited twice
        accepted, credit = _domain(accept, stored.line, resolution)
        repo = InvoiceRepository(uow.session)
        invoice = await repo.invoice(invoice_id)
        assert invoice is not None
        series = await repo.series(
            invoice.hospital_trust, invoice.municipality_number, invoice.month
        )
        why = (
            f"Credit of {invoice_id} line {line_no}: the trust accepted the municipality's dispute "
            f"({stored.line.dispute.reason}: {stored.line.dispute.note or ''})"
            + (f"; {resolution}" if resolution else ""),
        )
        document = await self._add_document(
            uow,
            series,
            invoice.hospital_trust,
            invoice.municipality_number,
            invoice.month,
            [(credit, why)],
            reason="dispute_accepted",
        )
        await repo.set_dispute(
            invoice_id, line_no, accepted.dispute, credit_invoice_id=document.invoice.invoice_id
        )
        await self._log(repo, stored, caller, "accept", None, resolution)
        return await self.line(uow.session, invoice_id, line_no), document

    async def reject_line(
        self, uow: UnitOfWork, invoice_id: str, line_no: int, resolution: str, caller: Caller
    ) -> StoredLine:
        stored = await self.line(uow.session, invoice_id, line_no)
        rejected = _domain(reject, stored.line, resolution)
        repo = InvoiceRepository(uow.session)
        await repo.set_dispute(invoice_id, line_no, rejected.dispute)
        await self._log(repo, stored, caller, "reject", None, resolution)
        return await self.line(uow.session, invoice_id, line_no)

    async def _still_in_force(self, session: Db, stored: StoredLine) -> None:
        """A line a later correction credited is no longer owed: contest the new line instead."""
        repo = InvoiceRepository(session)
        invoice = await repo.invoice(stored.invoice_id)
        assert invoice is not None
        series = await repo.series(
            invoice.hospital_trust, invoice.municipality_number, invoice.month
        )
        for other in await repo.series_lines(row.invoice_id for row in series):
            if (
                other.line.kind is LineKind.CREDIT
                and other.line.credits_line_id == stored.line.line_id
            ):
                raise Refused(
                    f"{stored.invoice_id} line {stored.line_no} was credited by "
                    f"{other.invoice_id} line {other.line_no}; dispute the line that replaced it"
                )

    async def _log(
        self,
        repo: InvoiceRepository,
        stored: StoredLine,
        caller: Caller,
        action: str,
        reason: str | None,
        text: str | None,
    ) -> None:
        await repo.log_dispute(
            {
                "invoice_id": stored.invoice_id,
                "line_no": stored.line_no,
                "at": self.clock(),
                "caller": caller.audit_name,
                "action": action,
                "reason": reason,
                "text": text,
            }
        )

    async def evidence(self, session: Db, invoice_id: str, line_no: int) -> dict[str, Any]:
        """Everything a disputed line rests on: the messages behind it, the steps under the
        profile in force when it was issued, and what a recomputation from today's facts gives."""
        stored = await self.line(session, invoice_id, line_no)
        line = stored.line
        rows = await self.stay_rows(session, line.stay_ref)
        used = set(line.message_ids)
        report = self._report(line.stay_ref, rows, self.clock()) if rows else None
        recomputed = None
        if report is not None:
            lines = month_lines(
                report.assessment,
                hospital_trust=line.hospital_trust,
                municipality=line.municipality,
                month=line.month,
            )
            mine = [x for x in lines if x.period_key == line.period_key]
            period = next((p for p in report.assessment.periods if p.key == line.period_key), None)
            recomputed = {
                "days": sum(x.days for x in mine),
                "amount": sum((x.amount for x in mine), Decimal(0)),
                "profile_id": report.profile.id,
                "steps": [
                    *report.assessment.steps,
                    *report.notes,
                    *(period.steps if period else ()),
                ],
            }
        repo = InvoiceRepository(session)
        return {
            "stored": stored,
            "profile": self._profile(line.profile_id),
            "messages": [
                {
                    "message_id": row.message_id,
                    "event_id": row.event_id,
                    "event_type": row.event_type,
                    "topic": row.topic,
                    "gen_date": row.gen_date,
                    "received_at": row.received_at,
                    "consumed_at": row.consumed_at,
                    "used_by_line": row.message_id in used,
                    "apprec_held_by": _apprec_holder(row.topic),
                }
                for row in sorted(rows, key=lambda r: (r.gen_date or r.consumed_at, r.message_id))
            ],
            "recomputed_now": recomputed,
            "dispute_log": await repo.dispute_log(invoice_id, line_no),
        }

    def _profile(self, profile_id: str) -> AgreementProfile | None:
        return self.config.agreements.profiles.get(profile_id)

    # --- maintenance ---------------------------------------------------------------------

    async def stay_ids(self, session: Db) -> list[str]:
        return await FactStore(session).stay_ids()


def _domain(action: Callable[..., Any], *args: Any) -> Any:
    try:
        return action(*args)
    except ValueError as error:
        raise Refused(str(error)) from error


def _apprec_holder(topic: str) -> str | None:
    """Billing sees events, not XML: the AppRec of a message is kept by the service that took it."""
    return {topics.ADMISSION: "admission-notice", topics.DISCHARGE: "discharge-ready"}.get(topic)


def _void_reasons(horizon: StayAssessment) -> dict[str, list[str]]:
    stay_level = [r.value for r in horizon.reasons if r in _ANNULLING + _ANNULLING_PROFILE]
    return {
        p.key: list(dict.fromkeys([*stay_level, *(r.value for r in p.reasons)]))
        for p in horizon.periods
        if not p.payable
    }


def _stage(
    uow: UnitOfWork, stay_id: str, event_id: str | None, step: list[Change], now: datetime
) -> list[dict[str, Any]]:
    """Stage the clock events of one step in the trace of the event that caused it; their rows
    of the clock projection."""
    if not step:
        return []  # most steps announce nothing: spare entering the event's span
    with span_of(event_id):
        for change in step:
            uow.stage(_clock_event(stay_id, change), subject=stay_id)
    return [clock_values(stay_id, change.clock, now) for change in step]


def _clock_event(stay_id: str, change: Change) -> EventData:
    clock: PublishedClock = change.clock
    if change.announcement is Announcement.STARTED:
        return PaymentClockStarted(
            stay_id=stay_id,
            period_key=clock.period_key,
            started_on=clock.started_on,
            notice_msg_id=clock.notice_msg_id,
            hospital_her=clock.hospital_her,
            municipality_number=clock.municipality,
            daily_rate=clock.daily_rate,
            revision=clock.revision,
        )
    if change.announcement is Announcement.STOPPED:
        assert clock.stops_on is not None and clock.end_reason is not None
        return PaymentClockStopped(
            stay_id=stay_id,
            period_key=clock.period_key,
            started_on=clock.started_on,
            stopped_on=clock.stops_on,
            end_reason=clock.end_reason,
            days=clock.days,
            amount=clock.amount,
            revision=clock.revision,
            unpriced_days=clock.unpriced_days,
        )
    return PaymentClockVoided(
        stay_id=stay_id,
        period_key=clock.period_key,
        reasons=list(clock.reasons),
        revision=clock.revision,
    )


def _fact_values(row: FactRow) -> dict[str, Any]:
    """The fact store's row of a consumed event."""
    return {
        "event_id": row.event_id,
        "stay_id": row.stay_id,
        "topic": row.topic,
        "event_type": row.event_type,
        "source": row.source,
        "event_time": row.event_time,
        "consumed_at": row.consumed_at,
        "message_id": row.message_id,
        "gen_date": row.gen_date,
        "received_at": row.received_at,
        "from_admission": row.from_admission,
        "fact": dumps(fact_to_json(row.fact)),
        "stay_ref": dumps(row.stay_ref.to_json()) if row.stay_ref else None,
        "data": row.data_json,
    }


def _incomplete(stay_id: str, fact_count: int, now: datetime) -> dict[str, Any]:
    return {
        "stay_id": stay_id,
        "complete": False,
        "hospital_trust": None,
        "hospital_her": None,
        "municipality_her": None,
        "municipality_number": None,
        "sector": None,
        "admitted_at": None,
        "profile_id": None,
        "payable": False,
        "total_days": 0,
        "total_amount": Decimal(0),
        "unpriced_days": 0,
        "reasons": "[]",
        "flags": "[]",
        "span_start": None,
        "span_end": None,
        "open_span": False,
        "fact_count": fact_count,
        "assessed_at": now,
    }


def _stay_values(
    report: StayReport, horizon: StayAssessment, fact_count: int, now: datetime
) -> dict[str, Any]:
    stay, assessment = report.stay, report.assessment
    payable = [p for p in horizon.periods if p.payable and p.days > 0]
    open_span = any(p.end_reason.value == "open" for p in payable)
    return {
        "stay_id": stay.stay_id,
        "complete": True,
        "hospital_trust": stay.hospital_trust,
        "hospital_her": stay.hospital_her,
        "municipality_her": stay.municipality_her,
        "municipality_number": stay.residence_municipality,
        "sector": stay.sector.value,
        "admitted_at": stay.admitted_at,
        "profile_id": report.profile.id,
        "payable": assessment.payable,
        "total_days": assessment.total_days,
        "total_amount": assessment.total_amount,
        "unpriced_days": assessment.unpriced_days,
        "reasons": json.dumps([r.value for r in assessment.reasons]),
        "flags": json.dumps([f.value for f in assessment.flags]),
        "span_start": min((p.start for p in payable), default=None),
        "span_end": None if open_span else max((p.end for p in payable), default=None),
        "open_span": open_span,
        "fact_count": fact_count,
        "assessed_at": now,
    }


__all__ = [
    "CONSUMED_TOPICS",
    "Billing",
    "BillingConfig",
    "IssuedDocument",
    "MonthNotEnded",
    "NotFound",
    "NothingToInvoice",
    "Recomputed",
    "Refused",
    "RunningClock",
    "StayReport",
]
