"""axe-core (axe-playwright-python) on every page of the housing office, in both languages, with
realistic data and in its error and warning states: no serious or critical violation (WCAG 2.1 A
and AA rules and axe's best practices)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from office_harness import Patient, Served
from office_scenario import TODAY, build
from playwright.sync_api import Page, expect

AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Any]]:
    served = Served(tmp_path_factory.mktemp("office-a11y"), now=TODAY, poll_seconds=1).start()
    try:
        yield served, served.call(build, timeout=300)
    finally:
        served.stop()


def serious(page: Page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check(page: Page, where: str, found: dict[str, list[str]]) -> None:
    problems = serious(page)
    if problems:
        found[where] = problems


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/office/login")
    page.get_by_label("Brukernavn").fill("alvdal")
    page.get_by_label("Passord").fill("alvdal-dev")
    page.get_by_role("button", name="Logg inn").click()
    expect(page).to_have_url(f"{base}/office/")


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_no_serious_or_critical_violation_on_any_page(
    chromium: Any, demo: tuple[Served, Any], lang: str
) -> None:
    served, data = demo
    base = served.url
    context = chromium.new_context()
    page = context.new_page()
    found: dict[str, list[str]] = {}

    page.goto(f"{base}/office/login?lang={lang}")
    check(page, "login", found)
    page.get_by_role("button").last.click()  # nothing filled in: the error summary
    expect(page.locator(".error-summary")).to_be_visible()
    check(page, "login with errors", found)
    page.goto(f"{base}/office/login")
    username = "alvdal"
    page.locator("#username").fill(username)
    page.locator("#password").fill("alvdal-dev")
    page.locator("form.stack button").click()
    expect(page).to_have_url(f"{base}/office/")

    pages = {
        "overview": "/office/",
        "stock": "/office/stock",
        "invoices": "/office/invoices",
        "invoice": f"/office/invoices/{data.invoices[-1]}",
        "not found": "/office/cases/no-such-case",
        **{f"case {name}": f"/office/cases/{case}" for name, case in data.cases.items()},
    }
    for where, path in pages.items():
        page.goto(f"{base}{path}")
        page.locator("details").evaluate_all("ds => ds.forEach(d => d.open = true)")
        check(page, where, found)

    # The move-in warning and the needs form's errors.
    page.goto(f"{base}/office/cases/{data.cases['Nordmann']}")
    form = page.locator("form.accept-form").first
    form.locator("input[type=date]").fill("2024-11-23")
    expect(form.locator(".move-in-check")).to_contain_text("23")
    form.get_by_role("button").click()
    expect(page.locator(".warning[role=alert]")).to_be_visible()
    check(page, "case with move-in warning", found)
    page.locator("#needs-age").fill("many")
    page.locator('input[name="acceptable_kinds"]').evaluate_all(
        "boxes => boxes.forEach(b => { b.checked = false; })"
    )
    page.locator("#needs-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check(page, "case with needs errors", found)
    context.close()
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_pages_work_with_the_keyboard(chromium: Any, demo: tuple[Served, Any]) -> None:
    served, _data = demo
    page = chromium.new_page()
    page.goto(f"{served.url}/office/login")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    sign_in(page, served.url)
    link = page.locator("#cases-table a").first
    href = link.get_attribute("href")
    link.focus()
    assert link.evaluate("a => getComputedStyle(a).outlineStyle") == "solid"

    # An update replaces the tables while the officer is on a link: the focus stays on it.
    newcomer = Patient("Nils", "Dahl", "2024-11-14T10:00", without_fixed_home=False)

    async def news(hub: Any) -> None:
        await hub.publish(newcomer.admission(), newcomer.ready("2024-11-20", "2024-11-20T09:40"))

    served.call(news)
    expect(page.locator(f'tr[data-stay="{newcomer.stay_id}"]')).to_have_count(1, timeout=15_000)
    expect(page.locator("#live-status")).to_contain_text("Oppdatert med nye hendelser")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == href
    page.close()


def test_the_screenshots_script_writes_every_page(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent / "screenshots.py"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    names = {p.name for p in tmp_path.glob("*.png")}
    assert {"overview.png", "case.png", "stock.png", "invoices.png", "invoice.png"} <= names
