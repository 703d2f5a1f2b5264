from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub_shared import broker
from hub_shared.hub import DEFAULT_SERVICES, Hub, ServiceSpec

# The harness module beside the tests (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _specs(names: tuple[str, ...]) -> tuple[ServiceSpec, ...]:
    return tuple(
        ServiceSpec(s.name, s.module, broker.free_port(), s.colour)
        for s in DEFAULT_SERVICES
        if s.name in names
    )


@pytest.fixture
def make_hub() -> Iterator:
    """Start a hub (broker + the named services, separate processes, SQLite in a temp dir)."""
    started: list[Hub] = []

    def make(*names: str, **env: str) -> Hub:
        state = Path(tempfile.mkdtemp(prefix="hub-system-"))
        extra = {"HUB_RELAY_POLL_SECONDS": "0.1", "HUB_LOG_LEVEL": "WARNING", **env}
        hub = Hub(
            state_dir=state, broker_port=broker.free_port(), services=_specs(names), extra_env=extra
        )
        started.append(hub)
        hub.start()
        return hub

    yield make
    for hub in started:
        hub.stop()
