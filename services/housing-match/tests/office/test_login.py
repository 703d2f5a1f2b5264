"""Signing in: every page needs an officer; the session cookie is signed; forms carry a token."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from office_harness import ALVDAL, OfficeHub
from office_pages import page, text

from housing_match.office import configure_office
from housing_match.office.settings import OfficeSettings
from housing_match.office.users import (
    OfficeUser,
    SessionSigner,
    hash_password,
    load_users,
    verify_password,
)
from hub_shared.paths import repo_root

PAGES = [
    "/office/",
    "/office/stock",
    "/office/invoices",
    "/office/cases/x",
    "/office/invoices/x",
    "/office/invoices/x/csv",
    "/office/move-in-check?move_in=2024-04-12",
]
POSTS = (
    "/office/matching",
    "/office/proposals/x/accept",
    "/office/proposals/x/reject",
    "/office/cases/x/needs",
)


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_needs_a_signed_in_officer(hub: OfficeHub, path: str) -> None:
    async with hub.browser() as browser:
        response = await browser.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/office/login?next=%2Foffice%2F")
        # htmx polling with an expired session: to the login page, not a swap of the login form
        polled = await browser.get(path, headers={"HX-Request": "true"})
        assert polled.status_code == 401
        assert polled.headers["HX-Redirect"].startswith("/office/login")
        # the JSON API still wants its bearer token, not the cookie
        assert (await browser.get("/v1/cases")).status_code == 401


async def test_posts_need_a_signed_in_officer(hub: OfficeHub) -> None:
    async with hub.browser() as browser:
        for path in POSTS:
            response = await browser.post(path, data={"csrf": "x"})
            assert response.status_code == 303
            assert response.headers["location"].startswith("/office/login")


async def test_sign_in_and_out(hub: OfficeHub) -> None:
    async with hub.browser() as browser:
        form = page(await browser.get("/office/login?next=%2Foffice%2Fstock"))
        assert form.xpath('//input[@id="username"]/@autocomplete') == ["username"]
        assert form.xpath('//label[@for="password"]')
        response = await browser.post(
            "/office/login",
            data={"username": "Alvdal", "password": "alvdal-dev", "next": "/office/stock"},
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/office/stock"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/office" in cookie
        overview = page(await browser.get("/office/"))
        assert "Alvdal Kommune" in text(overview.xpath("//h1")[0])
        token = overview.xpath('//form[@action="/office/logout"]//input[@name="csrf"]/@value')[0]
        out = await browser.post("/office/logout", data={"csrf": token})
        assert out.headers["location"] == "/office/login?bye=1"
        assert (await browser.get("/office/")).status_code == 303


@pytest.mark.parametrize(
    ("username", "password"),
    [("alvdal", "wrong"), ("nobody", "alvdal-dev"), ("alvdal", "nord-dev"), ("nord", "alvdal-dev")],
)
async def test_a_wrong_login_is_refused_with_an_announced_error(
    hub: OfficeHub, username: str, password: str
) -> None:
    async with hub.browser() as browser:
        response = await browser.post(
            "/office/login", data={"username": username, "password": password}
        )
        doc = page(response, 401)
        summary = doc.xpath('//div[@class="error-summary"]')[0]
        assert summary.get("role") == "alert"
        assert "Feil brukernavn eller passord." in text(summary)
        assert doc.xpath('//input[@id="username"]/@aria-invalid') == ["true"]
        assert "set-cookie" not in response.headers
        assert (await browser.get("/office/")).status_code == 303


async def test_missing_fields_are_named(hub: OfficeHub) -> None:
    async with hub.browser() as browser:
        doc = page(await browser.post("/office/login", data={"username": "", "password": ""}), 422)
        errors = [text(a) for a in doc.xpath('//div[@class="error-summary"]//a')]
        assert errors == ["Skriv inn brukernavnet.", "Skriv inn passordet."]
        assert doc.xpath('//div[@class="error-summary"]//a/@href') == ["#username", "#password"]


async def test_never_redirects_off_the_office_pages(hub: OfficeHub) -> None:
    async with hub.browser() as browser:
        for target in ("https://evil.example/", "//evil.example/x", "/v1/cases", "/office\\..\\x"):
            response = await browser.post(
                "/office/login",
                data={"username": "alvdal", "password": "alvdal-dev", "next": target},
            )
            assert response.headers["location"] == "/office/", target


async def test_a_tampered_or_foreign_cookie_is_no_session(hub: OfficeHub) -> None:
    async with hub.officer(ALVDAL) as officer:
        cookie = officer.cookies.get("hub_office_session")
        assert cookie
        payload, signature = cookie.split(".")
        forged_signer = SessionSigner(b"another secret", 3600)
        user = OfficeUser("alvdal", "x", "800400", "")  # claims another municipality
        forged, _ = forged_signer.issue(user)
        for bad in (f"{payload}.{signature[:-2]}xx", forged, "garbage", ""):
            async with hub.browser() as browser:
                browser.cookies.set("hub_office_session", bad, domain="housing", path="/office")
                assert (await browser.get("/office/")).status_code == 303


async def test_forms_need_the_sessions_token(hub: OfficeHub) -> None:
    async with hub.officer(ALVDAL) as officer:
        for path in POSTS:
            refused = await officer.post(path, data={"csrf": "not-the-token"})
            assert refused.status_code == 403, path
            assert refused.headers["Content-Security-Policy"]
        doc = page(await officer.get("/office/"))
        token = doc.xpath('//form[@action="/office/matching"]//input[@name="csrf"]/@value')[0]
        foreign = await officer.post(
            "/office/matching", data={"csrf": token}, headers={"origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        done = await officer.post("/office/matching", data={"csrf": token, "back": "/office/"})
        assert done.status_code == 303
        assert done.headers["location"].startswith("/office/?done=matching")


async def test_security_headers(hub: OfficeHub) -> None:
    async with hub.officer(ALVDAL) as officer:
        response = await officer.get("/office/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        script = await officer.get("/office/static/htmx.min.js")
        assert script.status_code == 200
        assert script.text.startswith("/*! htmx 2.0.11")
        assert (await officer.get("/office/static/../settings.py")).status_code == 404


def test_passwords_are_scrypt_hashes() -> None:
    stored = hash_password("alvdal-dev")
    assert stored.startswith("scrypt$16384$8$1$")
    assert "alvdal-dev" not in stored
    assert verify_password("alvdal-dev", stored)
    assert not verify_password("alvdal-dev ", stored)
    assert not verify_password("x", None)
    assert not verify_password("x", "md5$abc")
    users = load_users(repo_root() / "config" / "office-users.toml")
    assert users.development
    assert {u.municipality_her for u in users.users.values()} == {"99387", "800400"}
    assert users.authenticate("alvdal", "alvdal-dev") is not None
    assert users.authenticate("nord", "nord-dev") is not None


def test_sessions_expire() -> None:
    signer = SessionSigner(b"k", 60)
    cookie, session = signer.issue(OfficeUser("alvdal", "A", "99387", ""), now=1000)
    assert signer.read(cookie, now=1059) == session
    assert signer.read(cookie, now=1060) is None
    assert signer.check_form_token(session, signer.form_token(session))
    assert not signer.check_form_token(session, None)
    assert time.time() > 1060


def test_the_development_logins_are_refused_with_a_server_database(tmp_path: Path) -> None:
    settings = SimpleNamespace(
        resolved_database_url=lambda: "postgresql+asyncpg://db/hub",
        stay_secret=SimpleNamespace(get_secret_value=lambda: "s"),
    )
    app = SimpleNamespace(state=SimpleNamespace(hub=SimpleNamespace(settings=settings)))
    with pytest.raises(RuntimeError, match="development logins"):
        configure_office(app, OfficeSettings())  # type: ignore[arg-type]
    # On a request: no logins at all (the login page says so), never the development ones.
    lenient = configure_office(app, OfficeSettings(), strict=False)  # type: ignore[arg-type]
    assert lenient.users.users == {}
    assert lenient.users.authenticate("alvdal", "alvdal-dev") is None
    own = tmp_path / "users.toml"
    own.write_text(
        f'[[user]]\nusername = "a"\nmunicipality_her = "99387"\npassword = "{hash_password("p")}"\n'
    )
    web = configure_office(app, OfficeSettings(users_file=own))  # type: ignore[arg-type]
    assert web.users.authenticate("a", "p") is not None
