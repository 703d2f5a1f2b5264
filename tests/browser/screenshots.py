"""`make screenshots`: a PNG of each of the housing office's pages with realistic synthetic data.

Starts housing-match (with the office's pages) and billing in this process on SQLite in a temporary
directory, builds the demo (services/housing-match/tests/office/office_scenario.py: Alvdal's stock, three
months of discharge-ready patients, September's and October's invoices), answers the hospital
messages with a fake hospital, and photographs the pages in Debian's Chromium (Playwright):

    .venv/bin/python tests/browser/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT / "services" / "housing-match" / "tests" / "office",):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import office_scenario as scenario  # noqa: E402
from office_harness import Served  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

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


def sign_in(page: Page, base: str, username: str = "alvdal", password: str = "alvdal-dev") -> None:
    page.goto(f"{base}/office/login")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(f"{base}/office/")


def shoot(page: Page, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: install Debian's chromium package", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    hospital_port = free_port()
    hospital = FakeHospital(hospital_port, load_schema(), ["ok"]).start()
    with tempfile.TemporaryDirectory() as tmp:
        served = Served(
            Path(tmp),
            now=scenario.TODAY,
            deliver=True,
            hospital_endpoint=hospital.endpoint,
        ).start()
        try:
            demo = served.call(scenario.build, timeout=300)
            served.call(lambda hub: hub.pump())
            base = served.url
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nb-NO")
                page.goto(f"{base}/office/login")
                shoot(page, args.out, "login")
                sign_in(page, base)
                shoot(page, args.out, "overview")
                page.goto(f"{base}/office/cases/{demo.cases['Gundersen']}")
                shoot(page, args.out, "case")
                page.goto(f"{base}/office/cases/{demo.cases['Nordmann']}")
                form = page.locator("form.accept-form").first
                form.locator("input[type=date]").fill("2024-11-22")
                form.get_by_role("button").click()
                page.wait_for_selector(".warning[role=alert]")
                shoot(page, args.out, "case-move-in-warning")
                page.goto(f"{base}/office/cases/{demo.cases['Bakken']}")
                shoot(page, args.out, "case-housed")
                page.goto(f"{base}/office/stock")
                shoot(page, args.out, "stock")
                page.goto(f"{base}/office/invoices")
                shoot(page, args.out, "invoices")
                page.goto(f"{base}/office/invoices/{demo.invoices[-1]}")
                shoot(page, args.out, "invoice")
                page.goto(f"{base}/office/?lang=en")
                shoot(page, args.out, "overview-en")
                browser.close()
        finally:
            served.stop()
            hospital.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
