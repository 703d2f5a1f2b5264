"""spare_collector: a service process freezes what it loaded and collects its young objects less."""

from __future__ import annotations

import subprocess
import sys

PROBE = (
    "import gc; from hub_shared.collector import spare_collector; "
    "spare_collector({threshold}); print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
)


def _after(threshold: int) -> list[str]:
    # In a process of its own: the collector's settings are the whole process's.
    command = [sys.executable, "-c", PROBE.format(threshold=threshold)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()


def test_a_threshold_freezes_the_loaded_objects_and_is_set():
    assert _after(50_000) == ["50000", "True"]


def test_zero_keeps_pythons_defaults():
    assert _after(0) == ["700", "False"]
