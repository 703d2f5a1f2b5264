"""Every caller authenticates; a sender acts only for itself; a municipality sees only its stays."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from admission_notice.adapters import orm
from admission_notice.settings import Settings
from hub_shared.db import make_engine
from hub_shared.testing.http import apprec_of, bearer, post_xml, status_and_errors
from hub_shared.testing.messages import log_innlagt

ADMITTED = datetime(2024, 4, 2, 10, 0)


async def test_no_or_wrong_token_is_401_problem(client):
    body = log_innlagt(admitted_at=ADMITTED)
    for headers in ({"authorization": ""}, {"authorization": "Bearer not-a-token"}):
        response = await post_xml(client, body, **headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert (
        await client.get(f"/stays/{uuid.uuid4()}", headers={"authorization": ""})
    ).status_code == 401


async def test_a_party_cannot_send_in_another_partys_name(client, outbox_events):
    msg_id = str(uuid.uuid4())
    body = log_innlagt(admitted_at=ADMITTED, msg_id=msg_id)  # MsgHead sender: St. Olavs (59)
    forged = await post_xml(client, body, **bearer("800200"))
    assert status_and_errors(apprec_of(forged)) == ("2", ["X99"])
    assert await outbox_events() == []
    # The refusal was not stored under the MsgId: the real sender's message still goes through.
    genuine = await post_xml(client, body)
    assert status_and_errors(apprec_of(genuine)) == ("1", [])


async def test_a_municipality_sees_its_own_stays_only_and_each_view_is_audited(client, settings):
    response = await post_xml(client, log_innlagt(admitted_at=ADMITTED))  # to Alvdal (99387)
    stay_id = response.headers["X-Stay-Id"]
    own = await client.get(f"/stays/{stay_id}", headers=bearer("99387"))
    assert own.status_code == 200
    other = await client.get(f"/stays/{stay_id}", headers=bearer("800400"))
    assert other.status_code == 404
    engine = make_engine(settings.resolved_database_url())
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(orm.audit_log))).all()
    await engine.dispose()
    assert [(r.caller, r.action, r.stay_id) for r in rows] == [("HER:99387", "view stay", stay_id)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_dev_token_acts_for_every_party_on_the_embedded_default(settings, app_with):
    with_token = settings.model_copy(update={"dev_token": SecretStr("dev")})
    async with app_with(with_token, {"authorization": "Bearer dev"}) as dev:
        response = await post_xml(dev, log_innlagt(admitted_at=ADMITTED))
        assert status_and_errors(apprec_of(response)) == ("1", [])
        stay = await dev.get(f"/stays/{response.headers['X-Stay-Id']}")
        assert stay.status_code == 200


def test_dev_token_is_refused_with_a_server_database() -> None:
    settings = Settings(database_url="postgresql+asyncpg://hub@db/hub", dev_token=SecretStr("dev"))
    with pytest.raises(RuntimeError, match="HUB_DEV_TOKEN"):
        settings.check_dev_token_allowed()
