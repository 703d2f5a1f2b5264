"""Browser tests of the housing office's pages: Playwright in Debian's Chromium (/usr/bin/chromium).

The app runs in this process (uvicorn in a background thread, SQLite in a temp dir), with billing
beside it and a fake hospital for the answers; events are fed through the services' own handlers
(services/housing-match/tests/office/office_harness.py). Never `playwright install`: the tests use
the system's Chromium and are skipped, saying so, when it is absent.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
for extra in (
    ROOT / "services" / "housing-match" / "tests" / "office",
    Path(__file__).resolve().parent,
):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


from hub_shared.broker import free_port  # noqa: E402
from hub_shared.elin.schema import load_schema  # noqa: E402
from hub_shared.testing.hospital import FakeHospital  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"Debian's Chromium not found at {CHROMIUM} (apt-get install chromium); "
        "the browser tests never download a browser",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def hospital() -> Iterator[FakeHospital]:
    """St. Olavs' ELIN endpoint: answers every delivery with a positive AppRec."""
    fake = FakeHospital(free_port(), load_schema(), ["ok"]).start()
    yield fake
    fake.stop()
