"""billing over HTTP: running clocks, a stay's payment summary, invoices (JSON, CSV, EHF) and the
disputes of invoice lines; and the consumer of admission.v1, discharge.v1 and housing.v1.

Every endpoint needs a party's bearer token. A municipality sees its own clocks, stays and invoices
and contests lines; a hospital trust sees its own stays and invoices, issues invoices and accepts or
rejects disputes. A stay or invoice of other parties is a 404 (its existence is not told); an act
that belongs to the other party of an invoice is a 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from billing.adapters import orm
from billing.adapters.csv_export import render as render_csv
from billing.adapters.ehf import EhfDocument, EhfParty, EhfUnavailable
from billing.adapters.ehf import render as render_ehf
from billing.adapters.fact_json import export
from billing.adapters.repository import InvoiceRepository, Projection
from billing.domain.days import oslo_day
from billing.domain.invoicing import LineKind
from billing.entrypoints.views import (
    AcceptedView,
    AcceptRequest,
    ClocksView,
    ContestRequest,
    EvidenceView,
    InvoiceRequest,
    InvoiceView,
    LineView,
    RejectRequest,
    StaySearch,
    StaySummary,
    clock_view,
    evidence_view,
    invoice_view,
    line_view,
    stay_summary,
)
from billing.service import (
    CONSUMED_TOPICS,
    Billing,
    BillingConfig,
    IssuedDocument,
    MonthNotEnded,
    NotFound,
    NothingToInvoice,
    Refused,
)
from billing.settings import Settings
from hub_shared.audit import record_access
from hub_shared.auth import Caller
from hub_shared.db import stored_utc
from hub_shared.db.uow import UnitOfWork
from hub_shared.http import CurrentCaller, ServiceState, create_service_app, problem
from hub_shared.metrics import CLOCKS_RUNNING
from hub_shared.runtime import ServiceRuntime
from hub_shared.timeutil import utc_now

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"
SOURCE = "/hub/billing"
CSV = "text/csv"
XML = "application/xml"
ISSUE_ATTEMPTS = 3


class Forbidden(Exception):
    """The caller is a known party, but not the one that may do this."""


class Unprocessable(Exception):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.extra = extra


def build_runtime(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now
) -> tuple[ServiceRuntime, Billing]:
    runtime = ServiceRuntime(settings=settings, outbox_table=orm.outbox)
    billing = Billing(BillingConfig.from_settings(settings), clock=clock)
    runtime.add_consumer(
        name=settings.consumer_group,
        topics=CONSUMED_TOPICS,
        handler=billing.apply_event,
        batch_handler=billing.apply_events,
        processed=orm.processed_events,
        source=SOURCE,
    )
    return runtime, billing


def create_app(
    settings: Settings | None = None,
    *,
    background: bool = True,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """The billing app. `background=False` runs neither the relay nor the consumer (tests feed the
    consumer's records themselves); `clock` is "now" for the rules (tests fix it)."""
    settings = settings or Settings()
    built: dict[str, Billing] = {}

    def runtime_factory(s: Settings) -> ServiceRuntime:
        runtime, billing = build_runtime(s, clock=clock)
        runtime.run_background = background
        built["billing"] = billing
        return runtime

    def on_start(state: ServiceState) -> None:
        state.extras["billing"] = built["billing"]
        state.extras["refresh_metrics"] = _refresh_clock_gauge

    app = create_service_app(
        title="billing",
        settings=settings,
        build_runtime=runtime_factory,  # type: ignore[arg-type]
        migrations_dir=MIGRATIONS,
        on_start=on_start,
    )
    _problems(app)
    _routes(app)
    return app


async def _refresh_clock_gauge(state: ServiceState) -> None:
    """hub_payment_clocks_running: read from the projection when Prometheus scrapes."""
    billing: Billing = state.extras["billing"]
    async with state.runtime.uow(source=SOURCE) as uow:
        counts = await Projection(uow.session).running_counts(oslo_day(billing.clock()))
    CLOCKS_RUNNING.clear()
    for municipality, count in counts.items():
        CLOCKS_RUNNING.labels(municipality).set(count)


def _billing(request: Request) -> Billing:
    return request.app.state.hub.extras["billing"]


def _uow(request: Request) -> UnitOfWork:
    runtime: ServiceRuntime = request.app.state.hub.runtime
    return runtime.uow(source=SOURCE)


def _problems(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "Not Found", str(exc))

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        if isinstance(exc, NothingToInvoice):
            response = problem(422, "Nothing To Invoice", str(exc))
            body = json.loads(response.body)
            body["held_back"] = exc.held_back
            return JSONResponse(body, 422, media_type="application/problem+json")
        if isinstance(exc, MonthNotEnded):
            return problem(422, "Unprocessable Content", str(exc))
        return problem(409, "Conflict", str(exc))

    @app.exception_handler(Forbidden)
    async def forbidden(_request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(Unprocessable)
    async def unprocessable(_request: Request, exc: Unprocessable) -> JSONResponse:
        return problem(422, "Unprocessable Content", str(exc))


def _routes(app: FastAPI) -> None:
    @app.get("/v1/clocks", response_model=ClocksView, tags=["clocks"])
    async def clocks(
        request: Request,
        caller: CurrentCaller,
        municipality: Annotated[str, Query(description="HER-id of the municipality")],
    ) -> ClocksView:
        """The payment clocks running today for a municipality's patients: since when, how many
        days so far and how much (Europe/Oslo days, today included)."""
        billing = _billing(request)
        org = billing.config.register.organisation_id(municipality)
        if not caller.acts_for(org, municipality):
            raise Forbidden(f"Only municipality {org} sees its clocks")
        async with _uow(request) as uow:
            found = await billing.running_clocks(uow.session, org)
        views = [clock_view(c) for c in found]
        return ClocksView(
            municipality_her=org,
            as_of=billing.clock(),
            clocks=views,
            total_days=sum(c.days for c in views),
            total_amount=sum((c.amount for c in views), Decimal(0)),
        )

    @app.post("/v1/stays/search", response_model=StaySummary, tags=["stays"])
    async def search_stay(body: StaySearch, request: Request, caller: CurrentCaller) -> StaySummary:
        """A stay's payment summary, found by its key (patient, hospital, admission time). The
        admission time as first notified and as corrected since (LOG_INNLAGT M) both find it."""
        billing = _billing(request)
        try:
            async with _uow(request) as uow:
                stay_id = await billing.stay_of_key(
                    uow.session, body.patient_id, body.hospital_her, body.admitted_at
                )
        except ValueError as error:
            raise Unprocessable(str(error)) from error
        return await _summary(request, caller, stay_id, "search stay")

    @app.get("/v1/stays/{stay_id}", response_model=StaySummary, tags=["stays"])
    async def get_stay(stay_id: str, request: Request, caller: CurrentCaller) -> StaySummary:
        """A stay's payment summary by its pseudonymous id."""
        return await _summary(request, caller, stay_id, "view stay")

    @app.get("/v1/stays/{stay_id}/facts", tags=["stays"])
    async def stay_facts_export(stay_id: str, request: Request, caller: CurrentCaller) -> Any:
        """The stay's facts as stored (no patient identity), for `billing recompute --file`."""
        billing = _billing(request)
        async with _uow(request) as uow:
            report = await billing.stay_report(uow.session, stay_id)
            _visible(report, caller)
            assert report is not None
            await record_access(
                uow.session, orm.audit_log, caller, "export stay facts", stay_id=stay_id
            )
            await uow.commit()
        return JSONResponse(export(report.stay))

    async def _summary(request: Request, caller: Caller, stay_id: str, action: str) -> StaySummary:
        billing = _billing(request)
        async with _uow(request) as uow:
            report = await billing.stay_report(uow.session, stay_id)
            _visible(report, caller)
            assert report is not None
            await record_access(uow.session, orm.audit_log, caller, action, stay_id=stay_id)
            await uow.commit()
        return stay_summary(report)

    @app.post(
        "/v1/invoices",
        response_model=InvoiceView,
        status_code=201,
        tags=["invoices"],
        responses={200: {"description": "Already issued and unchanged: the same invoice"}},
    )
    async def issue_invoice(
        body: InvoiceRequest, request: Request, response: Response, caller: CurrentCaller
    ) -> InvoiceView:
        """Issue a trust's invoice to a municipality for a month that has ended.

        Idempotent: again for the same month gives the same invoice (200) unless the stays'
        facts changed since; then a correction (201): credit lines for what changed and the new
        lines, never an edit of what was issued."""
        if not caller.acts_for(body.hospital_trust):
            raise Forbidden(f"Only hospital trust {body.hospital_trust} issues its invoices")
        billing = _billing(request)
        month = date.fromisoformat(f"{body.month}-01")
        for attempt in range(1, ISSUE_ATTEMPTS + 1):
            try:
                async with _uow(request) as uow:
                    document, created = await billing.issue_invoice(
                        uow, body.hospital_trust, body.municipality_number, month
                    )
                    await uow.commit()
                break
            except IntegrityError:  # a concurrent call issued the same sequence first
                if attempt == ISSUE_ATTEMPTS:
                    raise
        if not created:
            response.status_code = 200
        response.headers["Location"] = f"/v1/invoices/{document.invoice.invoice_id}"
        return invoice_view(document)

    @app.get(
        "/v1/invoices/{invoice_id}",
        response_model=InvoiceView,
        tags=["invoices"],
        responses={
            200: {
                "content": {
                    "application/json": {},
                    CSV: {},
                    XML: {"description": "EHF (PEPPOL BIS Billing 3.0)"},
                }
            }
        },
    )
    async def get_invoice(
        invoice_id: str,
        request: Request,
        caller: CurrentCaller,
        format: Annotated[str | None, Query(pattern="^(json|csv|ehf)$")] = None,
    ) -> Any:
        """An issued document: JSON (default), CSV (`Accept: text/csv` or `?format=csv`) or EHF
        UBL 2.1 XML (`?format=ehf` or `Accept: application/xml`)."""
        chosen = format or _negotiate(request.headers.get("accept", ""))
        ehf = b""
        async with _uow(request) as uow:
            document = await _document(uow, invoice_id, caller)
            if chosen == "ehf":
                ehf = await _ehf(request, uow, document)
        if chosen == "csv":
            return Response(
                render_csv(document.lines),
                media_type=f"{CSV}; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{invoice_id}.csv"'},
            )
        if chosen == "ehf":
            return Response(ehf, media_type=XML)
        return invoice_view(document)

    @app.post(
        "/v1/invoices/{invoice_id}/lines/{line_id}/contest",
        response_model=LineView,
        tags=["disputes"],
    )
    async def contest_line(
        invoice_id: str, line_id: int, body: ContestRequest, request: Request, caller: CurrentCaller
    ) -> LineView:
        """The paying municipality contests a line, with a reason."""
        async with _uow(request) as uow:
            document = await _document(uow, invoice_id, caller)
            if not caller.acts_for(document.invoice.municipality_her):
                raise Forbidden("Only the paying municipality contests a line")
            stored = await _billing(request).contest_line(
                uow, invoice_id, line_id, body.reason, body.note, caller
            )
            await uow.commit()
        return line_view(stored)

    @app.post(
        "/v1/invoices/{invoice_id}/lines/{line_id}/accept",
        response_model=AcceptedView,
        tags=["disputes"],
    )
    async def accept_line(
        invoice_id: str,
        line_id: int,
        request: Request,
        caller: CurrentCaller,
        body: AcceptRequest | None = None,
    ) -> AcceptedView:
        """The trust accepts the municipality's dispute: a credit note credits the line."""
        async with _uow(request) as uow:
            document = await _document(uow, invoice_id, caller)
            if not caller.acts_for(document.invoice.hospital_trust):
                raise Forbidden("Only the invoicing hospital trust accepts a dispute")
            stored, credit = await _billing(request).accept_line(
                uow, invoice_id, line_id, body.resolution if body else None, caller
            )
            await uow.commit()
        return AcceptedView(line=line_view(stored), credit_note=invoice_view(credit))

    @app.post(
        "/v1/invoices/{invoice_id}/lines/{line_id}/reject",
        response_model=LineView,
        tags=["disputes"],
    )
    async def reject_line(
        invoice_id: str, line_id: int, body: RejectRequest, request: Request, caller: CurrentCaller
    ) -> LineView:
        """The trust rejects the municipality's dispute, and says why."""
        async with _uow(request) as uow:
            document = await _document(uow, invoice_id, caller)
            if not caller.acts_for(document.invoice.hospital_trust):
                raise Forbidden("Only the invoicing hospital trust rejects a dispute")
            stored = await _billing(request).reject_line(
                uow, invoice_id, line_id, body.resolution, caller
            )
            await uow.commit()
        return line_view(stored)

    @app.get(
        "/v1/invoices/{invoice_id}/lines/{line_id}/evidence",
        response_model=EvidenceView,
        tags=["disputes"],
    )
    async def line_evidence(
        invoice_id: str, line_id: int, request: Request, caller: CurrentCaller
    ) -> EvidenceView:
        """The evidence pack of a line: every message behind it (MsgId, GenDate, the hub's
        receive time), the computation step by step under the profile in force when it was
        issued, and what the same computation gives from today's facts."""
        billing = _billing(request)
        async with _uow(request) as uow:
            await _document(uow, invoice_id, caller)
            evidence = await billing.evidence(uow.session, invoice_id, line_id)
            stay = evidence["stored"].line.stay_ref
            await record_access(
                uow.session, orm.audit_log, caller, "line evidence", stay_id=stay, detail=invoice_id
            )
            await uow.commit()
        return evidence_view(evidence)


def _visible(report: Any, caller: Caller) -> None:
    if report is None:
        raise NotFound("No facts of that stay with its admission (hospital and time) yet")
    stay = report.stay
    if not caller.acts_for(stay.hospital_trust, stay.municipality_her):
        raise NotFound("No facts of that stay with its admission (hospital and time) yet")


async def _document(uow: UnitOfWork, invoice_id: str, caller: Caller) -> IssuedDocument:
    repo = InvoiceRepository(uow.session)
    invoice = await repo.invoice(invoice_id)
    if invoice is None or not caller.acts_for(invoice.hospital_trust, invoice.municipality_her):
        raise NotFound(f"No invoice {invoice_id}")
    return IssuedDocument(invoice, await repo.lines(invoice_id), json.loads(invoice.held_back))


async def _ehf(request: Request, uow: UnitOfWork, document: IssuedDocument) -> bytes:
    billing = _billing(request)
    register = billing.config.register
    invoice = document.invoice
    seller = register.get(invoice.hospital_trust)
    buyer = register.get(invoice.municipality_her)
    references: list[str] = []
    if invoice.corrects_invoice_id:
        repo = InvoiceRepository(uow.session)
        series = await repo.series(
            invoice.hospital_trust, invoice.municipality_number, invoice.month
        )
        credited = {
            s.line.credits_line_id for s in document.lines if s.line.kind is LineKind.CREDIT
        }
        earlier = [row.invoice_id for row in series if row.sequence < invoice.sequence]
        for stored in await repo.series_lines(earlier):
            if stored.line.line_id in credited and stored.invoice_id not in references:
                references.append(stored.invoice_id)
        references = references or [invoice.corrects_invoice_id]
    try:
        return render_ehf(
            EhfDocument(
                invoice_id=invoice.invoice_id,
                issued_at=stored_utc(invoice.issued_at) or billing.clock(),
                document_type=invoice.document_type,
                month=invoice.month,
                seller=EhfParty(
                    seller.name if seller else invoice.hospital_trust,
                    seller.org_number if seller else None,
                    invoice.hospital_trust,
                ),
                buyer=EhfParty(
                    buyer.name if buyer else f"Kommune {invoice.municipality_number}",
                    buyer.org_number if buyer else None,
                    invoice.municipality_her,
                ),
                lines=tuple(document.lines),
                references=tuple(references),
                payment_terms_days=billing.config.payment_terms_days,
            )
        )
    except EhfUnavailable as error:
        raise Unprocessable(f"Cannot write EHF: {error}") from error


def _negotiate(accept: str) -> str:
    lowered = accept.lower()
    if CSV in lowered:
        return "csv"
    if XML in lowered or "text/xml" in lowered:
        return "ehf"
    return "json"
