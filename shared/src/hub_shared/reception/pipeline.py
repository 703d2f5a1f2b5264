"""The reception pipeline shared by admission-notice and discharge-ready."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

from lxml import etree
from opentelemetry import trace
from sqlalchemy.exc import IntegrityError

from hub_shared.auth import Caller
from hub_shared.db.uow import UnitOfWork
from hub_shared.elin.apprec import AppRecError, apprec_version_for, build_apprec
from hub_shared.elin.checks import content_errors
from hub_shared.elin.codes import AppRecErrorCode
from hub_shared.elin.models import ElinMessage, MsgHeadInfo, Party
from hub_shared.elin.reader import MessageRejected, read_message
from hub_shared.reception.answer import Answer
from hub_shared.reception.group import GroupCommit
from hub_shared.reception.log import MessageLog
from hub_shared.register import AddressRegister
from hub_shared.timeutil import local_to_utc, oslo_now, utc_now

log = logging.getLogger(__name__)
tracer = trace.get_tracer("hub_shared.reception")


SENDER_NOT_CALLER = (
    "Avsender i MsgHead er ikke den autentiserte parten / the MsgHead sender is not the "
    "authenticated party"
)


class ContentRejected(Exception):
    """Raised by a service's applier when the message is valid ELIN but cannot be imported."""

    def __init__(self, errors: Sequence[AppRecError]) -> None:
        super().__init__(", ".join(e.code.value for e in errors))
        self.errors = list(errors)


# The service's part: apply one checked message inside the unit of work; returns the stay id.
# An applier may also have `prepare(uow, messages)`: a group commit calls it before it applies
# a batch, so that it can read what all of them need at once (GroupCommit.prepare).
MessageApplier = Callable[[ElinMessage, UnitOfWork, datetime], Awaitable[str | None]]


@dataclass(frozen=True)
class _IssuedAppRec:
    xml: bytes
    id: str


@dataclass
class MessageReception:
    schema: etree.XMLSchema | None
    register: AddressRegister
    supported_types: frozenset[str]
    hub: Party
    max_bytes: int = 2_000_000
    _group_commit: GroupCommit | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.schema is None:
            log.warning(
                "no ELIN schema set found (HUB_ELIN_XSD): messages are checked structurally only, "
                "schema errors (T02) are not detected"
            )

    async def receive(
        self,
        body: bytes,
        uow_factory: Callable[[], UnitOfWork],
        apply: MessageApplier,
        caller: Caller,
    ) -> Answer:
        received_at = utc_now()
        try:
            msg = read_message(
                body,
                schema=self.schema,
                supported_types=self.supported_types,
                max_bytes=self.max_bytes,
            )
        except MessageRejected as rejected:
            answer = await self._reject(
                uow_factory,
                body,
                rejected.head,
                rejected.errors,
                rejected.content_version,
                received_at,
            )
            return replace(answer, msg_type=rejected.head.msg_type if rejected.head else None)
        answer = await self._checked(msg, body, uow_factory, apply, caller, received_at)
        return replace(answer, msg_type=msg.head.msg_type)

    async def _checked(
        self,
        msg: ElinMessage,
        body: bytes,
        uow_factory: Callable[[], UnitOfWork],
        apply: MessageApplier,
        caller: Caller,
        received_at: datetime,
    ) -> Answer:
        span = trace.get_current_span()
        span.set_attribute("hub.msg_type", msg.head.msg_type or "")
        span.set_attribute("hub.msg_id", msg.head.msg_id)
        version = msg.plo.version if msg.plo else None
        sender = msg.head.sender
        if not caller.acts_for(sender.her_id, sender.service_her_id):
            # Not stored under this MsgId: it may be another party's, and must not shadow it.
            errors = [AppRecError(AppRecErrorCode.X99, SENDER_NOT_CALLER)]
            return Answer(self._apprec(msg.head, errors, version).xml, False, "X99")
        errors = content_errors(msg, receiver_known=self.register.knows)
        if errors:
            return await self._reject(uow_factory, body, msg.head, errors, version, received_at)
        return await self._accept(uow_factory, body, msg, apply, received_at)

    async def _accept(
        self,
        uow_factory: Callable[[], UnitOfWork],
        body: bytes,
        msg: ElinMessage,
        apply: MessageApplier,
        received_at: datetime,
    ) -> Answer:
        answer = await self._group(uow_factory, apply).submit(msg, body, received_at)
        if answer is not None:
            return answer
        # Its batch was abandoned. Alone, a concurrent request may commit the same MsgId, or the
        # same new stay, first: the loser's transaction fails on a unique key and is retried,
        # and then finds the answer.
        for _attempt in range(3):
            try:
                return await self._try_accept(uow_factory, body, msg, apply, received_at)
            except IntegrityError:
                async with uow_factory() as uow:
                    stored = await self._log(uow).answer_for(msg.msg_id)
                if stored is not None:
                    return Answer.again(stored)
        raise RuntimeError("message could not be stored after 3 attempts")

    def _group(self, uow_factory: Callable[[], UnitOfWork], apply: MessageApplier) -> GroupCommit:
        # A reception serves one service: its unit of work and applier are the same every call.
        if self._group_commit is None:
            self._group_commit = GroupCommit(
                uow_factory,
                partial(self._store_accepted, apply),
                prepare=getattr(apply, "prepare", None),
            )
        return self._group_commit

    async def _try_accept(
        self,
        uow_factory: Callable[[], UnitOfWork],
        body: bytes,
        msg: ElinMessage,
        apply: MessageApplier,
        received_at: datetime,
    ) -> Answer:
        async with uow_factory() as uow:
            stored = await self._log(uow).answer_for(msg.msg_id)
            if stored is not None:
                trace.get_current_span().set_attribute("hub.duplicate", True)
                return Answer.again(stored)
            try:
                answer = await self._store_accepted(apply, uow, msg, body, received_at)
            except ContentRejected as rejected:
                refusal = rejected.errors
            else:
                await uow.commit()
                return answer
        # The refusal is stored in a transaction of its own, after this one is closed: an SQLite
        # writer's turn is not re-entrant.
        version = msg.plo.version if msg.plo else None
        return await self._reject(uow_factory, body, msg.head, refusal, version, received_at)

    async def _store_accepted(
        self,
        apply: MessageApplier,
        uow: UnitOfWork,
        msg: ElinMessage,
        body: bytes,
        received_at: datetime,
    ) -> Answer:
        """Apply a message that is not a duplicate and log it with its OK AppRec (uncommitted);
        the applier's ContentRejected passes through."""
        stay_id = await apply(msg, uow, received_at)
        apprec = self._apprec(msg.head, [], msg.plo.version if msg.plo else None)
        self._store(uow, body, msg.head, apprec, [], stay_id, received_at)
        if stay_id:
            trace.get_current_span().set_attribute("hub.stay_id", stay_id)
        return Answer(apprec.xml, True, "", stay_id)

    async def _reject(
        self,
        uow_factory: Callable[[], UnitOfWork],
        body: bytes,
        head: MsgHeadInfo | None,
        errors: Sequence[AppRecError],
        content_version: str | None,
        received_at: datetime,
    ) -> Answer:
        codes = ",".join(e.code.value for e in errors)
        trace.get_current_span().set_attribute("hub.apprec_errors", codes)
        log.info("message rejected: %s", codes)
        apprec = self._apprec(head, errors, content_version)
        if head is None or not head.msg_id:
            return Answer(apprec.xml, False, codes)
        async with uow_factory() as uow:
            stored = await self._log(uow).answer_for(head.msg_id)
            if stored is not None:
                return Answer.again(stored)
            try:
                self._store(uow, body, head, apprec, errors, None, received_at)
                await uow.commit()
            except IntegrityError:
                await uow.rollback()
                stored = await self._log(uow).answer_for(head.msg_id)
                assert stored is not None
                return Answer.again(stored)
        return Answer(apprec.xml, False, codes)

    def _apprec(
        self, head: MsgHeadInfo | None, errors: Sequence[AppRecError], content_version: str | None
    ) -> _IssuedAppRec:
        apprec_id = uuid.uuid4()
        xml = build_apprec(
            original=head,
            errors=errors,
            version=apprec_version_for(content_version),
            apprec_id=apprec_id,
            gen_date=oslo_now(),
            hub=self.hub,
        )
        return _IssuedAppRec(xml, str(apprec_id))

    def _store(
        self,
        uow: UnitOfWork,
        body: bytes,
        head: MsgHeadInfo,
        apprec: _IssuedAppRec,
        errors: Sequence[AppRecError],
        stay_id: str | None,
        received_at: datetime,
    ) -> None:
        self._log(uow).add(
            msg_id=head.msg_id,
            msg_type=head.msg_type,
            sender_her=head.sender.her_id if head.sender else None,
            gen_date=local_to_utc(head.gen_date) if head.gen_date else None,
            received_at=received_at,
            accepted=not errors,
            error_codes=",".join(e.code.value for e in errors),
            apprec_id=apprec.id,
            apprec=apprec.xml,
            stay_id=stay_id,
            body=body,
        )

    def _log(self, uow: UnitOfWork) -> MessageLog:
        return MessageLog(uow)
