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


def new_hub(*names: str, **env: str) -> Hub:
    """A hub of the named services on free ports with SQLite in a temp dir (not started yet)."""
    state = Path(tempfile.mkdtemp(prefix="hub-system-"))
    extra = {"HUB_RELAY_POLL_SECONDS": "0.1", "HUB_LOG_LEVEL": "WARNING", **env}
    return Hub(
        state_dir=state, broker_port=broker.free_port(), services=_specs(names), extra_env=extra
    )


def _hubs() -> Iterator:
    started: list[Hub] = []

    def make(*names: str, **env: str) -> Hub:
        hub = new_hub(*names, **env)
        started.append(hub)
        hub.start()
        return hub

    yield make
    for hub in started:
        hub.stop()


@pytest.fixture
def make_hub() -> Iterator:
    """Start a hub (broker + the named services, separate processes, SQLite in a temp dir)."""
    yield from _hubs()


@pytest.fixture(scope="module")
def make_module_hub() -> Iterator:
    """As make_hub, for a hub (or a run on it) that several tests of a module share."""
    yield from _hubs()
