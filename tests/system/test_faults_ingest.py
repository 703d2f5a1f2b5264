"""RELIABILITY.md, at the ingest: kill -9 mid-load, a fresh broker mid-load, a resend storm.

Every test prints what it injected and what it counted, so a failure names the lost or doubled id.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import pytest
from harness import epj_send, msg_id_of, stored, topic_events

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from traffic import admissions

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]


def _check_exactly_once(ok: set[str], stored_ids: set[str], events: list[dict]) -> None:
    by_msg = Counter()
    for _envelope_id, msg in {(e["id"], e["data"]["message"]["msg_id"]) for e in events}:
        by_msg[msg] += 1
    doubled = {m for m, n in by_msg.items() if n > 1}
    print(
        f"answered OK {len(ok)}, stored {len(stored_ids)}, distinct events {sum(by_msg.values())}, "
        f"records on topic {len(events)}"
    )
    assert ok == stored_ids, (
        f"lost: {sorted(ok - stored_ids)[:5]}, unexpected: {sorted(stored_ids - ok)[:5]}"
    )
    assert set(by_msg) == ok, f"without event: {sorted(ok - set(by_msg))[:5]}"
    assert not doubled, f"two different events for one message: {sorted(doubled)[:5]}"


async def _kill_during(hub, name: str, progress: list[int], total: int, kills: int) -> int:
    done = 0
    for k in range(kills):
        threshold = total * (k + 1) // (kills + 2)
        while progress[0] < max(threshold, total // 5 * (k + 1) // kills):
            await asyncio.sleep(0.02)
        await asyncio.to_thread(hub.kill, name)
        await asyncio.sleep(0.3)
        await asyncio.to_thread(hub.restart, name)
        done += 1
    return done


async def test_kill_9_of_admission_notice_during_a_load_loses_and_doubles_nothing(make_hub):
    hub = make_hub("admission-notice")
    spec = hub.spec("admission-notice")
    bodies = list(admissions(400, seed=11))
    progress = [0]
    sending = asyncio.create_task(epj_send(spec.url, bodies, concurrency=8, progress=progress))
    kills = await _kill_during(hub, "admission-notice", progress, len(bodies), kills=3)
    result = await sending
    print(
        f"injected {kills} x kill -9; EPJ resends {result.resends}, errors {dict(result.server_errors)}"
    )
    assert result.ok == {msg_id_of(b) for b in bodies}
    ids = {
        r[0]
        for r in stored(
            hub.state_dir / "admission-notice.db",
            "SELECT msg_id FROM received_messages WHERE accepted",
        )
    }
    events = await topic_events(hub.bootstrap, "admission.v1", expect=len(bodies))
    _check_exactly_once(result.ok, ids, events)


async def test_a_fresh_broker_during_a_load_receives_every_event(make_hub):
    hub = make_hub("admission-notice")
    spec = hub.spec("admission-notice")
    bodies = list(admissions(300, seed=12))
    progress = [0]
    sending = asyncio.create_task(epj_send(spec.url, bodies, concurrency=8, progress=progress))
    while progress[0] < len(bodies) // 3:
        await asyncio.sleep(0.02)
    await asyncio.to_thread(hub.stop_broker)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(hub.start_broker)
    result = await sending
    print(f"injected: broker stopped at {len(bodies) // 3} messages, a fresh empty one started")
    ids = {
        r[0]
        for r in stored(
            hub.state_dir / "admission-notice.db",
            "SELECT msg_id FROM received_messages WHERE accepted",
        )
    }
    events = await topic_events(hub.bootstrap, "admission.v1", expect=len(bodies), timeout=90)
    _check_exactly_once(result.ok, ids, events)


async def test_a_resend_storm_stores_one_message_and_one_event(make_hub):
    hub = make_hub("admission-notice")
    spec = hub.spec("admission-notice")
    body = next(admissions(1, seed=13))
    results = await asyncio.gather(*(epj_send(spec.url, [body], concurrency=1) for _ in range(50)))
    assert {r.status[msg_id_of(body)] for r in results} == {"1"}
    ids = stored(hub.state_dir / "admission-notice.db", "SELECT msg_id FROM received_messages")
    apprecs = stored(hub.state_dir / "admission-notice.db", "SELECT count(*) FROM outbox")
    assert ids == [(msg_id_of(body),)] and apprecs == [(1,)]
    events = await topic_events(hub.bootstrap, "admission.v1", expect=1)
    print(f"injected 50 concurrent posts of one MsgId; stored {len(ids)}, events {len(events)}")
    assert len({e["id"] for e in events}) == 1
