"""Events on housing.v1: the municipality's housing cases and assignments (housing-match)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from hub_shared.events import topics
from hub_shared.events.envelope import EventData


class HousingCaseOpened(EventData):
    """A housing case for a patient without a fixed home (from the admission, or by hand)."""

    EVENT_TYPE = "HousingCaseOpened"
    TOPIC = topics.HOUSING

    stay_id: str
    case_id: str
    municipality_her: str
    opened_at: datetime
    opened_by: Literal["admission", "officer"]


class HousingAssigned(EventData):
    """An officer accepted a proposal: the municipality's explicit "a place is ready" from `move_in`."""

    EVENT_TYPE = "HousingAssigned"
    TOPIC = topics.HOUSING

    stay_id: str
    case_id: str
    assignment_id: str
    unit_id: str
    site_id: str
    municipality_her: str
    move_in: date
    decided_at: datetime
    friday_move_in: bool = False


class HousingAssignmentCancelled(EventData):
    """The assignment is withdrawn and its unit is free again.

    `unit_id`, `site_id` and `municipality_her` were added after v1's first release: absent in
    older events (the assignment's `HousingAssigned` names them).
    """

    EVENT_TYPE = "HousingAssignmentCancelled"
    TOPIC = topics.HOUSING

    stay_id: str
    case_id: str
    assignment_id: str
    cancelled_at: datetime
    reason: str | None = None
    unit_id: str | None = None
    site_id: str | None = None
    municipality_her: str | None = None
