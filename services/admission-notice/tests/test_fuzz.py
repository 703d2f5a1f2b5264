"""Whatever bytes arrive, the answer is an AppRec (200) or a transport error (4xx), never a 500."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub_shared.testing.http import post_xml
from hub_shared.testing.messages import log_innlagt

VALID = log_innlagt(
    admitted_at=datetime(2024, 4, 2, 10, 0), msg_id="6f1c2a52-9d7e-4b53-9a43-2f0d1c9b7e11"
)


def mutations() -> st.SearchStrategy[bytes]:
    """Random bytes, and the valid message with a slice replaced by random bytes."""
    spliced = st.tuples(st.integers(0, len(VALID)), st.integers(0, 40), st.binary(max_size=40)).map(
        lambda t: VALID[: t[0]] + t[2] + VALID[t[0] + t[1] :]
    )
    return st.one_of(st.binary(max_size=2000), spliced)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=mutations())
async def test_any_body_gets_an_apprec_or_a_4xx(client, body: bytes) -> None:
    response = await post_xml(client, body)
    assert response.status_code < 500
    if response.status_code == 200:
        assert b"AppRec" in response.content
    else:
        assert 400 <= response.status_code < 500
