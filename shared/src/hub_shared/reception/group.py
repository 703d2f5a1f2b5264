"""Group commit: the messages that arrive while a transaction is being written are stored together.

A message's durable cost is largely per transaction (the connection, BEGIN, the commit, the
duplicate check, the outbox insert): under load a service pays it once for all the messages
waiting, not once per message. The batch is whatever waits when the writer is free, so a lone
message waits for nobody.

Every message in a batch is applied as it would be alone (in its own trace context, with its own
AppRec), in arrival order, in one transaction, and answered only after the commit. If anything goes
wrong in the batch (a content refusal, a unique key taken by another process, the database away),
nothing of it is kept and each of its messages is stored alone instead, on the single path.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from opentelemetry import context as otel_context
from opentelemetry import trace

from hub_shared.db.uow import UnitOfWork
from hub_shared.elin.models import ElinMessage
from hub_shared.metrics import ELIN_BATCH_MESSAGES, ELIN_BATCHES_ABANDONED
from hub_shared.reception.answer import Answer
from hub_shared.reception.log import MessageLog

log = logging.getLogger(__name__)

MAX_BATCH = 64
"""Messages per transaction at most: bounds what a batch adds to its first message's latency."""

StoreOne = Callable[[UnitOfWork, ElinMessage, bytes, datetime], Awaitable[Answer]]
"""Stores one checked message that is not a duplicate in the caller's unit of work (applies it,
logs it with its AppRec) and returns its answer; raises to have it stored alone."""

Prepare = Callable[[UnitOfWork, list[ElinMessage]], Awaitable[None]]
"""Runs in the batch's unit of work before its messages are stored, with those that are not
duplicates: reads at once what each of them will need (see `MessageApplier`)."""


@dataclass
class _Waiting:
    msg: ElinMessage
    body: bytes
    received_at: datetime
    context: otel_context.Context
    answer: asyncio.Future[Answer | None]


@dataclass
class GroupCommit:
    """One writer per reception: it stores the waiting messages in batches of `max_batch`."""

    uow_factory: Callable[[], UnitOfWork]
    store_one: StoreOne
    prepare: Prepare | None = None
    max_batch: int = MAX_BATCH
    _waiting: list[_Waiting] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None

    async def submit(self, msg: ElinMessage, body: bytes, received_at: datetime) -> Answer | None:
        """The message's answer once its batch is committed; None if the batch was abandoned,
        and the message must be stored alone."""
        answer = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(msg, body, received_at, otel_context.get_current(), answer))
        if self._writer is None or self._writer.done():
            # A context of its own: the writer serves many requests, not the one that started
            # it; each message's work runs in that message's trace context (`_one`).
            self._writer = asyncio.create_task(self._write(), context=contextvars.Context())
        return await answer

    async def _write(self) -> None:
        batch: list[_Waiting] = []
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                try:
                    answers: list[Answer | None] = list(await self._commit(batch))
                    ELIN_BATCH_MESSAGES.observe(len(batch))
                except Exception as exc:
                    log.info("batch of %d abandoned (%s): each stored alone", len(batch), _why(exc))
                    ELIN_BATCHES_ABANDONED.inc()
                    answers = [None] * len(batch)
                _settle(batch, answers)
                batch = []
        finally:
            # Cancelled (the service stops): nobody is left waiting for a writer that is gone.
            _settle(batch + self._waiting, [None] * (len(batch) + len(self._waiting)))
            self._waiting.clear()

    async def _commit(self, batch: list[_Waiting]) -> list[Answer]:
        async with self.uow_factory() as uow:
            msg_ids = [w.msg.msg_id for w in batch]
            stored = await MessageLog(uow).answers_for(msg_ids)
            given = {msg_id: Answer.again(answer) for msg_id, answer in stored.items()}
            if self.prepare is not None:
                await self.prepare(uow, [w.msg for w in batch if w.msg.msg_id not in given])
            answers = [await self._one(uow, waiting, given, len(batch)) for waiting in batch]
            await uow.commit()
        return answers

    async def _one(
        self, uow: UnitOfWork, waiting: _Waiting, given: dict[str, Answer], size: int
    ) -> Answer:
        token = otel_context.attach(waiting.context)
        try:
            span = trace.get_current_span()
            span.set_attribute("hub.group_commit", size)
            earlier = given.get(waiting.msg.msg_id)
            if earlier is not None:
                span.set_attribute("hub.duplicate", True)
                return earlier.repeated()
            answer = await self.store_one(uow, waiting.msg, waiting.body, waiting.received_at)
            given[waiting.msg.msg_id] = answer  # a second copy later in this batch repeats it
            return answer
        finally:
            otel_context.detach(token)


def _settle(batch: list[_Waiting], answers: list[Answer | None]) -> None:
    for waiting, answer in zip(batch, answers, strict=True):
        if not waiting.answer.done():  # a request that was cancelled no longer waits
            waiting.answer.set_result(answer)


def _why(exc: Exception) -> str:
    # The exception's class only: its text may quote SQL parameters (patient data).
    return type(exc).__name__
