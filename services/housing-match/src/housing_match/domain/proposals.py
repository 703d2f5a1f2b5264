"""Explained proposals (forslag): what the housing officer sees and accepts or rejects.

A proposal becomes an assignment (tildeling) only when an officer accepts it; the assignment's
move-in date is then the municipality's explicit "a place is ready" for the payment clock.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from housing_match.domain.cases import HousingCase, Urgency
from housing_match.domain.costs import CostModel
from housing_match.domain.rules import RuleResult
from housing_match.domain.stock import HousingKind, Unit

FRIDAY = 4

_KIND_NAMES = {
    HousingKind.HOUSING_FIRST: "Housing First-bolig",
    HousingKind.TRANSITIONAL: "overgangsbolig",
    HousingKind.STAFFED: "bemannet botiltak",
    HousingKind.TEMPORARY: "midlertidig bolig",
    HousingKind.CRISIS_BED: "trygghetsplass",
}


def kind_name(kind: HousingKind) -> str:
    """The Norwegian name of a kind of housing, as officers and hospitals know it."""
    return _KIND_NAMES[kind]


_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

# What HOUSING.md asks the officer to judge; the matcher cannot, so the proposal says so.
_OFFICER_CHECKS = {
    HousingKind.HOUSING_FIRST: "Ordinær leiekontrakt med frivillig oppfølging fra boteamet.",
    HousingKind.STAFFED: (
        "Bemannet botiltak: personen må ønske hjelpen; sammensetningen av beboere og egnethet "
        "til å bo tett på naboer vurderes av saksbehandler."
    ),
    HousingKind.TEMPORARY: "Midlertidig opphold mens en varig bolig finnes; saken holdes åpen.",
    HousingKind.CRISIS_BED: "Trygghetsplass er brukerstyrt: personen avgjør selv innleggelsen.",
}


class InformationSharing(StrEnum):
    FULL = "full"
    MINIMAL = "minimal"
    """No consent to share: only the minimum needed to offer the place may flow."""


@dataclass(frozen=True, slots=True)
class Proposal:
    case_id: str
    unit_id: str
    site_id: str
    move_in: date
    cost_saved: Decimal
    """NOK the municipality is expected not to pay within the horizon thanks to this match."""
    clock_days_saved: int
    clock_days_until_move_in: int
    """Clock days (within the horizon) still payable before the move-in."""
    rules_checked: tuple[RuleResult, ...]
    explanation: str
    friday_move_in: bool
    wish_met: bool
    information_sharing: InformationSharing


def propose(
    case: HousingCase, unit: Unit, costs: CostModel, rules_checked: tuple[RuleResult, ...]
) -> Proposal:
    """An explained proposal to move `case` into `unit`; every rule in `rules_checked` passed."""
    if not all(result.passed for result in rules_checked):
        raise ValueError(f"case {case.id} cannot be proposed for unit {unit.id}: a rule fails")
    move_in = costs.move_in(case, unit)
    saved = costs.saved_days(case, unit)
    wish = case.needs.wished_district
    sharing = InformationSharing.FULL if case.needs.consent_to_share else InformationSharing.MINIMAL
    proposal = Proposal(
        case_id=case.id,
        unit_id=unit.id,
        site_id=unit.site.id,
        move_in=move_in,
        cost_saved=costs.money(saved),
        clock_days_saved=saved,
        clock_days_until_move_in=costs.matched_days(case, unit),
        rules_checked=rules_checked,
        explanation="",
        friday_move_in=move_in.weekday() == FRIDAY,
        wish_met=wish is not None and wish == unit.site.district,
        information_sharing=sharing,
    )
    return dataclasses.replace(proposal, explanation=_explain(case, unit, costs, proposal))


def _explain(case: HousingCase, unit: Unit, costs: CostModel, p: Proposal) -> str:
    site = unit.site
    lines = [
        f"Sak {case.id} foreslås til {unit.id} ved {site.name} "
        f"({_KIND_NAMES[site.kind]}, {site.district}).",
        _urgency_line(case, costs.today),
        f"Innflytting {_WEEKDAYS[p.move_in.weekday()]} {p.move_in.isoformat()}.",
        _money_line(p, costs),
    ]
    lines.extend(_wish_lines(case, p))
    lines.append(f"Alle {len(p.rules_checked)} absolutte krav holder (se regelsjekken).")
    if site.kind in _OFFICER_CHECKS:
        lines.append(_OFFICER_CHECKS[site.kind])
    if p.friday_move_in:
        lines.append(
            "NB: innflytting på en fredag. Pasienter som skrives ut på fredag står uten "
            "oppfølging i helgen: vurder torsdag eller mandag, eller sikre oppfølging i helgen."
        )
    if p.information_sharing is InformationSharing.MINIMAL:
        lines.append(
            "Samtykke til å dele opplysninger mangler: bare et minimum av opplysninger kan gis "
            "videre til boligkontoret og stedet."
        )
    lines.append("Forslaget blir en tildeling først når en saksbehandler godtar det.")
    return "\n".join(lines)


def _urgency_line(case: HousingCase, today: date) -> str:
    urgency = case.urgency(today)
    if urgency is Urgency.CLOCK_RUNNING:
        return (
            f"Utskrivningsklar fra {case.discharge_ready_on}: kommunen betaler døgnsats hver dag "
            "til et tilbud er klart."
        )
    if urgency is Urgency.DISCHARGE_EXPECTED:
        return f"Betalingsklokka ventes å starte {case.clock_start()}."
    return "Ingen utskrivningsdato ennå: boligen kan planlegges mens behandlingen pågår."


def _money_line(p: Proposal, costs: CostModel) -> str:
    if p.clock_days_saved == 0:
        return (
            f"Ingen betalingsdøgn spares innen planleggingshorisonten ({costs.horizon_days} "
            "dager); forslaget bygger på ventetid og ønsker."
        )
    return (
        f"Sparer {p.clock_days_saved} betalingsdøgn innen {costs.horizon_days} dager: "
        f"{p.clock_days_saved} × {_nok(costs.daily_rate)} = {_nok(p.cost_saved)}; "
        f"{p.clock_days_until_move_in} døgn gjenstår før innflytting."
    )


def _wish_lines(case: HousingCase, p: Proposal) -> list[str]:
    wish = case.needs.wished_district
    if wish is None:
        return []
    return [f"Ønsket bydel {wish} er {'oppfylt' if p.wish_met else 'ikke oppfylt'}."]


def _nok(amount: Decimal) -> str:
    return f"{amount:,.0f}".replace(",", " ") + " kr"
