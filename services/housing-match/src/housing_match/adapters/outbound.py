"""Delivery of the municipality's answers to hospitals: an outbox for HTTP.

An answer is written to `outbound_messages` in the same transaction as the decision behind it. The
sender POSTs its XML to the hospital's `endpoint` (address register) and reads the AppRec in the
response. Where the register names a token variable for the hospital (`endpoint_token_env`), the
POST carries that bearer token:

- AppRec status 1 (OK) or 3 (OK, error in a part): delivered;
- AppRec status 2 (Avvist): rejected, with the hospital's errors; never sent again, shown on the case;
- anything else (connection refused, timeout, an HTTP error, a body that is no AppRec for this
  message, the token variable not set): tried again after a wait that doubles with each failure (`outbound_backoff_*`),
  without end. Every attempt is recorded in `outbound_attempts`.

One stay's answers go out in the order they were written: a later one waits while an earlier one
is still undelivered. Replicas may run side by side: an attempt is claimed by a conditional update
first, so that two senders never post the same answer at the same moment (a repeat after a crash
is harmless: the hospital answers the same MsgId with the same AppRec).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from lxml import etree
from opentelemetry import propagate, trace

from housing_match.adapters import orm
from housing_match.settings import Settings
from hub_shared.db import stored_utc
from hub_shared.db.uow import UnitOfWork
from hub_shared.elin.codes import AppRecStatus
from hub_shared.elin.reader import MessageRejected, parse_apprec
from hub_shared.metrics import ANSWER_ATTEMPTS, ANSWER_OLDEST_PENDING, ANSWERS_UNDELIVERED
from hub_shared.register import AddressRegister, RegisteredParty
from hub_shared.timeutil import utc_now

log = logging.getLogger(__name__)

PENDING, DELIVERED, REJECTED = "pending", "delivered", "rejected"
_BATCH = 100
_CLAIM_MARGIN = timedelta(seconds=30)


tracer = trace.get_tracer("housing_match.outbound")


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt."""

    outcome: str
    """delivered | rejected | http_error | connection_error | timeout | bad_apprec | no_endpoint |
    no_credentials"""
    http_status: int | None = None
    detail: str = ""
    apprec: dict[str, Any] | None = None

    @property
    def final(self) -> bool:
        return self.outcome in (DELIVERED, REJECTED)


@dataclass(frozen=True)
class _Claimed:
    msg_id: str
    attempt: int
    receiver_her: str
    body: bytes
    started_at: datetime
    traceparent: str | None = None


class AnswerSender:
    """Delivers pending answers until each has its AppRec."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        register: AddressRegister,
        settings: Settings,
        *,
        schema: etree.XMLSchema | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.uow_factory = uow_factory
        self.register = register
        self.settings = settings
        self.schema = schema
        self.now = now
        self._wake = asyncio.Event()
        self._http: httpx.AsyncClient | None = None
        self._limit = asyncio.Semaphore(max(1, settings.outbound_concurrency))

    def wake(self) -> None:
        """Look for due answers now rather than at the next poll."""
        self._wake.set()

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt: base x 2^(attempts-1), capped,
        plus up to `outbound_backoff_jitter` of it at random."""
        s = self.settings
        base = min(
            s.outbound_backoff_seconds * 2 ** max(0, attempts - 1), s.outbound_backoff_max_seconds
        )
        return timedelta(seconds=base * (1 + s.outbound_backoff_jitter * random.random()))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()  # a wake during the pass below makes the next one start at once
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away: try again at the next poll
                log.warning("answer sender: pass failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.outbound_poll_seconds)
        await self.close()

    async def close(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def deliver_due(self) -> int:
        """One pass: claim every answer due now and try to deliver it. Returns how many."""
        claimed = await self._claim()
        await asyncio.gather(*(self._deliver(c) for c in claimed))
        await self._gauge()
        return len(claimed)

    async def _gauge(self) -> None:
        """Set the metrics of undelivered answers (operations alert on them)."""
        table = orm.outbound_messages
        query = (
            sa.select(table.c.status, sa.func.count(), sa.func.min(table.c.created_at))
            .where(table.c.status.in_((PENDING, REJECTED)))
            .group_by(table.c.status)
        )
        async with self.uow_factory() as uow:
            rows = {r[0]: r for r in (await uow.session.execute(query)).all()}
        for status in (PENDING, REJECTED):
            ANSWERS_UNDELIVERED.labels(status).set(rows[status][1] if status in rows else 0)
        oldest = stored_utc(rows[PENDING][2]) if PENDING in rows else None
        age = (self.now() - oldest).total_seconds() if oldest else 0.0
        ANSWER_OLDEST_PENDING.set(max(0.0, age))

    # --- claiming -----------------------------------------------------------------------------
    async def _claim(self) -> list[_Claimed]:
        table = orm.outbound_messages
        earlier = table.alias("earlier")
        now = self.now()
        async with self.uow_factory() as uow:
            # Due, and no earlier answer of the same stay still undelivered.
            query = (
                sa.select(table.c.msg_id, table.c.attempts)
                .where(
                    table.c.status == PENDING,
                    table.c.next_attempt_at <= now,
                    ~sa.exists().where(
                        earlier.c.stay_id == table.c.stay_id,
                        earlier.c.status == PENDING,
                        earlier.c.seq < table.c.seq,
                    ),
                )
                .order_by(table.c.seq)
                .limit(_BATCH)
            )
            due = (await uow.session.execute(query)).all()
            lease = now + timedelta(seconds=self.settings.outbound_timeout_seconds) + _CLAIM_MARGIN
            mine: list[str] = []
            for row in due:
                result = await uow.session.execute(
                    sa.update(table)
                    .where(
                        table.c.msg_id == row.msg_id,
                        table.c.status == PENDING,
                        table.c.attempts == row.attempts,
                    )
                    .values(attempts=row.attempts + 1, last_attempt_at=now, next_attempt_at=lease)
                )
                if result.rowcount == 1:
                    mine.append(row.msg_id)
            if not mine:
                return []
            query = sa.select(
                table.c.msg_id,
                table.c.attempts,
                table.c.receiver_her,
                table.c.body,
                table.c.traceparent,
            ).where(table.c.msg_id.in_(mine))
            claimed = [
                _Claimed(r.msg_id, r.attempts, r.receiver_her, r.body, now, r.traceparent)
                for r in (await uow.session.execute(query)).all()
            ]
            await uow.commit()
        return claimed

    # --- one attempt --------------------------------------------------------------------------
    async def _deliver(self, claimed: _Claimed) -> None:
        async with self._limit:
            organisation = self.register.organisation(claimed.receiver_her)
            endpoint = organisation.endpoint if organisation is not None else None
            if organisation is None or endpoint is None:
                attempt = Attempt("no_endpoint", detail="no endpoint in the address register")
            else:
                credentials = _credentials(organisation)
                if isinstance(credentials, Attempt):
                    attempt = credentials
                else:
                    attempt = await self._post(endpoint, claimed, credentials)
        await self._record(claimed, endpoint, attempt)
        ANSWER_ATTEMPTS.labels(attempt.outcome).inc()
        log.info("answer %s attempt %d: %s", claimed.msg_id, claimed.attempt, attempt.outcome)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.settings.outbound_timeout_seconds)
        return self._http

    async def _post(self, endpoint: str, claimed: _Claimed, credentials: dict[str, str]) -> Attempt:
        parent = propagate.extract({"traceparent": claimed.traceparent or ""})
        with tracer.start_as_current_span(
            "deliver answer to hospital",
            context=parent,
            kind=trace.SpanKind.CLIENT,
            attributes={"hub.msg_id": claimed.msg_id, "hub.attempt": claimed.attempt},
        ) as span:
            attempt = await self._send(endpoint, claimed, credentials)
            span.set_attribute("hub.outcome", attempt.outcome)
            return attempt

    async def _send(self, endpoint: str, claimed: _Claimed, credentials: dict[str, str]) -> Attempt:
        headers = {"content-type": "application/xml; charset=utf-8", **credentials}
        propagate.inject(headers)  # the hospital's side may continue the trace
        try:
            response = await self._client().post(endpoint, content=claimed.body, headers=headers)
        except httpx.TimeoutException as exc:
            return Attempt("timeout", detail=type(exc).__name__)
        except httpx.HTTPError as exc:
            return Attempt("connection_error", detail=type(exc).__name__)
        if not response.is_success:
            return Attempt("http_error", response.status_code, f"HTTP {response.status_code}")
        return self._read_apprec(claimed.msg_id, response)

    def _read_apprec(self, msg_id: str, response: httpx.Response) -> Attempt:
        status = response.status_code
        try:
            apprec = parse_apprec(response.content, schema=self.schema)
        except MessageRejected as exc:
            return Attempt("bad_apprec", status, f"no readable AppRec ({exc})")
        if apprec.original_msg_id != msg_id:
            return Attempt("bad_apprec", status, "the AppRec answers another message")
        stored = {
            "apprec_msg_id": apprec.msg_id,
            "apprec_status": apprec.status,
            "apprec_status_text": apprec.status_text,
            "apprec_errors": [e.model_dump() for e in apprec.errors],
            "apprec_body": response.content,
        }
        if apprec.status == AppRecStatus.REJECTED:
            codes = ", ".join(e.code or "?" for e in apprec.errors) or "no error codes"
            return Attempt(REJECTED, status, f"AppRec Avvist: {codes}", stored)
        if apprec.status in (AppRecStatus.OK, AppRecStatus.OK_ERROR_IN_PART):
            return Attempt(DELIVERED, status, f"AppRec status {apprec.status}", stored)
        return Attempt("bad_apprec", status, "AppRec status not in list 8258")

    async def _record(self, claimed: _Claimed, endpoint: str | None, attempt: Attempt) -> None:
        now = self.now()
        retry_at = None if attempt.final else now + self.backoff(claimed.attempt)
        values: dict[str, Any] = {"endpoint": endpoint}
        if attempt.final:
            values.update(
                status=attempt.outcome,
                last_error=None if attempt.outcome == DELIVERED else attempt.detail[:400],
                apprec_received_at=now,
                **(attempt.apprec or {}),
            )
        else:
            values.update(next_attempt_at=retry_at, last_error=attempt.detail[:400])
        async with self.uow_factory() as uow:
            table = orm.outbound_messages
            await uow.session.execute(
                sa.update(table)
                .where(
                    table.c.msg_id == claimed.msg_id,
                    table.c.status == PENDING,
                    table.c.attempts == claimed.attempt,
                )
                .values(values)
            )
            await uow.session.execute(
                sa.insert(orm.outbound_attempts).values(
                    msg_id=claimed.msg_id,
                    attempt=claimed.attempt,
                    started_at=claimed.started_at,
                    finished_at=now,
                    endpoint=endpoint,
                    outcome=attempt.outcome,
                    http_status=attempt.http_status,
                    detail=attempt.detail[:400],
                    next_attempt_at=retry_at,
                )
            )
            await uow.commit()
        if not attempt.final:
            self.wake_at(retry_at)

    def wake_at(self, moment: datetime | None) -> None:
        """Poll sooner when a retry falls before the next regular poll."""
        if moment is None:
            return
        delay = (moment - self.now()).total_seconds()
        if 0 <= delay < self.settings.outbound_poll_seconds:
            asyncio.get_running_loop().call_later(delay, self._wake.set)


def _credentials(organisation: RegisteredParty) -> dict[str, str] | Attempt:
    """The Authorization header for the organisation's endpoint: none when the register names no
    token variable; a failed attempt (retried) when it names one that is not set."""
    variable = organisation.endpoint_token_env
    if variable is None:
        return {}
    token = os.environ.get(variable)
    if not token:
        return Attempt("no_credentials", detail=f"{variable} is not set")
    return {"authorization": f"Bearer {token}"}
