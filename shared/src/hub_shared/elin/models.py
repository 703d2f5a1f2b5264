"""Typed, immutable views of ELIN messages: MsgHead, Pasientlogistikk, Dialogmelding, AppRec.

Times in ELIN carry no offset and are Norwegian local time (Europe/Oslo): the models keep them
naive. A time that does carry an offset is converted to Oslo local time and made naive, so that
every datetime here means the same thing.

Patient data never shows in ``repr``/``str`` (and so never in a log line or a traceback).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from hub_shared.elin.codes import AppRecErrorCode, AppRecStatus
from hub_shared.identifiers.person import mask

OSLO = ZoneInfo("Europe/Oslo")

# --- kith TS / xs:dateTime values -------------------------------------------------------------
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?", re.ASCII)


def to_local_naive(moment: datetime) -> datetime:
    """Europe/Oslo local time without tzinfo; a naive value is taken as local already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(OSLO).replace(tzinfo=None)


def parse_datetime(text: str | None) -> datetime | None:
    """An xs:dateTime as naive Oslo local time, or None when it is not one.

    Fractions beyond microseconds are cut (.NET writes seven digits); offsets are converted.
    """
    match = _DATETIME.fullmatch(text.strip()) if text else None
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro
        )
        if zone:
            moment = datetime.fromisoformat(moment.isoformat() + zone.replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_local_naive(moment)


def parse_ts(text: str) -> datetime | date | str:
    """A kith TS value (dateTime | date | gYear | gYearMonth | time): datetime, date or the text."""
    stripped = text.strip()
    moment = parse_datetime(stripped)
    if moment is not None:
        return moment
    match = _DATE.fullmatch(stripped)
    if match is not None:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    return stripped  # a year, a year-month or a time of day: kept as written


def format_datetime(moment: datetime) -> str:
    """xs:dateTime as ELIN writes it: local time, to the second, no offset."""
    return to_local_naive(moment).strftime("%Y-%m-%dT%H:%M:%S")


def format_ts(value: datetime | date | str) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- Models -------------------------------------------------------------------------------------
class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Party(_Frozen):
    """A MsgHead Organisation: level 1 (virksomhet) and its nested level 2 (service)."""

    her_id: str | None = None
    name: str | None = None
    service_her_id: str | None = None
    service_name: str | None = None

    @property
    def most_specific_her_id(self) -> str | None:
        """The service's HER-id when given (tjenestebasert adressering), else the organisation's."""
        return self.service_her_id or self.her_id

    @property
    def is_empty(self) -> bool:
        return not any((self.her_id, self.name, self.service_her_id, self.service_name))


_NO_FIXED_HOME = re.compile(r"uten\s+fast\s+bopel|\bufb\b", re.IGNORECASE)


class Address(_Frozen):
    """A MsgHead Address (Type from list 3401, street, postal code, city)."""

    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    type_code: str | None = None
    type_text: str | None = None

    @property
    def without_fixed_home(self) -> bool:
        """True when the address says "uten fast bopel" (or "ufb"): the patient has no home."""
        parts = (self.street, self.postal_code, self.city, self.type_code, self.type_text)
        return any(part and _NO_FIXED_HOME.search(part) for part in parts)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        yield "without_fixed_home", self.without_fixed_home


class PatientIdentity(_Frozen):
    """MsgHead Patient: the identifier chosen (national first), names, birth date, sex, address."""

    id: str | None = None
    id_type: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    address: Address | None = None

    @property
    def without_fixed_home(self) -> bool:
        """No address at all counts as "uten fast bopel" too: there is nowhere to discharge to."""
        return self.address is None or self.address.without_fixed_home

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Personal data stays out of logs and tracebacks: only masked forms are shown.
        yield "id", mask(self.id) if self.id else None
        yield "id_type", self.id_type
        for name in ("family_name", "given_name", "middle_name", "birth_date"):
            yield name, "***" if getattr(self, name) else None
        yield "sex", self.sex
        yield "without_fixed_home", self.without_fixed_home


class TimedEvent(_Frozen):
    """TidsfestetHendelse: an event code (list 9121), its time and whether it is an estimate.

    ``at`` keeps the kith TS union: a naive local datetime, a date, or the text of a year,
    year-month or time. ``estimated`` is ``Anslag`` (true = estimate; false = final).
    """

    code: int | None
    at: datetime | date | str
    estimated: bool
    description: str | None = Field(default=None, repr=False)
    remark: str | None = Field(default=None, repr=False)


class ConversationRef(_Frozen):
    """MsgInfo/ConversationRef: the parent message's and the first message's MsgId."""

    ref_to_parent: str
    ref_to_conversation: str


class MsgHeadInfo(_Frozen):
    """MsgHead/MsgInfo. From ``read_message`` every field the schema requires is set; a head
    taken from a rejected document (best effort, for the AppRec) may lack any of them."""

    msg_type: str | None = None
    msg_type_text: str | None = None
    mig_version: str | None = None
    gen_date: datetime | None = None
    msg_id: str | None = None
    conversation_ref: ConversationRef | None = None
    sender: Party = Party()
    receiver: Party = Party()
    patient: PatientIdentity | None = None


class CodedValue(_Frozen):
    """A coded value (kith CV/CS): the code (V) and its display text (DN)."""

    code: str
    text: str | None = None


class ResponsiblePerson(_Frozen):
    """The health worker responsible for a report (AnsvarForRapport/AnsvarligRapport): the
    decision-responsible doctor in LOG_UTSKRIVNINGSKLAR and LOG_AVMELDING."""

    hpr: str
    family_name: str = Field(repr=False)
    given_name: str | None = Field(default=None, repr=False)
    role_code: str = "10"  # list 9034: 10 = Utskrivende lege
    role_text: str = "Utskrivende lege"
    profession_code: str = "LE"  # list 9060: LE = Lege
    profession_text: str = "Lege"


class PloContent(_Frozen):
    """Pasientlogistikk 1.5 or 1.6: which message (``kind``), its status and timed events."""

    version: Literal["1.5", "1.6"]
    kind: str
    status: str
    events: tuple[TimedEvent, ...]
    discharged_to: CodedValue | None = None
    discharge_condition: str | None = None
    responsible_hpr: str | None = None
    responsible_role: str | None = None
    contact_unit: str | None = None

    def event(self, code: int) -> TimedEvent | None:
        """The first event with this list-9121 code, if any."""
        return next((event for event in self.events if event.code == code), None)


class DialogContent(_Frozen):
    """Dialogmelding 1.1 (Helsefaglig dialog): theme (list 7322), subject and note texts.

    ``content_xml`` holds the whole Dialogmelding element for structured extensions; use
    ``element()`` to get it as a tree.
    """

    version: Literal["1.1"] = "1.1"
    theme_code: str | None = None
    theme_text: str | None = None
    subject: str | None = Field(default=None, repr=False)
    notes: tuple[str, ...] = Field(default=(), repr=False)
    content_xml: bytes = Field(default=b"", repr=False)

    def element(self) -> Any:
        """The Dialogmelding element, parsed again with the safe parser."""
        from hub_shared.elin.safe_xml import parse_xml  # local: keeps models free of lxml

        return parse_xml(self.content_xml)


class ElinMessage(_Frozen):
    """A read, schema-valid business message: the head and exactly one kind of content."""

    head: MsgHeadInfo
    plo: PloContent | None = None
    dialog: DialogContent | None = None

    @property
    def msg_id(self) -> str:
        """MsgInfo/MsgId (``read_message`` guarantees it is there)."""
        if self.head.msg_id is None:
            raise ValueError("this message has no MsgId")
        return self.head.msg_id

    @property
    def gen_date(self) -> datetime:
        """MsgInfo/GenDate, naive Oslo local time (``read_message`` guarantees it is there)."""
        if self.head.gen_date is None:
            raise ValueError("this message has no GenDate")
        return self.head.gen_date

    @property
    def content_version(self) -> str:
        """ "1.5"/"1.6" for Pasientlogistikk, "1.1" for Dialogmelding."""
        if self.plo is not None:
            return self.plo.version
        return "1.1"


@dataclass(frozen=True, slots=True)
class AppRecError:
    """One Error of an AppRec to write: a list-8221 code and a readable extra text (OT).

    ``extra`` names the field at fault but never a patient's number or name. A plain frozen
    dataclass, so that ``AppRecError(AppRecErrorCode.E21, "...")`` works positionally.
    """

    code: AppRecErrorCode
    extra: str = ""


class ReceivedAppRecError(_Frozen):
    """An Error as found in a received AppRec (its list may be other than 8221)."""

    code: str | None = None
    text: str | None = None
    system: str | None = None
    extra: str | None = None


class AppRecInfo(_Frozen):
    """A received AppRec 1.0 or 1.1."""

    version: Literal["1.0", "1.1"]
    msg_id: str
    gen_date: datetime | None
    status: str
    status_text: str | None = None
    errors: tuple[ReceivedAppRecError, ...] = ()
    original_msg_id: str
    original_msg_type: str | None = None
    original_issue_date: datetime | None = None
    sender: Party = Party()
    receiver: Party = Party()

    @property
    def ok(self) -> bool:
        return self.status == AppRecStatus.OK
