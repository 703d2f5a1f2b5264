"""Group commit (hub_shared.reception.group) through the real app: messages that arrive together
share transactions, and each is still answered for itself and stored exactly once."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime

import httpx
import pytest
import sqlalchemy as sa
import sqlalchemy.event
from asgi_lifespan import LifespanManager

from admission_notice.adapters import orm
from admission_notice.entrypoints.api import create_app
from admission_notice.settings import Settings
from hub_shared.db import make_engine, stored_utc
from hub_shared.testing.http import apprec_of, bearer, status_and_errors
from hub_shared.testing.http import post_xml as post
from hub_shared.testing.messages import event, log_innlagt, patient, plo, random_person_number

ADMITTED = datetime(2024, 4, 2, 10, 0)
ABANDONED_TOTAL = "hub_elin_batches_abandoned_total"


@asynccontextmanager
async def counted_app(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, list[int]]]:
    """The app, and a list that grows by one at every commit on its database."""
    app = create_app(settings, background=False)
    commits: list[int] = []
    async with LifespanManager(app) as manager:
        engine = app.state.hub.runtime.engine.sync_engine
        sqlalchemy.event.listen(engine, "commit", lambda _conn: commits.append(1))
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub", headers=bearer("59")
        ) as http:
            yield http, commits


class _Abandoned(logging.Handler):
    """The group commit's "batch abandoned" lines, caught on its own logger: a service's
    setup_logging replaces the root logger's handlers, pytest's log capture among them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "abandoned" in record.getMessage():
            self.lines.append(record.getMessage())


@contextmanager
def abandoned_batches() -> Iterator[list[str]]:
    logger = logging.getLogger("hub_shared.reception.group")
    handler, level = _Abandoned(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _metric(text: str, name: str) -> float:
    """A metric's value in a Prometheus text page (the process's total, all tests together)."""
    (line,) = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.split()[1])


def _distinct(n: int) -> list[bytes]:
    # Distinct patients' admissions: each message forms a stay of its own.
    rng = random.Random(n)
    return [
        log_innlagt(admitted_at=ADMITTED, person=patient(random_person_number(rng)))
        for _ in range(n)
    ]


def _original_msg_id(response: httpx.Response) -> str:
    original = apprec_of(response).find("{*}OriginalMsgId/{*}Id")
    assert original is not None
    return original.text or ""


def _msg_id(body: bytes) -> str:
    return body.split(b"<MsgId>")[1].split(b"</MsgId>")[0].decode()


async def _logged(settings: Settings) -> int:
    engine = make_engine(settings.resolved_database_url())
    async with engine.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(orm.received_messages))
    await engine.dispose()
    return int(count or 0)


async def test_messages_arriving_together_share_commits_and_each_gets_its_own_apprec(
    settings, outbox_events
):
    bodies = _distinct(30)
    async with counted_app(settings) as (client, commits):
        before = _metric((await client.get("/metrics")).text, "hub_elin_batch_messages_sum")
        answers = await asyncio.gather(*(post(client, body) for body in bodies))
        after = _metric((await client.get("/metrics")).text, "hub_elin_batch_messages_sum")
    assert [status_and_errors(apprec_of(a)) for a in answers] == [("1", [])] * 30
    # Each AppRec answers its own message, and no answer is a duplicate.
    assert [_original_msg_id(a) for a in answers] == [_msg_id(b) for b in bodies]
    assert all("X-Duplicate" not in a.headers for a in answers)
    assert len(commits) < 30
    assert after - before == 30  # every message was stored in a batch of the group commit
    events = await outbox_events()
    assert len(events) == 30
    assert {e.subject for e in events} == {a.headers["X-Stay-Id"] for a in answers}
    assert await _logged(settings) == 30


async def test_copies_in_one_batch_are_stored_once_and_answered_alike(settings, outbox_events):
    bodies = _distinct(5)
    async with counted_app(settings) as (client, _commits):
        answers = await asyncio.gather(*(post(client, b) for b in bodies for _copy in range(3)))
    for i in range(5):
        copies = answers[3 * i : 3 * i + 3]
        assert len({a.content for a in copies}) == 1
        assert sum(a.headers.get("X-Duplicate") == "true" for a in copies) == 2
    assert len(await outbox_events()) == 5
    assert await _logged(settings) == 5


async def test_a_refusal_in_a_batch_is_answered_alone_and_the_others_are_kept(
    settings, outbox_events
):
    # A LOG_INNLAGT whose event is not the admission passes the schema; the service refuses it
    # (X99), after the messages before it in the batch were applied.
    refused = plo("LOG_INNLAGT", events=[event(2, ADMITTED)], gen_date=ADMITTED)
    bodies = _distinct(10)
    mixed = [*bodies[:5], refused, *bodies[5:]]
    with abandoned_batches() as abandoned:
        async with counted_app(settings) as (client, _commits):
            before = _metric((await client.get("/metrics")).text, ABANDONED_TOTAL)
            answers = await asyncio.gather(*(post(client, body) for body in mixed))
            after = _metric((await client.get("/metrics")).text, ABANDONED_TOTAL)
    assert abandoned  # the refusal's batch went message by message
    assert after - before == len(abandoned)  # and counted
    outcomes = [status_and_errors(apprec_of(a)) for a in answers]
    assert outcomes[5] == ("2", ["X99"])
    assert outcomes[:5] + outcomes[6:] == [("1", [])] * 10
    assert len(await outbox_events()) == 10
    assert await _logged(settings) == 11


async def test_each_message_of_a_batch_is_traced_in_its_own_request(settings, spans):
    bodies = _distinct(12)
    async with counted_app(settings) as (client, _commits):
        answers = await asyncio.gather(*(post(client, body) for body in bodies))
    requests = {
        format(s.context.trace_id, "032x"): s
        for s in spans.get_finished_spans()
        if s.name == "POST /elin/messages"
    }
    for answer in answers:
        span = requests[answer.headers["X-Trace-Id"]]
        assert span.attributes["hub.stay_id"] == answer.headers["X-Stay-Id"]
    assert max(s.attributes["hub.group_commit"] for s in requests.values()) > 1


def _related(rng: random.Random) -> list[bytes]:
    """Messages that build on each other's stays: an admission, the change of its time and a new
    notice with the old time, an admission and its cancellation, one admission under two
    MsgIds, and a change that comes before its original."""
    later = datetime(2024, 4, 2, 11, 30)
    journeys = []
    for _ in range(3):
        first, second, third, fourth = (patient(random_person_number(rng)) for _ in range(4))
        original = log_innlagt(admitted_at=ADMITTED, person=first)
        corrected = log_innlagt(
            admitted_at=later, person=first, status="M", refers_to=_msg_id(original)
        )
        admitted = log_innlagt(admitted_at=ADMITTED, person=second)
        cancelled = log_innlagt(
            admitted_at=ADMITTED, person=second, status="C", refers_to=_msg_id(admitted)
        )
        again = [log_innlagt(admitted_at=ADMITTED, person=third) for _ in range(2)]
        overtaken = log_innlagt(admitted_at=ADMITTED, person=fourth)
        overtaking = log_innlagt(
            admitted_at=later, person=fourth, status="M", refers_to=_msg_id(overtaken)
        )
        stale = log_innlagt(admitted_at=ADMITTED, person=first)  # the time the change replaced
        journeys += [original, corrected, stale, admitted, cancelled, *again, overtaking, overtaken]
    return journeys


async def _stays(settings: Settings) -> list[tuple]:
    # What of a stay does not depend on the order its messages arrived in.
    s = orm.stays.c
    columns = (s.stay_id, s.patient_id, s.admitted_at, s.status, s.cancelled_at)
    engine = make_engine(settings.resolved_database_url())
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(*columns).order_by(s.stay_id))).all()
    await engine.dispose()
    return [(*row[:2], stored_utc(row[2]), row[3], row[4] and stored_utc(row[4])) for row in rows]


async def test_a_batch_whose_messages_build_on_each_other_ends_as_one_by_one(
    settings, tmp_path, spans
):
    # The stays a batch needs are read at once and kept for the whole transaction
    # (StayRepository): each message must find what the messages before it did.
    bodies = _related(random.Random(5))
    with abandoned_batches() as abandoned:
        async with counted_app(settings) as (client, _commits):
            await post(client, _distinct(1)[0])
            together = await asyncio.gather(*(post(client, body) for body in bodies))
    sizes = [
        s.attributes.get("hub.group_commit", 0)
        for s in spans.get_finished_spans()
        if s.name == "POST /elin/messages"
    ]
    assert max(sizes) > len(bodies) / 2  # most of them shared one transaction
    assert abandoned == []  # and none had to be stored alone
    one_by_one = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'one_by_one.db'}"}
    )
    async with counted_app(one_by_one) as (client, _commits):
        await post(client, _distinct(1)[0])
        alone = [await post(client, body) for body in bodies]
    assert [status_and_errors(apprec_of(r)) for r in together] == [("1", [])] * len(bodies)
    assert [r.headers["X-Stay-Id"] for r in together] == [r.headers["X-Stay-Id"] for r in alone]
    assert await _stays(settings) == await _stays(one_by_one)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_replicas_announcing_the_same_stays_keep_one_of_each(settings, outbox_events):
    # Two processes of the service on one PostgreSQL (in-process here: two apps, two engines).
    # Each stay is announced to both at once under two MsgIds: whichever batch loses the race
    # for a stay (usually one does) fails on its key, is stored message by message, and then
    # finds the stay.
    rng = random.Random(11)
    people = [patient(random_person_number(rng)) for _ in range(24)]
    first = [log_innlagt(admitted_at=ADMITTED, person=p) for p in people]
    second = [log_innlagt(admitted_at=ADMITTED, person=p) for p in people]
    async with counted_app(settings) as (one, _c1), counted_app(settings) as (two, _c2):
        answers = await asyncio.gather(
            *(
                post(app, body)
                for pair in zip(first, second, strict=True)
                for app, body in zip((one, two), pair, strict=True)
            )
        )
    assert [status_and_errors(apprec_of(a)) for a in answers] == [("1", [])] * 48
    stays = [a.headers["X-Stay-Id"] for a in answers]
    assert len(set(stays)) == 24
    events = await outbox_events()
    assert sorted(e.subject for e in events) == sorted(set(stays))  # one AdmissionNotified each
    assert {e.type for e in events} == {"AdmissionNotified"}
    assert await _logged(settings) == 48


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_change_and_a_cancellation_at_two_replicas_end_cancelled(settings):
    # The cancellation is the later message, so the stay ends cancelled whichever replica
    # commits first: the one that commits second must read the other's stay, not overwrite it
    # with the copy it read before (the stays a batch reads are locked until its commit).
    # The changes go to one replica and the cancellations to the other, all at once.
    rng = random.Random(12)
    people = [patient(random_person_number(rng)) for _ in range(12)]
    originals = [log_innlagt(admitted_at=ADMITTED, person=p) for p in people]
    pairs = [
        (
            log_innlagt(
                admitted_at=datetime(2024, 4, 2, 9, 0),
                gen_date=datetime(2024, 4, 2, 12, 0),
                person=p,
                status="M",
                refers_to=_msg_id(original),
            ),
            log_innlagt(
                admitted_at=ADMITTED,
                gen_date=datetime(2024, 4, 2, 13, 0),
                person=p,
                status="C",
                refers_to=_msg_id(original),
            ),
        )
        for p, original in zip(people, originals, strict=True)
    ]
    async with counted_app(settings) as (one, _c1), counted_app(settings) as (two, _c2):
        for original in originals:
            await post(one, original)
        answers = await asyncio.gather(
            *(post(app, body) for pair in pairs for app, body in zip((two, one), pair, strict=True))
        )
        assert [status_and_errors(apprec_of(a)) for a in answers] == [("1", [])] * 24
        stays = [(await one.get(f"/stays/{a.headers['X-Stay-Id']}")).json() for a in answers]
    assert {s["status"] for s in stays} == {"cancelled"}
