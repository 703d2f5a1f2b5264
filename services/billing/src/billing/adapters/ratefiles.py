"""Load the rate table and the agreement profiles from their TOML files.

The files ship with the package (`billing/data/`); an operator may point elsewhere with
`BILLING_RATES_FILE` and `BILLING_AGREEMENTS_FILE`. Every mistake is refused with the file and
the entry named: a wrong rate must never be used silently.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from billing.domain.profiles import NATIONAL, Agreement, AgreementBook, AgreementProfile
from billing.domain.rates import Rate, RateTable

RATES_ENV = "BILLING_RATES_FILE"
AGREEMENTS_ENV = "BILLING_AGREEMENTS_FILE"

_PROFILE_KEYS = {
    "name",
    "start_delay_hours",
    "notice_cutoff",
    "non_working_day_notices_roll",
    "requires_discharge_documentation",
    "source",
}


class RateFileError(ValueError):
    """A rate or agreement file that cannot be trusted."""


def load_rates(path: str | Path | None = None) -> RateTable:
    """The rate table from `path`, else `$BILLING_RATES_FILE`, else the packaged file."""
    source, text = _read(path, RATES_ENV, "rates.toml")
    return parse_rates(_toml(source, text), source)


def load_agreements(path: str | Path | None = None) -> AgreementBook:
    """The agreement book from `path`, else `$BILLING_AGREEMENTS_FILE`, else the packaged file."""
    source, text = _read(path, AGREEMENTS_ENV, "agreements.toml")
    return parse_agreements(_toml(source, text), source)


def parse_rates(document: Mapping[str, Any], source: str = "rates") -> RateTable:
    currency = document.get("currency", "NOK")
    if currency != "NOK":
        raise RateFileError(f"{source}: currency must be NOK, not {currency!r}")
    entries = document.get("rate", [])
    try:
        return RateTable(_rate(entry, f"{source}: rate #{n}") for n, entry in enumerate(entries, 1))
    except RateFileError:
        raise
    except ValueError as error:
        raise RateFileError(f"{source}: {error}") from error


def parse_agreements(document: Mapping[str, Any], source: str = "agreements") -> AgreementBook:
    profiles = {
        profile_id: _profile(profile_id, entry, f"{source}: profile {profile_id!r}")
        for profile_id, entry in document.get("profile", {}).items()
    }
    agreements = tuple(
        _agreement(entry, f"{source}: agreement #{n}")
        for n, entry in enumerate(document.get("agreement", []), 1)
    )
    try:
        return AgreementBook(profiles=profiles, agreements=agreements)
    except ValueError as error:
        raise RateFileError(f"{source}: {error}") from error


def _rate(entry: Mapping[str, Any], where: str) -> Rate:
    try:
        return Rate(
            valid_from=_date(entry, "valid_from", where),
            valid_to=_date(entry, "valid_to", where),
            nok_per_day=_amount(entry.get("nok_per_day"), where),
            source=str(entry.get("source", "")),
        )
    except ValueError as error:
        raise RateFileError(f"{where}: {error}") from error


def _amount(value: object, where: str) -> Decimal:
    # Floats are refused: 5745.1 in binary is not 5745.1, and money must be exact.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RateFileError(f"{where}: nok_per_day must be an integer or a decimal string")
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise RateFileError(f"{where}: nok_per_day {value!r} is not a number") from error
    if not amount.is_finite() or amount < 0:
        raise RateFileError(f"{where}: nok_per_day must be a non-negative number")
    return amount


def _profile(profile_id: str, entry: Mapping[str, Any], where: str) -> AgreementProfile:
    unknown = set(entry) - _PROFILE_KEYS
    if unknown:
        raise RateFileError(f"{where}: unknown keys {sorted(unknown)}")
    if profile_id == NATIONAL.id:
        raise RateFileError(f"{where}: the national profile is built in")
    cutoff = entry.get("notice_cutoff")
    if cutoff is not None and not isinstance(cutoff, time):
        raise RateFileError(f"{where}: notice_cutoff must be a TOML local time such as 12:00:00")
    delay = entry.get("start_delay_hours", 0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
        raise RateFileError(f"{where}: start_delay_hours must be a non-negative number")
    return AgreementProfile(
        id=profile_id,
        name=str(entry.get("name", profile_id)),
        start_delay=timedelta(hours=delay),
        notice_cutoff=cutoff,
        non_working_day_notices_roll=_flag(entry, "non_working_day_notices_roll", where),
        requires_discharge_documentation=_flag(entry, "requires_discharge_documentation", where),
        source=str(entry.get("source", "")),
    )


def _agreement(entry: Mapping[str, Any], where: str) -> Agreement:
    missing = {"hospital_trust", "municipality", "profile", "valid_from"} - set(entry)
    if missing:
        raise RateFileError(f"{where}: missing {sorted(missing)}")
    return Agreement(
        hospital_trust=str(entry["hospital_trust"]),
        municipality=str(entry["municipality"]),
        profile_id=str(entry["profile"]),
        valid_from=_date(entry, "valid_from", where),
        valid_to=_date(entry, "valid_to", where) if "valid_to" in entry else None,
    )


def _date(entry: Mapping[str, Any], key: str, where: str) -> date:
    value = entry.get(key)
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise RateFileError(f"{where}: {key} must be a TOML date such as 2025-01-01")
    return value


def _flag(entry: Mapping[str, Any], key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise RateFileError(f"{where}: {key} must be true or false")
    return value


def _read(path: str | Path | None, env: str, packaged: str) -> tuple[str, str]:
    chosen = path if path is not None else os.environ.get(env) or None
    if chosen is not None:
        file = Path(chosen)
        return str(file), file.read_text(encoding="utf-8")
    data = resources.files("billing.data").joinpath(packaged)
    return f"billing/data/{packaged}", data.read_text(encoding="utf-8")


def _toml(source: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RateFileError(f"{source}: {error}") from error
