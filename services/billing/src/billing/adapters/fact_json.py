"""The facts of a stay as JSON: how the fact store keeps them and how a stay is exported.

One fact is `{"kind": "<class name>", <field>: <value>, ...}` with instants as ISO 8601 with offset
(UTC) and days as ISO dates. A stay export (`billing recompute <stay> --export`, or
`GET /v1/stays/{stay_id}/facts`) is `{"format": EXPORT_FORMAT, "stay": {...}, "facts": [...]}`, and
`billing recompute --file` reads it back. No patient identity is in either: the stay id is
pseudonymous.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

from billing.domain.facts import (
    AdmissionNotice,
    Cancellation,
    CooperationMeetingCalled,
    Died,
    Discharged,
    DischargeReadyNotice,
    Fact,
    HousingAssigned,
    HousingAssignmentCancelled,
    MunicipalityAnswer,
    ReadinessWithdrawn,
    Sector,
    StayFacts,
)

EXPORT_FORMAT = "billing.stay-facts.v1"

FACT_KINDS: dict[str, type] = {
    kind.__name__: kind
    for kind in (
        AdmissionNotice,
        DischargeReadyNotice,
        ReadinessWithdrawn,
        MunicipalityAnswer,
        Discharged,
        Died,
        CooperationMeetingCalled,
        Cancellation,
        HousingAssigned,
        HousingAssignmentCancelled,
    )
}

_STAY_FIELDS = (
    "stay_id",
    "sector",
    "hospital_her",
    "hospital_trust",
    "admitted_at",
    "municipality_her",
    "residence_municipality",
    "registered_municipality",
    "documentation_at_discharge",
)


class FactFormatError(ValueError):
    """A fact or export that cannot be read back."""


def fact_to_json(fact: Fact) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": type(fact).__name__}
    for f in fields(fact):
        document[f.name] = _encode(getattr(fact, f.name))
    return document


def fact_from_json(document: Mapping[str, Any]) -> Fact:
    kind = FACT_KINDS.get(str(document.get("kind")))
    if kind is None:
        raise FactFormatError(f"unknown fact kind {document.get('kind')!r}")
    hints = _hints(kind)
    values = {}
    for f in fields(kind):
        if f.name in document:
            values[f.name] = _decode(document[f.name], hints[f.name], f.name)
    try:
        return kind(**values)
    except (TypeError, ValueError) as error:
        raise FactFormatError(f"{kind.__name__}: {error}") from error


def stay_to_json(stay: StayFacts) -> dict[str, Any]:
    document = {name: _encode(getattr(stay, name)) for name in _STAY_FIELDS}
    document["facts"] = [fact_to_json(f) for f in stay.facts]
    return document


def stay_from_json(document: Mapping[str, Any]) -> StayFacts:
    try:
        return StayFacts(
            stay_id=str(document["stay_id"]),
            sector=Sector(document["sector"]),
            hospital_her=str(document["hospital_her"]),
            hospital_trust=str(document["hospital_trust"]),
            admitted_at=_instant(document["admitted_at"], "admitted_at"),
            municipality_her=document.get("municipality_her"),
            residence_municipality=document.get("residence_municipality"),
            registered_municipality=document.get("registered_municipality"),
            documentation_at_discharge=document.get("documentation_at_discharge"),
            facts=tuple(fact_from_json(f) for f in document.get("facts", [])),
        )
    except (KeyError, ValueError) as error:
        raise FactFormatError(f"stay: {error}") from error


def export(stay: StayFacts) -> dict[str, Any]:
    return {"format": EXPORT_FORMAT, "stay": stay_to_json(stay)}


def read_export(document: Mapping[str, Any]) -> StayFacts:
    if document.get("format") != EXPORT_FORMAT:
        raise FactFormatError(f"not a stay export: format must be {EXPORT_FORMAT!r}")
    return stay_from_json(document["stay"])


def _encode(value: object) -> object:
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, Sector):
        return value.value
    return value


@cache
def _hints(kind: type) -> dict[str, Any]:
    return get_type_hints(kind)


def _decode(value: object, hint: Any, name: str) -> object:
    if value is None:
        return None
    options = set(get_args(hint)) if get_origin(hint) in (Union, types.UnionType) else {hint}
    options.discard(type(None))
    if datetime in options and isinstance(value, str) and "T" in value:
        return _instant(value, name)
    if date in options and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise FactFormatError(f"{name}: {error}") from error
    return value


def _instant(value: object, name: str) -> datetime:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise FactFormatError(f"{name}: {error}") from error
    if instant.tzinfo is None:
        raise FactFormatError(f"{name}: {value!r} has no offset")
    return instant
