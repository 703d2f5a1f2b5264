"""Housing match domain: stock, cases, hard rules, the optimiser and explained proposals.

Pure Python (dataclasses, numpy/scipy for the solver); no web, database or messaging here.
"""

from housing_match.domain.cases import HousingCase, Needs, Urgency, urgency
from housing_match.domain.costs import DAILY_RATE_2024, CostModel
from housing_match.domain.matching import (
    MatchingError,
    MatchPolicy,
    MatchResult,
    MatchStats,
    match,
)
from housing_match.domain.proposals import InformationSharing, Proposal, propose
from housing_match.domain.rules import (
    HARD_RULES,
    Placement,
    Rule,
    RuleResult,
    assignment_is_feasible,
    check,
    check_assignment,
    passes,
    placement,
)
from housing_match.domain.solver import SolveStatus
from housing_match.domain.stock import (
    HousingKind,
    LooserThanKindError,
    ResidentMix,
    ResidentProfile,
    Site,
    SiteRules,
    Stock,
    Unit,
    UnitStatus,
)

__all__ = [
    "DAILY_RATE_2024",
    "HARD_RULES",
    "CostModel",
    "HousingCase",
    "HousingKind",
    "InformationSharing",
    "LooserThanKindError",
    "MatchPolicy",
    "MatchResult",
    "MatchStats",
    "MatchingError",
    "Needs",
    "Placement",
    "Proposal",
    "ResidentMix",
    "ResidentProfile",
    "Rule",
    "RuleResult",
    "Site",
    "SiteRules",
    "SolveStatus",
    "Stock",
    "Unit",
    "UnitStatus",
    "Urgency",
    "assignment_is_feasible",
    "check",
    "check_assignment",
    "match",
    "passes",
    "placement",
    "propose",
    "urgency",
]
