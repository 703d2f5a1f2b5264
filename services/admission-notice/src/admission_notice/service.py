"""Use cases of admission-notice: take a LOG_INNLAGT, and show a stay."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from admission_notice.adapters.elin_mapping import NoAdmissionTime, stay_key, to_event, to_notice
from admission_notice.adapters.repository import StayRepository
from admission_notice.domain import AdmissionNotice, Change, Stay, StayKey, apply_notice
from hub_shared.db.uow import UnitOfWork
from hub_shared.elin.apprec import AppRecError
from hub_shared.elin.codes import AppRecErrorCode
from hub_shared.elin.models import ElinMessage
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.reception import ContentRejected, MessageLog
from hub_shared.register import AddressRegister

SUPPORTED_TYPES = frozenset({"LOG_INNLAGT"})


@dataclass(frozen=True)
class AdmissionApplier:
    """Applies one checked LOG_INNLAGT to its stay and records the event, in the caller's unit of work."""

    register: AddressRegister
    stay_secret: bytes

    async def prepare(self, uow: UnitOfWork, messages: Sequence[ElinMessage]) -> None:
        """Before a group commit applies `messages`: read all their stays in one statement."""
        keys = []
        for msg in messages:
            with contextlib.suppress(NoAdmissionTime):  # refused when it is applied
                keys.append(stay_key(msg))
        ids = [self._derived_id(key) for key in keys]
        await uow.scoped(StayRepository).prefetch(keys, ids)

    async def __call__(self, msg: ElinMessage, uow: UnitOfWork, received_at: datetime) -> str:
        try:
            notice = to_notice(msg, self.register, received_at)
        except NoAdmissionTime as exc:
            raise ContentRejected([AppRecError(AppRecErrorCode.X99, str(exc))]) from exc
        stays = uow.scoped(StayRepository)
        new_id = self._derived_id(notice.key)
        # A stay whose admission time was corrected keeps the id its first time derived to: a
        # notice with that first time again belongs to it.
        existing = await self._linked_stay(uow, stays, notice) or await stays.get(new_id)
        outcome = apply_notice(notice, existing, new_id)
        if outcome.change is not Change.NONE:
            await stays.save(outcome.stay, is_new=existing is None)
            event = to_event(outcome, msg, notice, self.register)
            uow.stage(event, subject=outcome.stay.stay_id)
        return outcome.stay.stay_id

    def _derived_id(self, key: StayKey) -> str:
        return str(
            derive_stay_id(key.patient_id, key.hospital_her, key.admitted_at, self.stay_secret)
        )

    async def _linked_stay(
        self, uow: UnitOfWork, stays: StayRepository, notice: AdmissionNotice
    ) -> Stay | None:
        # Changes and cancellations name the original by ConversationRef; else the stay key links.
        linked = await MessageLog(uow).stay_of(notice.refers_to)
        if linked is not None:
            stay = await stays.get(linked)
            if stay is not None:
                return stay
        return await stays.by_key(notice.key)
