"""Events on admission.v1: a hospital announced, changed or cancelled an admission (innleggelse)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from hub_shared.events import topics
from hub_shared.events.envelope import EventData

Sector = Literal["somatic", "psychiatric", "tsb", "unknown"]


class PatientRef(BaseModel):
    """Who the stay is about. Data for authorised subscribers; never logged or traced."""

    model_config = ConfigDict(frozen=True)

    id: str
    id_type: str
    family_name: str | None = None
    given_name: str | None = None


class OrganisationRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    her_id: str
    name: str | None = None
    unit_her_id: str | None = None
    unit_name: str | None = None
    municipality_number: str | None = None


class MessageRef(BaseModel):
    """The ELIN message an event rests on, so that any figure can be traced to its XML."""

    model_config = ConfigDict(frozen=True)

    msg_id: str
    conversation_id: str
    msg_type: str
    plo_version: str | None = None
    gen_date: datetime
    received_at: datetime


class AdmissionNotified(EventData):
    """`LOG_INNLAGT` with Forsendelsesstatus N: the hospital announced an admitted patient."""

    EVENT_TYPE = "AdmissionNotified"
    TOPIC = topics.ADMISSION

    stay_id: str
    message: MessageRef
    patient: PatientRef
    hospital: OrganisationRef
    municipality: OrganisationRef
    sector: Sector
    admitted_at: datetime
    admitted_at_estimated: bool = False
    without_fixed_home: bool
    contact_unit: str | None = None


class AdmissionChanged(AdmissionNotified):
    """`LOG_INNLAGT` with Forsendelsesstatus M: replaces the content of the earlier notice."""

    EVENT_TYPE = "AdmissionChanged"

    replaces_msg_id: str


class AdmissionCancelled(EventData):
    """`LOG_INNLAGT` with Forsendelsesstatus C: the earlier notice is void."""

    EVENT_TYPE = "AdmissionCancelled"
    TOPIC = topics.ADMISSION

    stay_id: str
    message: MessageRef
    cancels_msg_id: str
    hospital: OrganisationRef
    municipality: OrganisationRef
