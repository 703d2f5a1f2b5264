"""An officer's morning in the browser: sign in, see the discharge-ready patient's clock and
kroner, open the case, accept the proposal with a Friday move-in (warned first), and watch the
answer reach the hospital and the clock stop without reloading; another municipality's officer
never sees the patient.

Monday 8 April 2024, 10:00 (Oslo): Roland Gundersen, without a fixed home, was reported ready for
discharge this morning; Alvdal has a free temporary room.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from office_harness import ALVDAL, Served, ok
from office_scenario import one_waiting_patient
from playwright.sync_api import Page, expect

NBSP = "\u00a0"


@pytest.fixture
def office(tmp_path: Path, hospital: Any) -> Iterator[Any]:
    served = Served(
        tmp_path,
        now="2024-04-08T10:00",
        deliver=True,
        hospital_endpoint=hospital.endpoint,
        poll_seconds=1,
    ).start()
    try:
        story = served.call(one_waiting_patient)

        async def run_matching(hub: Any) -> None:
            async with hub.api(ALVDAL) as api:
                ok(await api.post("/v1/matching/run"), 201)

        served.call(run_matching)
        yield served, story
    finally:
        served.stop()


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/office/")
    expect(page).to_have_url(re.compile(r"/office/login\?next="))
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()
    expect(page).to_have_url(f"{base}/office/")


def test_an_officer_houses_a_discharge_ready_patient(
    chromium: Any, office: Any, hospital: Any
) -> None:
    served, story = office
    roland = story["roland"]
    ref = roland.stay_id.replace("-", "")[:8]
    context = chromium.new_context(locale="nb-NO")
    page = context.new_page()
    sign_in(page, served.url, "alvdal", "alvdal-dev")

    # The overview: Roland's clock has run one day (today), kr 5 745 so far and per day.
    row = page.locator(f'#clocks-table tr[data-stay="{roland.stay_id}"]')
    expect(row.locator('[data-col="days"]')).to_have_text("1")
    expect(row.locator('[data-col="amount"]')).to_have_text(f"kr{NBSP}5{NBSP}745")
    expect(row.locator('[data-col="rate"]')).to_have_text(f"kr{NBSP}5{NBSP}745")
    expect(row).to_contain_text("R. G.")
    expect(page.locator("main")).not_to_contain_text("Gundersen")  # lists are pseudonymous

    # The case: the name and number, the proposal and its explanation.
    row.get_by_role("link", name=f"Åpne saken for opphold {ref}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Boligsak: Roland Gundersen")
    expect(page.locator('[data-field="patient-id"]')).to_have_text(roland.patient_id)
    proposal = page.locator("article.proposal").first
    expect(proposal).to_contain_text("Akuttbolig Steinvegen")
    expect(proposal.locator(".explanation")).to_contain_text("foreslås til")

    # A Friday move-in: warned first (and the warning has the focus), then confirmed.
    move_in = proposal.get_by_label("Innflyttingsdato")
    move_in.fill("2024-04-12")
    expect(proposal.locator(".move-in-check")).to_contain_text("12.04.2024 er en fredag")
    proposal.get_by_role("button", name="Godta og send svar til sykehuset").click()
    warning = page.locator(".warning[role=alert]")
    expect(warning).to_contain_text("12.04.2024 er en fredag")
    expect(warning).to_be_focused()
    page.get_by_role("button", name="Godta likevel med innflytting fredag 12.04.2024").click()
    expect(page.locator(".flash")).to_contain_text("Forslaget er godtatt")

    # Without a reload: the hospital's AppRec comes back and billing stops the clock on Friday.
    answer = page.locator("#answers-table tbody tr").first
    expect(answer.locator("th")).to_have_text("KAN-MOTTA: 2024-04-12")
    expect(answer.locator('[data-col="delivery"]')).to_have_text("Levert", timeout=20_000)
    expect(answer.locator('[data-col="apprec"]')).to_contain_text("OK")
    stops = page.locator('#stay-clocks [data-col="stops"]').first
    expect(stops).to_contain_text("12.04.2024", timeout=20_000)
    expect(page.locator("#live-status")).to_contain_text("Oppdatert med nye hendelser")
    assert len(hospital.received) == 1
    assert b"KAN-MOTTA: 2024-04-12" in hospital.received[0].body

    # The overview agrees: the clock still runs today and stops on Friday.
    page.get_by_role("link", name="Oversikt").click()
    expect(row.locator('[data-col="stops"]')).to_have_text("12.04.2024")
    case_url = f"{served.url}/office/cases/{story['case_id']}"
    context.close()

    # Testkommune Nord's officer: not on the overview, and the case is not found.
    other = chromium.new_context(locale="nb-NO")
    page = other.new_page()
    sign_in(page, served.url, "nord", "nord-dev")
    expect(page.locator(f'tr[data-stay="{story["eva"].stay_id}"]')).to_have_count(1)
    expect(page.locator(f'tr[data-stay="{roland.stay_id}"]')).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(ref)
    response = page.goto(case_url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Fant ikke siden")
    expect(page.locator("main")).not_to_contain_text("Gundersen")
    other.close()
