"""The housing office's web pages at /office/: server-rendered HTML (Jinja2) with htmx for the
parts that update by themselves. No front-end build step; the pages work without JavaScript.

Every page needs a signed-in officer and shows the officer's municipality only: another
municipality's case is a 404, as in the API. Lists are pseudonymous (stay reference and
initials); a case's page shows the name and fødselsnummer, and every view of it is written to the
audit log, as are the lists (one entry per stay shown). The figures come from the same read
models as the JSON API (`housing_match.queries`) and, for payment clocks and invoices, from what
billing.v1 told the office (`office.feed`), so that a page and the API agree at the same moment.

Open pages poll every `HUB_OFFICE_POLL_SECONDS` (htmx); the server answers 204 while nothing on the
page changed, otherwise the new part, and a polite live region says that it was updated.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import jinja2
import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from housing_match import queries
from housing_match.adapters import orm
from housing_match.domain import HousingKind, Needs
from housing_match.entrypoints.views import CaseView, NeedsModel
from housing_match.office import formatting as fmt
from housing_match.office import read, timeline
from housing_match.office.billing_client import BillingClient, BillingUnavailable
from housing_match.office.i18n import LANGUAGES, translator
from housing_match.office.settings import OfficeSettings
from housing_match.office.users import OfficeUser, OfficeUsers, Session, SessionSigner, load_users
from housing_match.service import Conflict, HousingOffice, Invalid, NotFound
from hub_shared.audit import record_access
from hub_shared.auth import Caller
from hub_shared.db.uow import UnitOfWork
from hub_shared.holidays import holiday_name

log = logging.getLogger(__name__)

SOURCE = "/hub/housing-match"
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
STATIC_TYPES = {
    "office.css": "text/css; charset=utf-8",
    "office.js": "text/javascript; charset=utf-8",
    "htmx.min.js": "text/javascript; charset=utf-8",
}
SESSION_COOKIE = "hub_office_session"
LANG_COOKIE = "hub_office_lang"
PATH = "/office"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
NEED_FLAGS = (
    "needs_staffing",
    "requires_drug_free",
    "individual_plan",
    "crisis_plan",
    "day_activity",
    "heavy_needs",
    "long_treatment",
    "known_user",
    "consent_to_share",
)
RULE_FLAGS = (
    "staffed_24_7",
    "drug_free",
    "excludes_active_use",
    "requires_individual_plan",
    "requires_crisis_plan",
    "requires_day_activity",
    "requires_long_treatment",
    "no_mixing_use_and_recovery",
    "known_users_only",
)

router = APIRouter(prefix=PATH, include_in_schema=False)


# --- state ------------------------------------------------------------------------------------
@dataclass
class OfficeWeb:
    settings: OfficeSettings
    users: OfficeUsers
    signer: SessionSigner
    env: jinja2.Environment
    billing: BillingClient


@dataclass(frozen=True)
class OfficerCaller(Caller):
    """The audit log's caller for an officer: the user name beside the municipality."""

    username: str = ""

    @property
    def audit_name(self) -> str:
        return f"office:{self.username}@HER:{self.her_id}"[:60]


@dataclass(frozen=True)
class Officer:
    user: OfficeUser
    session: Session
    csrf: str

    @property
    def municipality(self) -> str:
        return self.user.municipality_her

    @property
    def caller(self) -> Caller:
        user = self.user
        return OfficerCaller(
            her_id=user.municipality_her,
            name=user.name,
            kind="municipality",
            username=user.username,
        )


def configure_office(
    app: FastAPI,
    settings: OfficeSettings | None = None,
    *,
    stay_secret: str | None = None,
    billing_transport: Any = None,
    strict: bool = True,
) -> OfficeWeb:
    """Build the office's state on the app (on the first request, or by tests with their own
    settings and a transport to billing). The development logins with a server database are a
    RuntimeError, or (`strict=False`, as on a request) no logins at all and an error in the log."""
    settings = settings or OfficeSettings()
    hub_settings = app.state.hub.settings
    users = load_users(settings.users_file)
    if users.development and not hub_settings.resolved_database_url().startswith("sqlite"):
        problem = (
            f"{settings.users_file} holds the development logins: with a server database, "
            "set HUB_OFFICE_USERS_FILE to your own users file"
        )
        if strict:
            raise RuntimeError(problem)
        log.error("office pages: no logins: %s", problem)
        users = OfficeUsers({}, {})
    secret = stay_secret or hub_settings.stay_secret.get_secret_value()
    tokens = dict(users.billing_tokens)
    tokens.update({k: v.get_secret_value() for k, v in settings.billing_tokens.items()})
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    web = OfficeWeb(
        settings=settings,
        users=users,
        signer=SessionSigner(settings.signing_key(secret), int(settings.session_hours * 3600)),
        env=env,
        billing=BillingClient(
            settings.billing_url,
            tokens,
            timeout=settings.billing_timeout_seconds,
            transport=billing_transport,
        ),
    )
    app.state.office_web = web
    return web


def _web(request: Request) -> OfficeWeb:
    web = getattr(request.app.state, "office_web", None)
    return web if web is not None else configure_office(request.app, strict=False)


def _office(request: Request) -> HousingOffice:
    return request.app.state.hub.extras["office"]


def _uow(request: Request) -> UnitOfWork:
    return request.app.state.hub.runtime.uow(source=SOURCE)


def _register(request: Request) -> Any:
    return request.app.state.hub.register


# --- rendering --------------------------------------------------------------------------------
def _lang(request: Request) -> tuple[str, bool]:
    """The page's language and whether the choice is new (a cookie to set)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    stored = request.cookies.get(LANG_COOKIE)
    return (stored if stored in LANGUAGES else "nb"), False


def _secure(request: Request, web: OfficeWeb) -> bool:
    setting = web.settings.cookie_secure.lower()
    if setting in ("true", "1", "yes"):
        return True
    if setting in ("false", "0", "no"):
        return False
    return request.url.scheme == "https"


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass
class Page:
    request: Request
    web: OfficeWeb
    lang: str
    officer: Officer | None
    set_lang: bool = False
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def t(self) -> Any:
        return translator(self.lang)

    def context(self, **more: Any) -> dict[str, Any]:
        register = _register(self.request)
        municipality_name = ""
        if self.officer is not None:
            party = register.get(self.officer.municipality)
            municipality_name = party.name if party else self.officer.municipality
        lang = self.lang
        return {
            "t": self.t,
            "lang": lang,
            "other_lang": "en" if lang == "nb" else "nb",
            "path": self.request.url.path,
            "officer": self.officer,
            "municipality_name": municipality_name,
            "poll_seconds": _poll(self.web),
            "csrf": self.officer.csrf if self.officer else "",
            "money": lambda v: fmt.money(v, lang),
            "day": lambda v: fmt.day(v, lang),
            "long_day": lambda v: fmt.long_day(v, lang),
            "moment": lambda v: fmt.moment(v, lang),
            "number": lambda v: fmt.number(v, lang),
            "month_label": lambda v: fmt.month_label(v, lang),
            "kind_name": lambda k: self.t(f"kind_{HousingKind(k).value}"),
            "end_reason_text": lambda r: timeline.end_reason(self.t, r),
            "delivery_text": lambda m: timeline.delivery(self.t, m),
            "apprec_text": lambda s: timeline.apprec_status(self.t, s),
            "concern_keys": lambda d: fmt.move_in_concerns(d, lang),
            "concern_text": lambda d, c: _concern_texts(self, d, c),
            "active": "",
            **self.values,
            **more,
        }

    def render(self, template: str, status: int = 200, **more: Any) -> HTMLResponse:
        html = self.web.env.get_template(template).render(self.context(**more))
        response = HTMLResponse(html, status_code=status)
        if self.set_lang:
            response.set_cookie(
                LANG_COOKIE,
                self.lang,
                max_age=365 * 24 * 3600,
                path=PATH,
                samesite="lax",
                secure=_secure(self.request, self.web),
            )
        return _headers(response)  # type: ignore[return-value]

    def fragment(self, template: str, **more: Any) -> str:
        return self.web.env.get_template(template).render(self.context(**more))


def _poll(web: OfficeWeb) -> int:
    return max(1, round(web.settings.poll_seconds))


def _officer(request: Request, web: OfficeWeb) -> Officer | None:
    session = web.signer.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    user = web.users.get(session.username)
    if user is None or user.municipality_her != session.municipality_her:
        return None
    return Officer(user, session, web.signer.form_token(session))


def _page(request: Request) -> Page:
    web = _web(request)
    lang, new = _lang(request)
    return Page(request, web, lang, _officer(request, web), set_lang=new)


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{PATH}/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a path of these pages: never another site (open redirect)."""
    if not target:
        return f"{PATH}/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(f"{PATH}/"):
        return f"{PATH}/"
    if "\\" in target or target.startswith("//"):
        return f"{PATH}/"
    return target


def _same_origin(request: Request) -> bool:
    """A form post from these pages: the browser's Origin (when sent) is this host."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def _audit(
    uow: UnitOfWork, officer: Officer, action: str, stays: Iterable[str], detail: str = ""
) -> None:
    """One audit entry per stay shown (or one without a stay when none is)."""
    shown = list(dict.fromkeys(s for s in stays if s))
    for stay_id in shown or [None]:
        await record_access(
            uow.session, orm.audit_log, officer.caller, action, stay_id=stay_id, detail=detail
        )


def _not_found(page: Page) -> HTMLResponse:
    return page.render("error.html", status=404, title=page.t("not_found_title"), kind="not_found")


def _forbidden(page: Page) -> HTMLResponse:
    return page.render("error.html", status=403, title=page.t("forbidden_title"), kind="forbidden")


async def _checked_form(request: Request, page: Page) -> Any | None:
    """The posted form when it came from this officer's page (CSRF token and origin)."""
    form = await request.form()
    token = form.get("csrf")
    if page.officer is None or not _same_origin(request):
        return None
    if not page.web.signer.check_form_token(page.officer.session, str(token or "")):
        return None
    return form


class NotSignedIn(Exception):
    """No valid officer session: the page answers with the way to the login (handled below)."""


class FormRefused(Exception):
    """A post without this officer's CSRF token, or from another origin: 403 (handled below)."""

    def __init__(self, page: Page) -> None:
        self.page = page


def signed_in_page(request: Request) -> Page:
    page = _page(request)
    if page.officer is None:
        raise NotSignedIn
    return page


SignedInPage = Annotated[Page, Depends(signed_in_page)]


async def posted_form(request: Request, page: SignedInPage) -> FormData:
    form = await _checked_form(request, page)
    if form is None:
        raise FormRefused(page)
    return form


PostedForm = Annotated[FormData, Depends(posted_form)]


def include_office(app: FastAPI) -> None:
    """Mount the pages at /office/ with the answers of their two dependencies' refusals."""
    app.include_router(router)
    app.add_exception_handler(NotSignedIn, lambda request, _exc: _to_login(request))
    app.add_exception_handler(FormRefused, lambda _request, exc: _forbidden(exc.page))


def _live(page: Page, template: str, url: str, **data: Any) -> tuple[Markup, str]:
    """The self-updating part of a page and its version (a hash of what it shows)."""
    inner = page.fragment(template, **data)
    version = hashlib.sha256(inner.encode()).hexdigest()[:16]
    joiner = "&" if "?" in url else "?"
    wrapper = (
        f'<div id="live-part" class="live-part" hx-get="{url}{joiner}live=1&amp;v={version}" '
        f'hx-trigger="every {_poll(page.web)}s" hx-swap="outerHTML">{inner}</div>'
    )
    return Markup(wrapper), version  # noqa: S704 - inner is rendered with autoescape


def _live_response(page: Page, part: Markup, version: str) -> Response:
    """204 while nothing changed; else the new part and a word to the live region."""
    if page.request.query_params.get("v") == version:
        return _headers(Response(status_code=204))
    now = _office(page.request).now()
    status = page.t("live_updated", time=fmt.clock_time(now, page.lang))
    body = f'{part}<div id="live-status" hx-swap-oob="innerHTML">{Markup.escape(status)}</div>'
    return _headers(HTMLResponse(body))


def _is_live(request: Request) -> bool:
    return request.query_params.get("live") == "1" and bool(request.headers.get("hx-request"))


# --- static files -----------------------------------------------------------------------------
@router.get("/static/{name}")
async def static(name: str) -> Response:
    media_type = STATIC_TYPES.get(name)
    if media_type is None:
        return Response(status_code=404)
    body = await asyncio.to_thread((STATIC / name).read_bytes)
    return Response(
        body,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# --- login ------------------------------------------------------------------------------------
@router.get("/login")
async def login_page(request: Request) -> Response:
    page = _page(request)
    if page.officer is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    notice = "logged_out" if request.query_params.get("bye") else None
    if request.query_params.get("next"):
        notice = "session_expired"
    if not page.web.users.users:
        notice = "no_logins"
    return page.render(
        "login.html",
        title=page.t("login_title"),
        next=_safe_next(request.query_params.get("next")),
        username="",
        errors={},
        notice=notice,
    )


@router.post("/login")
async def login(request: Request) -> Response:
    page = _page(request)
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "login_missing_username"
    if not password:
        errors["password"] = "login_missing_password"  # noqa: S105 - a text key
    user = None
    if not errors and _same_origin(request):
        user = await asyncio.to_thread(page.web.users.authenticate, username, password)
        if user is None:
            errors["username"] = "login_failed"
    elif not errors:
        errors["username"] = "login_failed"
    if user is None:
        return page.render(
            "login.html",
            status=401 if "login_failed" in errors.values() else 422,
            title=page.t("login_title"),
            next=target,
            username=username,
            errors=errors,
            notice=None,
        )
    cookie, _session = page.web.signer.issue(user)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=page.web.signer.lifetime,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request, page.web),
    )
    log.info("office login: %s for %s", user.username, user.municipality_her)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    page = _page(request)
    await _checked_form(request, page)
    response = RedirectResponse(f"{PATH}/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PATH)
    return response


# --- overview ---------------------------------------------------------------------------------
@router.get("/")
async def overview(request: Request, page: SignedInPage) -> Response:
    officer, office, register = page.officer, _office(request), _register(request)
    today = office.today()
    async with _uow(request) as uow:
        conn = uow.session
        clocks = await read.running_clocks(conn, register, officer.municipality, today)
        cases = await queries.case_summaries(
            conn, officer.municipality, ["open", "assigned"], today
        )
        extras = await read.case_extras(conn, officer.municipality, (c.case_id for c in cases))
        free = await queries.unit_views(conn, officer.municipality, today, free_only=True)
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        first = min(today - timedelta(days=89), last_month)
        series = await read.daily_costs(conn, register, officer.municipality, first, today)
        data = {
            "today": today,
            "clocks": clocks,
            "clock_total": sum((c.amount for c in clocks), Decimal(0)),
            "clock_per_day": sum((c.daily_rate or Decimal(0) for c in clocks), Decimal(0)),
            "cases": cases,
            "extras": extras,
            "free": read.free_by_kind(free, today),
            "chart": _chart(page, series[-90:]),
            "month": read.month_summary(series, today),
        }
        part, version = _live(page, "overview_live.html", f"{PATH}/", **data)
        live = _is_live(request)
        if live and request.query_params.get("v") == version:
            return _headers(Response(status_code=204))
        stays = [c.stay_id for c in clocks] + [c.stay_id for c in cases]
        await _audit(uow, officer, "office: overview", stays)
        await uow.commit()
    if live:
        return _live_response(page, part, version)
    done = request.query_params.get("done")
    return page.render(
        "overview.html",
        title=page.t("overview_title"),
        active="overview",
        live_part=part,
        today=today,
        flash=_flash(page, done, request.query_params.get("count")),
    )


def _flash(page: Page, done: str | None, count: str | None = None) -> str | None:
    messages = {
        "matching": lambda: page.t("matching_done", count=int(count or 0)),
        "needs": lambda: page.t("needs_saved"),
        "accepted": lambda: page.t("proposal_accepted"),
        "rejected": lambda: page.t("proposal_rejected"),
    }
    maker = messages.get(done or "")
    return maker() if maker else None


def _chart(page: Page, series: list[read.DayCost]) -> dict[str, Any]:
    """An SVG bar chart of the daily cost (geometry here, drawing in the template)."""
    width, height, left, bottom, top = 720, 240, 84, 28, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((d.amount for d in series), default=Decimal(0))
    scale_max = _nice(peak)
    step = plot_w / max(1, len(series))
    bars = []
    for i, d in enumerate(series):
        h = 0.0 if scale_max == 0 else float(d.amount / scale_max) * plot_h
        bars.append(
            {
                "x": round(left + i * step + 0.5, 2),
                "y": round(top + plot_h - h, 2),
                "w": round(max(1.0, step - 1.5), 2),
                "h": round(h, 2),
                "label": f"{fmt.day(d.day, page.lang)}: {fmt.money(d.amount, page.lang)}",
            }
        )
    ticks = []
    for k in range(5):
        value = scale_max * k / 4
        y = top + plot_h - (0 if scale_max == 0 else float(value / scale_max) * plot_h)
        ticks.append({"y": round(y, 2), "label": fmt.money(value.quantize(Decimal(1)), page.lang)})
    months = []
    for i, d in enumerate(series):
        if d.day.day == 1 or (i == 0 and d.day.day <= 20):
            months.append(
                {
                    "x": round(left + i * step, 2),
                    "label": fmt.month_name(d.day.year, d.day.month, page.lang),
                }
            )
    top_day = max(series, key=lambda d: d.amount) if series else None
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "plot_w": plot_w,
        "plot_h": plot_h,
        "base_y": top + plot_h,
        "bars": bars,
        "ticks": ticks,
        "months": months,
        "series": series,
        "first": series[0].day if series else None,
        "last": series[-1].day if series else None,
        "max": peak,
        "max_day": top_day.day if top_day else None,
        "total": sum((d.amount for d in series), Decimal(0)),
    }


def _nice(value: Decimal) -> Decimal:
    """A round upper bound for the chart's axis."""
    if value <= 0:
        return Decimal(0)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        bound = magnitude * Decimal(str(factor))
        if bound >= value:
            return bound
    return magnitude * 10


@router.post("/matching")
async def run_matching(request: Request, page: SignedInPage, form: PostedForm) -> Response:
    officer = page.officer
    office = _office(request)
    run_id = await office.run_matching(
        lambda: _uow(request), officer.municipality, officer.caller.audit_name
    )
    async with _uow(request) as uow:
        view = await queries.run_view(uow.session, officer.municipality, run_id)
        assert view is not None
        await _audit(
            uow, officer, "office: run matching", (p.stay_id for p in view.proposals), run_id
        )
        await uow.commit()
    back = _safe_next(str(form.get("back") or ""))
    joiner = "&" if "?" in back else "?"
    return RedirectResponse(
        f"{back}{joiner}done=matching&count={len(view.proposals)}", status_code=303
    )


# --- a case -----------------------------------------------------------------------------------
@dataclass
class CaseForms:
    needs: dict[str, Any] | None = None
    needs_errors: dict[str, str] = field(default_factory=dict)
    accept: dict[str, dict[str, Any]] = field(default_factory=dict)
    reject: dict[str, dict[str, Any]] = field(default_factory=dict)


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: str, page: SignedInPage) -> Response:
    return await _render_case(page, case_id, CaseForms())


async def _render_case(page: Page, case_id: str, forms: CaseForms, status: int = 200) -> Response:
    request, officer = page.request, page.officer
    assert officer is not None
    office = _office(request)
    today = office.today()
    async with _uow(request) as uow:
        conn = uow.session
        case = await queries.case_view(conn, officer.municipality, case_id, today)
        if case is None:
            return _not_found(page)
        patient = await read.case_patient(conn, officer.municipality, case_id)
        stay = await read.stay_row(conn, case.stay_id)
        events = await read.stay_events(conn, case.stay_id)
        clocks = await read.stay_clocks(conn, case.stay_id, today)
        sites, units = await _names(conn, case)
        entries = timeline.build(page.t, page.lang, case, events, stay, sites, units)
        live_data = {
            "case": case,
            "clocks": clocks,
            "entries": entries,
            "sites": sites,
            "units": units,
            "today": today,
        }
        part, version = _live(page, "case_live.html", f"{PATH}/cases/{case_id}", **live_data)
        live = _is_live(request)
        if live and request.query_params.get("v") == version:
            return _headers(Response(status_code=204))
        action = "office: case updates" if live else "office: view case (name, fødselsnummer)"
        await _audit(uow, officer, action, [case.stay_id], case_id)
        await uow.commit()
    if live:
        return _live_response(page, part, version)
    hospital = _register(request).get(case.hospital_her)
    needs = forms.needs if forms.needs is not None else _needs_values(case)
    proposals = [p for p in case.proposals if p.status == "proposed"]
    earlier = [p for p in case.proposals if p.status != "proposed"]
    name = " ".join(x for x in (patient.given_name, patient.family_name) if x) if patient else ""
    with_forms = {p.proposal_id for p in proposals} if case.status == "open" else set()
    decided = [
        state["error"]
        for pid, state in (*forms.accept.items(), *forms.reject.items())
        if state.get("error") and pid not in with_forms
    ]
    return page.render(
        "case.html",
        status=status,
        title=page.t("case_title", ref=fmt.short_ref(case.stay_id)),
        active="overview",
        case=case,
        patient=patient,
        patient_name=name or page.t("case_unnamed"),
        hospital_name=hospital.name if hospital else case.hospital_her,
        live_part=part,
        proposals=proposals,
        earlier=earlier,
        decision_errors=decided,
        sites=sites,
        units=units,
        needs=needs,
        needs_errors=forms.needs_errors,
        accept=forms.accept,
        reject=forms.reject,
        kinds=list(HousingKind),
        need_flags=NEED_FLAGS,
        today=today,
        flash=_flash(page, request.query_params.get("done"), request.query_params.get("count")),
    )


async def _names(conn: Any, case: CaseView) -> tuple[dict[str, str], dict[str, str]]:
    site_ids = {a.site_id for a in case.assignments} | {p.site_id for p in case.proposals}
    unit_ids = {a.unit_id for a in case.assignments} | {p.unit_id for p in case.proposals}
    sites, units = {}, {}
    if site_ids:
        query = sa.select(orm.sites.c.site_id, orm.sites.c.name).where(
            orm.sites.c.site_id.in_(site_ids)
        )
        sites = {r.site_id: r.name for r in await conn.execute(query)}
    if unit_ids:
        query = sa.select(orm.units.c.unit_id, orm.units.c.label).where(
            orm.units.c.unit_id.in_(unit_ids)
        )
        units = {r.unit_id: r.label for r in await conn.execute(query)}
    return sites, units


def _needs_values(case: CaseView) -> dict[str, Any]:
    if case.needs is None:
        return {"acceptable_kinds": [], "age": "", "use": "", "wished_district": ""}
    needs = case.needs.model_dump()
    use = "active_use" if needs["active_use"] else "in_recovery" if needs["in_recovery"] else ""
    return {
        **needs,
        "acceptable_kinds": [HousingKind(k).value for k in needs["acceptable_kinds"]],
        "age": str(needs["age"]),
        "use": use,
        "wished_district": needs.get("wished_district") or "",
    }


def _concern_texts(page: Page, day: date, concerns: list[str]) -> list[str]:
    texts = []
    for concern in concerns:
        if concern == "holiday":
            name = holiday_name(day, page.lang) or ""
            texts.append(page.t("concern_holiday", day=fmt.day(day, page.lang), name=name))
        else:
            texts.append(
                page.t(
                    f"concern_{concern}",
                    day=fmt.day(day, page.lang),
                    weekday=fmt.weekday(day, page.lang),
                )
            )
    return texts


@router.post("/cases/{case_id}/needs")
async def save_needs(
    request: Request, case_id: str, page: SignedInPage, form: PostedForm
) -> Response:
    officer = page.officer
    values, errors, needs = _parse_needs(form)
    if needs is not None:
        try:
            async with _uow(request) as uow:
                await _office(request).record_needs(uow, officer.municipality, case_id, needs)
        except NotFound:
            return _not_found(page)
        except Conflict:
            errors["form"] = "case_closed_no_edit"
        else:
            async with _uow(request) as uow:
                stays = await _stays_of_case(uow, case_id)
                await _audit(uow, officer, "office: record needs", stays, case_id)
                await uow.commit()
            return RedirectResponse(f"{PATH}/cases/{case_id}?done=needs#needs", status_code=303)
    return await _render_case(page, case_id, CaseForms(needs=values, needs_errors=errors), 422)


def _parse_needs(form: Any) -> tuple[dict[str, Any], dict[str, str], Needs | None]:
    kinds = [k for k in form.getlist("acceptable_kinds") if k in {h.value for h in HousingKind}]
    age_text = str(form.get("age") or "").strip()
    use = str(form.get("use") or "")
    district = str(form.get("wished_district") or "").strip()
    values: dict[str, Any] = {
        "acceptable_kinds": kinds,
        "age": age_text,
        "use": use if use in ("active_use", "in_recovery") else "",
        "wished_district": district,
        **{flag: form.get(flag) == "on" for flag in NEED_FLAGS},
    }
    errors: dict[str, str] = {}
    if not kinds:
        errors["acceptable_kinds"] = "needs_kinds_required"
    try:
        age = int(age_text)
        if not 0 <= age <= 130:
            raise ValueError(age)
    except ValueError:
        errors["age"] = "needs_age_invalid"
        age = 0
    if len(district) > 120:
        errors["wished_district"] = "needs_district_long"
    if errors:
        return values, errors, None
    model = NeedsModel(
        acceptable_kinds=[HousingKind(k) for k in kinds],
        age=age,
        active_use=values["use"] == "active_use",
        in_recovery=values["use"] == "in_recovery",
        wished_district=district or None,
        **{flag: values[flag] for flag in NEED_FLAGS},
    )
    return values, errors, model.to_domain()


async def _stays_of_case(uow: UnitOfWork, case_id: str) -> list[str]:
    query = sa.select(orm.cases.c.stay_id).where(orm.cases.c.case_id == case_id)
    return list((await uow.session.execute(query)).scalars())


def _parse_day(text: str) -> date | None:
    """A date as the date field sends it (2024-04-12) or as people write it (12.04.2024)."""
    text = text.strip()
    for parse in (date.fromisoformat, lambda s: datetime.strptime(s, "%d.%m.%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


@router.get("/move-in-check")
async def move_in_check(request: Request, page: SignedInPage) -> Response:
    """htmx: what the accept form says about a move-in day while the officer picks it."""
    day = _parse_day(request.query_params.get("move_in", ""))
    concerns = fmt.move_in_concerns(day, page.lang) if day else []
    html = page.fragment(
        "move_in_check.html",
        day_value=day,
        concerns=_concern_texts(page, day, concerns) if day else [],
        invalid=day is None,
    )
    return _headers(HTMLResponse(html))


@router.post("/proposals/{proposal_id}/accept")
async def accept(
    request: Request, proposal_id: str, page: SignedInPage, form: PostedForm
) -> Response:
    officer, office = page.officer, _office(request)
    async with _uow(request) as uow:
        proposal = await queries.proposal_by_id(uow.session, officer.municipality, proposal_id)
    if proposal is None:
        return _not_found(page)
    text = str(form.get("move_in") or "")
    day = _parse_day(text)
    state: dict[str, Any] = {"move_in": day.isoformat() if day else text}
    if day is None:
        state["error"] = "move_in_invalid"
    elif day < office.today():
        state["error"] = "move_in_past"
    elif proposal.status != "proposed":
        state["error"] = "proposal_decided"
    else:
        concerns = fmt.move_in_concerns(day, page.lang)
        if concerns and form.get("confirm") != day.isoformat():
            state.update(concerns=concerns, day=day)
        else:
            try:
                async with _uow(request) as uow:
                    await office.accept(
                        uow, officer.municipality, proposal_id, day, officer.caller.audit_name
                    )
            except NotFound:
                return _not_found(page)
            except Invalid as exc:
                state.update(error="move_in_unavailable", detail=str(exc))
            except Conflict as exc:
                state.update(error="proposal_conflict", detail=str(exc))
            else:
                async with _uow(request) as uow:
                    await _audit(
                        uow, officer, "office: accept proposal", [proposal.stay_id], proposal_id
                    )
                    await uow.commit()
                return RedirectResponse(
                    f"{PATH}/cases/{proposal.case_id}?done=accepted", status_code=303
                )
    status = 200 if "concerns" in state else 422
    return await _render_case(
        page, proposal.case_id, CaseForms(accept={proposal_id: state}), status
    )


@router.post("/proposals/{proposal_id}/reject")
async def reject(
    request: Request, proposal_id: str, page: SignedInPage, form: PostedForm
) -> Response:
    officer = page.officer
    async with _uow(request) as uow:
        proposal = await queries.proposal_by_id(uow.session, officer.municipality, proposal_id)
    if proposal is None:
        return _not_found(page)
    reason = str(form.get("reason") or "").strip()
    state: dict[str, Any] = {"reason": reason}
    if not reason:
        state["error"] = "reason_required"
    else:
        try:
            async with _uow(request) as uow:
                await _office(request).reject(
                    uow, officer.municipality, proposal_id, reason[:2000], officer.caller.audit_name
                )
        except Conflict:
            state["error"] = "proposal_decided"
        else:
            async with _uow(request) as uow:
                await _audit(
                    uow, officer, "office: reject proposal", [proposal.stay_id], proposal_id
                )
                await uow.commit()
            return RedirectResponse(
                f"{PATH}/cases/{proposal.case_id}?done=rejected", status_code=303
            )
    return await _render_case(page, proposal.case_id, CaseForms(reject={proposal_id: state}), 422)


# --- housing stock ----------------------------------------------------------------------------
@router.get("/stock")
async def stock(request: Request, page: SignedInPage) -> Response:
    officer, today = page.officer, _office(request).today()
    async with _uow(request) as uow:
        conn = uow.session
        sites = await queries.site_views(conn, officer.municipality, today)
        units = await queries.unit_views(conn, officer.municipality, today)
        by_site, movements, shown = await read.stock_details(
            conn, officer.municipality, units, today
        )
        data = {
            "sites": sites,
            "by_site": by_site,
            "movements": movements,
            "today": today,
            "site_rules": lambda s: _site_rules(page, s),
        }
        part, version = _live(page, "stock_live.html", f"{PATH}/stock", **data)
        live = _is_live(request)
        if live and request.query_params.get("v") == version:
            return _headers(Response(status_code=204))
        await _audit(uow, officer, "office: view stock", shown)
        await uow.commit()
    if live:
        return _live_response(page, part, version)
    return page.render("stock.html", title=page.t("stock_title"), active="stock", live_part=part)


def _site_rules(page: Page, site: Any) -> list[str]:
    rules = site.rules
    found = [page.t(f"rule_{flag}") for flag in RULE_FLAGS if getattr(rules, flag)]
    if rules.min_age:
        found.append(page.t("rule_min_age", value=rules.min_age))
    if rules.max_heavy_needs is not None:
        found.append(page.t("rule_max_heavy_needs", value=rules.max_heavy_needs))
    if rules.max_units is not None:
        found.append(page.t("rule_max_units", value=rules.max_units))
    return found


# --- invoices ---------------------------------------------------------------------------------
@router.get("/invoices")
async def invoices(request: Request, page: SignedInPage) -> Response:
    officer, register = page.officer, _register(request)
    async with _uow(request) as uow:
        rows = await read.invoices(uow.session, register, officer.municipality)
    trusts = {r.hospital_trust: _party_name(register, r.hospital_trust) for r in rows}
    part, version = _live(page, "invoices_live.html", f"{PATH}/invoices", rows=rows, trusts=trusts)
    if _is_live(request):
        return _live_response(page, part, version)
    return page.render(
        "invoices.html", title=page.t("invoices_title"), active="invoices", live_part=part
    )


def _party_name(register: Any, her_id: str) -> str:
    party = register.get(her_id)
    return party.name if party else her_id


@router.get("/invoices/{invoice_id}")
async def invoice_page(request: Request, invoice_id: str, page: SignedInPage) -> Response:
    officer, register = page.officer, _register(request)
    async with _uow(request) as uow:
        row = await read.invoice(uow.session, register, officer.municipality, invoice_id)
    if row is None:
        return _not_found(page)
    lines: list[dict[str, Any]] | None = None
    try:
        document = await page.web.billing.invoice(officer.municipality, invoice_id)
        lines = document.get("lines", [])
    except BillingUnavailable as exc:
        log.warning("invoice %s: billing unavailable (%s)", invoice_id, exc)
    if lines:
        async with _uow(request) as uow:
            stays = [str(line.get("stay_ref")) for line in lines]
            await _audit(uow, officer, "office: view invoice lines", stays, invoice_id)
            await uow.commit()
    return page.render(
        "invoice.html",
        title=page.t("invoice_title", id=invoice_id),
        active="invoices",
        invoice=row,
        trust=_party_name(register, row.hospital_trust),
        lines=lines,
        parse_day=_iso_day,
        money_of=lambda v: fmt.money(Decimal(str(v)), page.lang) if v is not None else "–",
        end_reason=lambda r: timeline.end_reason(page.t, r),
        short_ref=fmt.short_ref,
    )


def _iso_day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


@router.get("/invoices/{invoice_id}/{fmt_name}")
async def invoice_download(
    request: Request, invoice_id: str, fmt_name: str, page: SignedInPage
) -> Response:
    if fmt_name not in ("csv", "ehf"):
        return _not_found(page)
    officer, register = page.officer, _register(request)
    async with _uow(request) as uow:
        row = await read.invoice(uow.session, register, officer.municipality, invoice_id)
    if row is None:
        return _not_found(page)
    try:
        document = await page.web.billing.document(officer.municipality, invoice_id, fmt_name)
    except BillingUnavailable:
        return page.render(
            "error.html", status=502, title=page.t("lines_heading"), kind="billing_unavailable"
        )
    return Response(
        document.body,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
