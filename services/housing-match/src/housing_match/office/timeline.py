"""A stay's timeline on its case page: admission, readiness, answers, the clock, assignment and
discharge, each with the ids of the messages and decisions behind it (so that a figure can be
traced to the XML that caused it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from housing_match.adapters.repository import Row
from housing_match.entrypoints.views import CaseView
from housing_match.office import formatting as fmt
from housing_match.office.feed import start_of
from housing_match.office.i18n import Translator
from hub_shared.db import stored_utc


@dataclass
class Entry:
    at: datetime
    when: str
    title: str
    text: str = ""
    ids: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "event"

    @classmethod
    def stored(
        cls,
        at: datetime,
        lang: str,
        title: str,
        text: str = "",
        ids: list[tuple[str, str]] | None = None,
        kind: str = "event",
    ) -> Entry:
        """An entry at an instant read back from the database, shown as a moment in Oslo."""
        instant = stored_utc(at)
        return cls(instant, fmt.moment(instant, lang), title, text, ids or [], kind)


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stored_utc(found)


def build(
    t: Translator,
    lang: str,
    case: CaseView,
    events: Sequence[Row],
    stay: Row | None,
    sites: dict[str, str],
    units: dict[str, str],
) -> list[Entry]:
    """Every entry of the stay, oldest first."""
    entries = [_from_event(t, lang, e) for e in events]
    entries = [e for e in entries if e is not None]
    seen = {e.type for e in events}
    entries += _fallback(t, lang, stay, seen)
    entries.append(
        Entry.stored(
            case.opened_at,
            lang,
            t("tl_case_opened"),
            t(f"tl_case_opened_{case.opened_by}")
            if case.opened_by in ("admission", "officer")
            else "",
            [(t("id_case"), case.case_id)],
            "case",
        )
    )
    if case.closed_at is not None:
        entries.append(
            Entry.stored(
                case.closed_at,
                lang,
                t("tl_case_closed"),
                close_reason(t, case.close_reason),
                [(t("id_case"), case.case_id)],
                "case",
            )
        )
    for a in case.assignments:
        text = t(
            "tl_assigned_text",
            site=sites.get(a.site_id, a.site_id),
            unit=units.get(a.unit_id, a.unit_id),
            day=fmt.long_day(a.move_in, lang),
        )
        if a.friday_move_in:
            text += " " + t("tl_friday_flag")
        ids = [(t("id_assignment"), a.assignment_id)]
        if a.proposal_id:
            ids.append((t("id_proposal"), a.proposal_id))
        entries.append(Entry.stored(a.decided_at, lang, t("tl_assigned"), text, ids, "decision"))
        if a.cancelled_at is not None:
            entries.append(
                Entry.stored(
                    a.cancelled_at,
                    lang,
                    t("tl_assignment_cancelled"),
                    a.cancel_reason or "",
                    [(t("id_assignment"), a.assignment_id)],
                    "decision",
                )
            )
        if a.moved_in_on is not None:
            entries.append(
                Entry(
                    start_of(a.moved_in_on),
                    fmt.day(a.moved_in_on, lang),
                    t("tl_moved_in"),
                    "",
                    [(t("id_assignment"), a.assignment_id)],
                    "decision",
                )
            )
    for m in case.messages:
        entries.append(
            Entry.stored(
                m.created_at,
                lang,
                t("tl_answer_out"),
                t("tl_answer_out_text", line=m.answer_line, delivery=delivery(t, m)),
                [(t("id_msg"), m.msg_id)],
                "answer",
            )
        )
        if m.apprec is not None and m.apprec.received_at is not None:
            ids = [(t("id_apprec"), m.apprec.msg_id)] if m.apprec.msg_id else []
            entries.append(
                Entry.stored(
                    m.apprec.received_at,
                    lang,
                    t("tl_apprec"),
                    t("tl_apprec_text", status=apprec_status(t, m.apprec.status)),
                    [*ids, (t("id_msg"), m.msg_id)],
                    "answer",
                )
            )
    entries.sort(key=lambda e: e.at)
    return entries


def delivery(t: Translator, message: Any) -> str:
    if message.status == "delivered":
        return t("delivery_delivered")
    if message.status == "rejected":
        return t("delivery_rejected")
    return t("delivery_pending", attempts=message.attempts)


def apprec_status(t: Translator, status: str | None) -> str:
    return {"1": t("apprec_ok"), "2": t("apprec_rejected"), "3": t("apprec_partly")}.get(
        status or "", status or "–"
    )


def close_reason(t: Translator, reason: str | None) -> str:
    """A case's close reason: the service's own codes in words, an officer's text as written."""
    if not reason:
        return ""
    try:
        return t(f"close_{reason}")
    except KeyError:
        return reason


def end_reason(t: Translator, reason: str | None) -> str:
    if not reason:
        return "–"
    key = f"end_{reason}"
    try:
        return t(key)
    except KeyError:
        return reason


def _from_event(t: Translator, lang: str, row: Row) -> Entry | None:
    d: dict[str, Any] = row.detail or {}
    at = stored_utc(row.occurred_at)
    assert at is not None
    when = fmt.moment(at, lang)
    msg = [(t("id_msg"), row.msg_id)] if row.msg_id else []
    kind = row.type
    if kind in ("AdmissionNotified", "AdmissionChanged"):
        unit = f", {d['unit']}" if d.get("unit") else ""
        text = t(
            "tl_admitted_text",
            hospital=d.get("hospital") or "",
            unit=unit,
            notice=fmt.moment(_moment(d.get("notice_at")), lang),
        )
        if d.get("without_fixed_home"):
            text += " " + t("tl_no_fixed_home")
        title = t("tl_admission_changed") if kind == "AdmissionChanged" else t("tl_admitted")
        return Entry(at, when, title, text, msg, "hospital")
    if kind == "AdmissionCancelled":
        ids = [*msg, (t("id_cancels"), d.get("cancels_msg_id", ""))]
        return Entry(at, when, t("tl_admission_cancelled"), "", ids, "hospital")
    if kind == "DischargeReadyNotified":
        title = t("tl_ready_changed") if d.get("changed") else t("tl_ready")
        text = t("tl_ready_text", day=fmt.long_day(_date(d.get("ready_on")), lang))
        return Entry(at, when, title, text, msg, "hospital")
    if kind == "DischargeReadyWithdrawn":
        return Entry(at, when, t("tl_withdrawn"), "", msg, "hospital")
    if kind == "MunicipalityAnswered":
        if not d.get("structured", True):
            text = t("tl_answer_unstructured")
        elif d.get("can_receive"):
            text = t("tl_answer_can", day=fmt.long_day(_date(d.get("ready_from")), lang))
        elif d.get("expected_on"):
            text = t("tl_answer_cannot_expected", day=fmt.day(_date(d["expected_on"]), lang))
        else:
            text = t("tl_answer_cannot")
        return Entry(at, when, t("tl_answer_in"), text, msg, "answer")
    if kind == "PatientDischarged":
        title = t("tl_died") if d.get("died") else t("tl_discharged")
        return Entry(at, when, title, "", msg, "hospital")
    if kind == "DischargeMessageCancelled":
        text = t("tl_message_cancelled_text", type=d.get("cancelled_type", ""))
        ids = [*msg, (t("id_cancels"), d.get("cancels_msg_id", ""))]
        return Entry(at, when, t("tl_message_cancelled"), text, ids, "hospital")
    if kind == "CooperationMeetingCalled":
        planned = _moment(d.get("planned_for"))
        text = t("tl_meeting_text", at=fmt.moment(planned, lang)) if planned else ""
        ids = [(t("id_registration"), row.msg_id)] if row.msg_id else []
        return Entry(at, when, t("tl_meeting"), text, ids, "hospital")
    event = [(t("id_event"), row.event_id)]
    notice = [(t("id_notice"), row.msg_id)] if row.msg_id else []
    if kind == "PaymentClockStarted":
        started = _date(d.get("started_on"))
        rate = d.get("daily_rate")
        text = t(
            "tl_clock_started_text",
            day=fmt.long_day(started, lang),
            rate=fmt.money(Decimal(rate) if rate is not None else None, lang),
        )
        return Entry(
            at, fmt.day(started, lang), t("tl_clock_started"), text, notice + event, "clock"
        )
    if kind == "PaymentClockStopped":
        stopped = _date(d.get("stopped_on"))
        text = t(
            "tl_clock_stopped_text",
            day=fmt.long_day(stopped, lang),
            days=d.get("days", 0),
            amount=fmt.money(Decimal(d.get("amount", "0")), lang),
            reason=end_reason(t, d.get("end_reason")),
        )
        return Entry(
            at, fmt.day(stopped, lang), t("tl_clock_stopped"), text, notice + event, "clock"
        )
    if kind == "PaymentClockVoided":
        text = t("tl_clock_voided_text", reasons=", ".join(d.get("reasons", [])))
        return Entry(at, when, t("tl_clock_voided"), text, notice + event, "clock")
    return None


def _fallback(t: Translator, lang: str, stay: Row | None, seen: set[str]) -> list[Entry]:
    """Entries from the stay's facts for what the office's own event log does not hold (events
    consumed before the office's consumer group existed)."""
    if stay is None:
        return []
    found = []
    admitted = stored_utc(stay.admitted_at)
    if admitted and not seen & {"AdmissionNotified", "AdmissionChanged"}:
        ids = [(t("id_msg"), stay.admission_msg_id)] if stay.admission_msg_id else []
        found.append(
            Entry(admitted, fmt.moment(admitted, lang), t("tl_admitted"), "", ids, "hospital")
        )
    notice = stored_utc(stay.ready_notice_at)
    if notice and "DischargeReadyNotified" not in seen:
        ids = [(t("id_msg"), stay.ready_msg_id)] if stay.ready_msg_id else []
        text = t("tl_ready_text", day=fmt.long_day(stay.ready_on, lang)) if stay.ready_on else ""
        found.append(Entry(notice, fmt.moment(notice, lang), t("tl_ready"), text, ids, "hospital"))
    discharged = stored_utc(stay.discharged_at)
    if discharged and "PatientDischarged" not in seen:
        found.append(
            Entry(discharged, fmt.moment(discharged, lang), t("tl_discharged"), "", [], "hospital")
        )
    return found
