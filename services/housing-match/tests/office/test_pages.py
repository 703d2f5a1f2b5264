"""The office's pages against the JSON APIs: the same figures at the same moment, each officer's
municipality only, Norwegian forms, the move-in day's warnings, and the audit log.

The clock stands at Monday 8 April 2024, 10:00 (Oslo) unless a test moves it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from office_harness import (
    ALVDAL,
    NORD,
    OfficeHub,
    Patient,
    case_id_of,
    needs,
    ok,
    site,
    tenant,
    unit,
)
from office_pages import cells, money, norwegian_day, number, page, raw, row_order, text
from office_scenario import one_waiting_patient

from housing_match.adapters import orm

NBSP = "\u00a0"


@pytest.fixture
async def story(hub: OfficeHub) -> dict[str, Any]:
    """Roland (no fixed home, ready this morning, needs recorded), Ola (fixed home, ready since
    Wednesday: no case), Marte (admitted, not ready), Alvdal's stock; Eva is Testkommune Nord's."""
    found = await one_waiting_patient(hub)
    ola = Patient("Ola", "Hansen", "2024-04-01T08:00", without_fixed_home=False)
    marte = Patient("Marte", "Solberg", "2024-04-05T12:00")
    await hub.publish(ola.admission(), ola.ready("2024-04-03", "2024-04-03T11:00"))
    await hub.publish(marte.admission())
    async with hub.api(ALVDAL) as api:
        staffed = await site(api, "staffed", "Sentrum bofellesskap", "Sentrum")
        first = await unit(api, staffed, "Leilighet 1")
        await unit(api, staffed, "Leilighet 2")
        await tenant(api, first, "2023-01-02")
        hf = await site(api, "housing_first", "Nyvegen", "Sør")
        await unit(api, hf, "12 A")
        marte_case = await case_id_of(api, marte.stay_id)
        ok(await api.patch(f"/v1/cases/{marte_case}", json={"expected_discharge_on": "2024-04-20"}))
        ok(await api.post("/v1/matching/run"), 201)
    async with hub.api(NORD) as api:
        nord_site = await site(api, "temporary", "Nord akuttbolig", "Nord")
        await unit(api, nord_site, "Rom A")
        eva_case = await case_id_of(api, found["eva"].stay_id)
        ok(await api.put(f"/v1/cases/{eva_case}/needs", json=needs(acceptable_kinds=["temporary"])))
    return {**found, "ola": ola, "marte": marte, "marte_case": marte_case, "eva_case": eva_case}


async def proposal_of(hub: OfficeHub, case_id: str) -> dict[str, Any]:
    async with hub.api(ALVDAL) as api:
        found = [p for p in ok(await api.get("/v1/proposals")) if p["case_id"] == case_id]
    assert len(found) == 1, found
    return found[0]


def token(doc: Any) -> str:
    return doc.xpath('//input[@name="csrf"]/@value')[0]


# --- the same figures as the APIs -------------------------------------------------------------
async def assert_overview_equals_the_apis(hub: OfficeHub, officer: httpx.AsyncClient) -> Any:
    doc = page(await officer.get("/office/"))
    async with hub.billing_api(ALVDAL) as billing:
        clocks = ok(await billing.get("/v1/clocks", params={"municipality": ALVDAL}))
    shown = cells(doc, "clocks-table", "stay")
    assert set(shown) == {c["stay_ref"] for c in clocks["clocks"]}
    for clock in clocks["clocks"]:
        row = shown[clock["stay_ref"]]
        assert number(row["days"]) == clock["days"]
        assert money(row["amount"]) == Decimal(clock["amount"])
        assert money(row["rate"]) == Decimal(clock["daily_rate"])
        assert norwegian_day(row["since"]).isoformat() == clock["since"]
        stops = clock["stops_on"]
        assert (
            (row["stops"] == "–")
            if stops is None
            else norwegian_day(row["stops"]).isoformat() == stops
        )
    total = raw(doc.xpath('//dd[@data-figure="clock-total"]')[0])
    assert money(total) == Decimal(clocks["total_amount"])
    assert int(text(doc.xpath('//dd[@data-figure="clock-count"]')[0])) == len(clocks["clocks"])
    amounts = [money(shown[s]["amount"]) for s in row_order(doc, "clocks-table", "stay")]
    assert amounts == sorted(amounts, reverse=True)  # the costliest first

    async with hub.api(ALVDAL) as api:
        cases = ok(await api.get("/v1/cases"))
        free = ok(await api.get("/v1/units", params={"free": "true"}))
    assert row_order(doc, "cases-table", "case") == [c["case_id"] for c in cases]  # urgency order
    shown_cases = cells(doc, "cases-table", "case")
    for case in cases:
        row = shown_cases[case["case_id"]]
        assert number(row["clock_days"]) == case["clock_days"]
        ready = case["clock_started_on"]
        assert (
            (row["ready"] == "–")
            if ready is None
            else norwegian_day(row["ready"]).isoformat() == ready
        )
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for u in free:
        by_kind.setdefault(u["kind"], []).append(u)
    shown_free = cells(doc, "free-table", "kind")
    assert set(shown_free) == set(by_kind)
    for kind, units in by_kind.items():
        assert number(shown_free[kind]["units"]) == len(units)
        assert number(shown_free[kind]["places"]) == sum(u["free_places"] for u in units)
    return doc


async def test_the_overview_shows_what_the_apis_say(hub: OfficeHub, story: dict[str, Any]) -> None:
    async with hub.officer(ALVDAL) as officer:
        doc = await assert_overview_equals_the_apis(hub, officer)
    roland, ola = story["roland"], story["ola"]
    shown = cells(doc, "clocks-table", "stay")
    # Roland: ready and notified this morning, 1 day so far; Ola since Wednesday: 6 days.
    assert shown[roland.stay_id]["days"] == "1"
    assert shown[roland.stay_id]["amount"] == f"kr{NBSP}5{NBSP}745"
    assert shown[ola.stay_id]["amount"] == f"kr{NBSP}34{NBSP}470"
    assert row_order(doc, "clocks-table", "stay") == [ola.stay_id, roland.stay_id]
    # Lists are pseudonymous: stay reference and initials, never a name or a number.
    body = text(doc.xpath("//main")[0])
    assert "R. G." in body and "O. H." in body
    for patient in (roland, ola, story["marte"]):
        assert patient.family_name not in body
        assert patient.patient_id not in body
    assert "08.04.2024" in body


async def test_figures_follow_the_clock(hub: OfficeHub, story: dict[str, Any]) -> None:
    async with hub.officer(ALVDAL) as officer:
        for moment in ("2024-04-09T08:00", "2024-04-30T23:59", "2024-05-02T07:00"):
            hub.clock.set(moment)
            await assert_overview_equals_the_apis(hub, officer)


async def test_the_case_page_shows_what_the_api_says(hub: OfficeHub, story: dict[str, Any]) -> None:
    case_id = story["case_id"]
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get(f"/office/cases/{case_id}"))
    async with hub.api(ALVDAL) as api:
        case = ok(await api.get(f"/v1/cases/{case_id}"))
        proposals = [p for p in ok(await api.get("/v1/proposals")) if p["case_id"] == case_id]
    assert text(doc.xpath('//dd[@data-field="clock-days"]')[0]) == str(case["clock_days"])
    assert text(doc.xpath('//dd[@data-field="name"]')[0]) == "Roland Gundersen"
    assert text(doc.xpath('//dd[@data-field="patient-id"]')[0]) == story["roland"].patient_id
    for proposal in proposals:
        article = doc.xpath(f'//article[@data-proposal="{proposal["proposal_id"]}"]')[0]
        saved = raw(article.xpath('.//dd[@data-col="cost_saved"]')[0])
        assert money(saved) == Decimal(proposal["cost_saved"])
        assert f"({proposal['clock_days_saved']} betalingsdøgn)" in saved
        rules = article.xpath(".//table//tbody/tr")
        assert len(rules) == len(proposal["rules_checked"])
    # The stay's clock (billing's, as billing.v1 told the office) and its timeline.
    async with hub.billing_api(ALVDAL) as billing:
        clocks = ok(await billing.get("/v1/clocks", params={"municipality": ALVDAL}))
    clock = next(c for c in clocks["clocks"] if c["stay_ref"] == story["roland"].stay_id)
    period = cells(doc, "stay-clocks", "period")[clock["period_key"]]
    assert money(period["amount"]) == Decimal(clock["amount"])
    assert number(period["days"]) == clock["days"]
    timeline = text(doc.xpath('//ol[@class="timeline"]')[0])
    for title in ("Innlagt", "Boligsak åpnet", "Meldt utskrivningsklar", "Betalingsklokka startet"):
        assert title in timeline
    assert clock["period_key"] in timeline  # the § 10 notice's MsgId behind the clock


async def test_another_municipalitys_officer_sees_none_of_it(
    hub: OfficeHub, story: dict[str, Any]
) -> None:
    roland, eva = story["roland"], story["eva"]
    proposal = await proposal_of(hub, story["case_id"])
    async with hub.officer(NORD) as nord:
        assert (await nord.get(f"/office/cases/{story['case_id']}")).status_code == 404
        doc = page(await nord.get("/office/"))
        assert roland.stay_id not in (await nord.get("/office/")).text
        shown = cells(doc, "clocks-table", "stay")
        assert set(shown) == {eva.stay_id}
        token_ = token(doc)
        refused = await nord.post(
            f"/office/proposals/{proposal['proposal_id']}/accept",
            data={"csrf": token_, "move_in": "2024-04-11"},
        )
        assert refused.status_code == 404
        refused = await nord.post(
            f"/office/cases/{story['case_id']}/needs",
            data={"csrf": token_, "acceptable_kinds": "temporary", "age": "40"},
        )
        assert refused.status_code == 404
        stock = (await nord.get("/office/stock")).text
        assert "Sentrum bofellesskap" not in stock and "Nord akuttbolig" in stock
        eva_page = page(await nord.get(f"/office/cases/{story['eva_case']}"))
        assert text(eva_page.xpath('//dd[@data-field="name"]')[0]) == "Eva Strand"
    async with hub.officer(ALVDAL) as alvdal:
        assert (await alvdal.get(f"/office/cases/{story['eva_case']}")).status_code == 404
        assert eva.stay_id not in (await alvdal.get("/office/")).text
    async with hub.api(ALVDAL) as api:
        assignments = ok(await api.get("/v1/assignments", params={"status": "all"}))
    assert assignments == []


# --- decisions --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "warning"),
    [
        ("2024-04-12", "12.04.2024 er en fredag"),
        ("2024-04-13", "13.04.2024 er en lørdag"),
        ("2024-04-14", "14.04.2024 er en søndag"),
        ("2024-05-01", "01.05.2024 er en helligdag (arbeidernes dag)"),
        ("2024-05-09", "09.05.2024 er en helligdag (Kristi himmelfartsdag)"),
    ],
)
async def test_accepting_warns_of_a_friday_weekend_or_holiday_first(
    hub: OfficeHub, story: dict[str, Any], day: str, warning: str
) -> None:
    proposal = await proposal_of(hub, story["case_id"])
    action = f"/office/proposals/{proposal['proposal_id']}/accept"
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get(f"/office/cases/{story['case_id']}"))
        check = await officer.get(
            "/office/move-in-check", params={"move_in": day}, headers={"HX-Request": "true"}
        )
        assert warning in check.text
        warned = page(await officer.post(action, data={"csrf": token(doc), "move_in": day}))
        alert = warned.xpath('//div[@role="alert"][contains(@class, "warning")]')[0]
        assert warning in text(alert)
        assert alert.get("data-focus-on-load") is not None
        confirm = warned.xpath(f'//form[@action="{action}"]//button[@name="confirm"]')[0]
        assert confirm.get("value") == day
        async with hub.api(ALVDAL) as api:
            assert ok(await api.get("/v1/assignments")) == []  # nothing decided yet
        done = await officer.post(action, data={"csrf": token(doc), "move_in": day, "confirm": day})
        assert done.status_code == 303
        assert done.headers["location"] == f"/office/cases/{story['case_id']}?done=accepted"
    async with hub.api(ALVDAL) as api:
        [assignment] = ok(await api.get("/v1/assignments"))
    assert assignment["move_in"] == day
    assert assignment["friday_move_in"] is (day == "2024-04-12")
    assert assignment["decided_by"] == "office:alvdal@HER:99387"


async def test_an_ordinary_working_day_is_accepted_at_once_and_the_clock_stops(
    hub: OfficeHub, story: dict[str, Any]
) -> None:
    proposal = await proposal_of(hub, story["case_id"])
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get(f"/office/cases/{story['case_id']}"))
        check = await officer.get("/office/move-in-check", params={"move_in": "2024-04-11"})
        assert "torsdag 11.04.2024 er en vanlig virkedag" in check.text
        done = await officer.post(
            f"/office/proposals/{proposal['proposal_id']}/accept",
            data={"csrf": token(doc), "move_in": "2024-04-11"},
        )
        assert done.status_code == 303
        await hub.pump()  # HousingAssigned -> billing -> PaymentClockStopped -> the office
        case_page = page(await officer.get(done.headers["location"]))
        assert "Forslaget er godtatt" in text(case_page.xpath('//div[@class="flash"]')[0])
        answers = cells(case_page, "answers-table", "msg")
        assert [a["delivery"] for a in answers.values()] == ["Venter på levering (0 forsøk)"]
        overview = await assert_overview_equals_the_apis(hub, officer)
        roland = cells(overview, "clocks-table", "stay")[story["roland"].stay_id]
        assert roland["stops"] == "11.04.2024"
        timeline = text(case_page.xpath('//ol[@class="timeline"]')[0])
        assert "Bolig tildelt" in timeline and "Svar sendt til sykehuset" in timeline
        hub.clock.set("2024-04-12T09:00")  # the day after the move-in: no clock runs any more
        overview = await assert_overview_equals_the_apis(hub, officer)
        assert story["roland"].stay_id not in cells(overview, "clocks-table", "stay")


async def test_accept_errors_are_announced(hub: OfficeHub, story: dict[str, Any]) -> None:
    proposal = await proposal_of(hub, story["case_id"])
    action = f"/office/proposals/{proposal['proposal_id']}/accept"
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get(f"/office/cases/{story['case_id']}"))
        for day, message in (
            ("2024-04-05", "Innflyttingen kan ikke være tilbake i tid."),
            ("not a day", "Skriv datoen som dd.mm.åååå"),
        ):
            failed = page(
                await officer.post(action, data={"csrf": token(doc), "move_in": day}), 422
            )
            summary = failed.xpath('//form[@action="' + action + '"]//div[@role="alert"]')[0]
            assert message in text(summary)
            field = failed.xpath(f'//input[@id="move-in-{proposal["proposal_id"]}"]')[0]
            assert field.get("aria-invalid") == "true"
        # 11.04.2024 written the Norwegian way is understood
        done = await officer.post(action, data={"csrf": token(doc), "move_in": "11.04.2024"})
        assert done.status_code == 303
        again = page(
            await officer.post(action, data={"csrf": token(doc), "move_in": "2024-04-11"}), 422
        )
        assert "allerede behandlet" in text(again.xpath("//main")[0])


async def test_reject_needs_a_reason(hub: OfficeHub, story: dict[str, Any]) -> None:
    proposal = await proposal_of(hub, story["case_id"])
    action = f"/office/proposals/{proposal['proposal_id']}/reject"
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get(f"/office/cases/{story['case_id']}"))
        failed = page(await officer.post(action, data={"csrf": token(doc), "reason": " "}), 422)
        assert "Skriv en begrunnelse." in text(failed.xpath('//p[@role="alert"]')[0])
        done = await officer.post(action, data={"csrf": token(doc), "reason": "Ønsker Nord"})
        assert done.status_code == 303
    async with hub.api(ALVDAL) as api:
        rejected = ok(await api.get(f"/v1/proposals/{proposal['proposal_id']}"))
    assert rejected["status"] == "rejected"
    assert rejected["reason"] == "Ønsker Nord"


async def test_the_needs_form(hub: OfficeHub, story: dict[str, Any]) -> None:
    case_id = story["marte_case"]
    action = f"/office/cases/{case_id}/needs"
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get(f"/office/cases/{case_id}"))
        assert doc.xpath('//form[@id="needs-form"]//fieldset/legend')
        failed = page(await officer.post(action, data={"csrf": token(doc), "age": "old"}), 422)
        summary = failed.xpath('//div[@class="error-summary"]')[0]
        assert summary.get("role") == "alert"
        assert [text(a) for a in summary.xpath(".//a")] == [
            "Velg minst én boligtype.",
            "Skriv alderen som et helt tall mellom 0 og 130.",
        ]
        assert failed.xpath('//input[@id="needs-age"]/@aria-invalid') == ["true"]
        assert failed.xpath('//input[@id="needs-age"]/@value') == ["old"]  # kept for correction
        form = {
            "csrf": token(doc),
            "acceptable_kinds": ["housing_first", "temporary"],
            "age": "27",
            "use": "in_recovery",
            "individual_plan": "on",
            "consent_to_share": "on",
            "wished_district": "Sør",
        }
        done = await officer.post(action, data=form)
        assert done.status_code == 303
    async with hub.api(ALVDAL) as api:
        recorded = ok(await api.get(f"/v1/cases/{case_id}"))["needs"]
    assert recorded["acceptable_kinds"] == ["housing_first", "temporary"]
    assert recorded["age"] == 27
    assert recorded["in_recovery"] and not recorded["active_use"]
    assert recorded["individual_plan"] and recorded["consent_to_share"]
    assert not recorded["crisis_plan"]
    assert recorded["wished_district"] == "Sør"


# --- the audit log ----------------------------------------------------------------------------
async def test_every_view_of_a_case_is_in_the_audit_log(
    hub: OfficeHub, story: dict[str, Any]
) -> None:
    roland = story["roland"]
    before = len(await hub.audit())
    async with hub.officer(ALVDAL) as officer:
        await officer.get(f"/office/cases/{story['case_id']}")
        await officer.get(f"/office/cases/{story['case_id']}?lang=en")
    entries = (await hub.audit())[before:]
    views = [e for e in entries if e.action == "office: view case (name, fødselsnummer)"]
    assert len(views) == 2
    assert {e.stay_id for e in views} == {roland.stay_id}
    assert {e.caller for e in views} == {"office:alvdal@HER:99387"}
    assert {e.detail for e in views} == {story["case_id"]}
    for entry in entries:
        assert roland.patient_id not in f"{entry.detail}{entry.caller}{entry.action}"
    # A refused look at another municipality's case writes nothing that shows it.
    before = len(await hub.audit())
    async with hub.officer(NORD) as nord:
        await nord.get(f"/office/cases/{story['case_id']}")
    assert (await hub.audit())[before:] == []


async def test_lists_are_audited_per_stay_shown(hub: OfficeHub, story: dict[str, Any]) -> None:
    before = len(await hub.audit())
    async with hub.officer(ALVDAL) as officer:
        await officer.get("/office/")
    entries = [e for e in (await hub.audit())[before:] if e.action == "office: overview"]
    shown = {story["roland"].stay_id, story["ola"].stay_id, story["marte"].stay_id}
    assert {e.stay_id for e in entries} == shown


# --- live updates -----------------------------------------------------------------------------
async def test_open_pages_poll_and_get_only_what_changed(
    hub: OfficeHub, story: dict[str, Any]
) -> None:
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get("/office/"))
        part = doc.xpath('//div[@id="live-part"]')[0]
        assert part.get("hx-trigger") == "every 10s"
        url = part.get("hx-get")
        htmx = {"HX-Request": "true"}
        unchanged = await officer.get(url, headers=htmx)
        assert unchanged.status_code == 204
        before = len(await hub.audit())
        assert (await officer.get(url, headers=htmx)).status_code == 204
        assert len(await hub.audit()) == before  # nothing shown, nothing logged
        newcomer = Patient("Nils", "Dahl", "2024-04-04T10:00", without_fixed_home=False)
        await hub.publish(newcomer.admission(), newcomer.ready("2024-04-08", "2024-04-08T09:40"))
        changed = await officer.get(url, headers=htmx)
        assert changed.status_code == 200
        assert newcomer.stay_id in changed.text
        assert 'id="live-status" hx-swap-oob="innerHTML"' in changed.text
        assert "Oppdatert med nye hendelser" in changed.text
        new_url = page(changed).xpath('//div[@id="live-part"]/@hx-get')[0]
        assert new_url != url
        assert (await officer.get(new_url, headers=htmx)).status_code == 204


# --- invoices ---------------------------------------------------------------------------------
async def invoiced(hub: OfficeHub) -> str:
    """April 2024 invoiced by St. Olavs to Alvdal (issued in May)."""
    hub.clock.set("2024-05-02T09:00")
    async with hub.billing_api("59") as billing:
        body = {"hospital_trust": "59", "municipality_number": "3428", "month": "2024-04"}
        invoice = ok(await billing.post("/v1/invoices", json=body), 201)
    await hub.pump()
    return invoice["invoice_id"]


async def test_invoices_with_their_lines_and_files(hub: OfficeHub, story: dict[str, Any]) -> None:
    invoice_id = await invoiced(hub)
    async with hub.billing_api(ALVDAL) as billing:
        issued = ok(await billing.get(f"/v1/invoices/{invoice_id}"))
    async with hub.officer(ALVDAL) as officer:
        listing = page(await officer.get("/office/invoices"))
        row = cells(listing, "invoices-table", "invoice")[invoice_id]
        assert money(row["total"]) == Decimal(issued["total_amount"])
        detail = page(await officer.get(f"/office/invoices/{invoice_id}"))
        lines = cells(detail, "lines-table", "line")
        assert {int(k) for k in lines} == {line["line_no"] for line in issued["lines"]}
        for line in issued["lines"]:
            assert money(lines[str(line["line_no"])]["amount"]) == Decimal(line["amount"])
        csv = await officer.get(f"/office/invoices/{invoice_id}/csv")
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in csv.headers["content-disposition"]
        assert csv.text.startswith("invoice_id,")
        ehf = await officer.get(f"/office/invoices/{invoice_id}/ehf")
        assert ehf.status_code == 200
        assert b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" in ehf.content
    audit = [e for e in await hub.audit() if e.action == "office: view invoice lines"]
    assert {e.stay_id for e in audit} == {line["stay_ref"] for line in issued["lines"]}
    async with hub.officer(NORD) as nord:
        assert (await nord.get(f"/office/invoices/{invoice_id}")).status_code == 404
        assert (await nord.get(f"/office/invoices/{invoice_id}/csv")).status_code == 404
        assert invoice_id not in (await nord.get("/office/invoices")).text


async def test_the_invoice_list_stands_when_billing_is_away(
    hub: OfficeHub, story: dict[str, Any]
) -> None:
    invoice_id = await invoiced(hub)

    def away(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("billing is away", request=request)

    hub.housing_app.state.office_web.billing.transport = httpx.MockTransport(away)
    async with hub.officer(ALVDAL) as officer:
        listing = page(await officer.get("/office/invoices"))
        assert invoice_id in cells(listing, "invoices-table", "invoice")
        detail = page(await officer.get(f"/office/invoices/{invoice_id}"))
        assert "kan ikke hentes akkurat nå" in text(detail.xpath("//main")[0])
        assert (await officer.get(f"/office/invoices/{invoice_id}/csv")).status_code == 502


# --- language and structure -------------------------------------------------------------------
async def test_english_on_request_and_remembered(hub: OfficeHub, story: dict[str, Any]) -> None:
    async with hub.officer(ALVDAL) as officer:
        english = await officer.get("/office/?lang=en")
        doc = page(english)
        assert doc.get("lang") == "en"
        assert "Payment clocks running" in text(doc)
        assert f"NOK{NBSP}5,745" in english.text
        assert "hub_office_lang=en" in english.headers["set-cookie"]
        again = page(await officer.get(f"/office/cases/{story['case_id']}"))
        assert again.get("lang") == "en"
        assert page(await officer.get("/office/?lang=nb")).get("lang") == "nb"


async def test_every_page_has_the_landmarks_headings_and_table_headers(
    hub: OfficeHub, story: dict[str, Any]
) -> None:
    invoice_id = await invoiced(hub)
    paths = [
        "/office/",
        f"/office/cases/{story['case_id']}",
        f"/office/cases/{story['marte_case']}",
        "/office/stock",
        "/office/invoices",
        f"/office/invoices/{invoice_id}",
    ]
    async with hub.officer(ALVDAL) as officer:
        for lang in ("nb", "en"):
            for path in paths:
                doc = page(await officer.get(f"{path}?lang={lang}"))
                assert doc.get("lang") == lang
                assert len(doc.xpath("//h1")) == 1, path
                assert doc.xpath('//a[@class="skip-link"]/@href') == ["#main"]
                assert len(doc.xpath("//main[@id='main']")) == 1
                assert (
                    doc.xpath("//header")
                    and doc.xpath("//footer")
                    and doc.xpath("//nav/@aria-label")
                )
                for table in doc.xpath("//table"):
                    assert table.xpath("./caption"), path
                    assert all(th.get("scope") in ("col", "row") for th in table.xpath(".//th"))
                for control in doc.xpath("//input[not(@type='hidden')] | //textarea | //select"):
                    ident = control.get("id")
                    assert ident and doc.xpath(f'//label[@for="{ident}"]'), (path, ident)
                ids = doc.xpath("//@id")
                assert len(ids) == len(set(ids)), path


async def test_the_housing_stock_page(hub: OfficeHub, story: dict[str, Any]) -> None:
    async with hub.officer(ALVDAL) as officer:
        doc = page(await officer.get("/office/stock"))
    async with hub.api(ALVDAL) as api:
        sites = ok(await api.get("/v1/sites"))
    for s in sites:
        section = doc.xpath(f'//section[@data-site="{s["site_id"]}"]')[0]
        assert number(raw(section.xpath('.//dd[@data-col="free"]')[0])) == s["free_places"]
        assert number(raw(section.xpath('.//dd[@data-col="units"]')[0])) == s["units"]
    staffed = text(doc.xpath("//main")[0])
    assert "Bemannet døgnet rundt" in staffed  # the staffed site's rules
    assert "Leietaker (utenfor huben)" in staffed
    async with hub.housing_runtime.engine.connect() as conn:
        residents = (
            await conn.execute(sa.select(sa.func.count()).select_from(orm.residents))
        ).scalar()
    assert residents == 1
