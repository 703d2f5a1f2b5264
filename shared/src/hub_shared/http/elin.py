"""`POST /elin/messages`: the ELIN ingress of a service. Content errors are AppRecs (200);
only transport problems are HTTP errors: 401 no valid token, 413 too large, 415 not XML,
503 database away."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from opentelemetry import trace
from starlette.types import Receive, Scope, Send

from hub_shared.elin.codes import MESSAGE_TYPE_TEXTS
from hub_shared.http.app import ServiceState
from hub_shared.http.problems import problem
from hub_shared.http.security import unauthorized
from hub_shared.metrics import ELIN_MESSAGES, ELIN_SECONDS
from hub_shared.reception import Answer, MessageApplier, MessageReception

XML_TYPES = ("application/xml", "text/xml")
APPREC_MEDIA_TYPE = "application/xml; charset=utf-8"
PATH = "/elin/messages"

RECEPTION_KEY = "reception"
"""Where a service's `on_start` puts its `MessageReception` in `ServiceState.extras`."""
APPLIER_KEY = "applier"
"""Where a service's `on_start` puts its `MessageApplier` in `ServiceState.extras`."""


def is_xml_media_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media in XML_TYPES or (media.startswith("application/") and media.endswith("+xml"))


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes without reading them all into memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _count(answer: Answer) -> None:
    # Label values come from fixed lists only, so hostile input cannot grow the label set.
    msg_type = answer.msg_type if answer.msg_type in MESSAGE_TYPE_TEXTS else "other"
    status = "OK" if answer.accepted else "AVVIST"
    ELIN_MESSAGES.labels(msg_type, status, answer.error_codes[:40]).inc()


class ElinIngress:
    """The ingress as a plain ASGI app: one message in, its AppRec out.

    It is the hub's hottest path, so it is served without FastAPI's per-request machinery
    (dependency solving, the endpoint wrapper): about a tenth of a message's CPU. The app's
    middleware (server spans, the 503 for a database error) still wraps it, and FastAPI still
    documents it (`include_elin`)."""

    def __init__(
        self,
        reception: Callable[[Request], MessageReception],
        applier: Callable[[Request], MessageApplier],
        uow_factory: Callable[[Request], Callable],
    ) -> None:
        self.reception = reception
        self.applier = applier
        self.uow_factory = uow_factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.answer(Request(scope, receive))
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        caller = request.app.state.hub.authenticator.caller(request.headers.get("authorization"))
        if caller is None:
            return unauthorized()
        if not is_xml_media_type(request.headers.get("content-type")):
            return problem(415, "Unsupported Media Type", "Send the message as application/xml.")
        receiver = self.reception(request)
        try:
            body = await read_limited(request, receiver.max_bytes)
        except BodyTooLarge:
            return problem(
                413, "Content Too Large", f"The limit is {receiver.max_bytes} bytes per message."
            )
        with ELIN_SECONDS.time():
            answer = await receiver.receive(
                body, self.uow_factory(request), self.applier(request), caller
            )
        _count(answer)
        return Response(answer.apprec, media_type=APPREC_MEDIA_TYPE, headers=_headers(answer))


def _headers(answer: Answer) -> dict[str, str]:
    headers = {"X-AppRec-Status": "OK" if answer.accepted else "AVVIST"}
    if answer.error_codes:
        headers["X-AppRec-Errors"] = answer.error_codes
    if answer.stay_id:
        headers["X-Stay-Id"] = answer.stay_id
    if answer.duplicate:
        headers["X-Duplicate"] = "true"
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        headers["X-Trace-Id"] = format(span_context.trace_id, "032x")
    return headers


def elin_router(ingress: ElinIngress) -> APIRouter:
    """A router with the ingress route: documented by FastAPI, served by `ingress` itself."""
    router = APIRouter(tags=["ELIN"])

    @router.post(
        PATH,
        response_class=Response,
        responses={
            200: {"content": {"application/xml": {}}, "description": "The AppRec (OK or Avvist)"},
            401: {"description": "No valid bearer token"},
            413: {"description": "Body larger than the limit"},
            415: {"description": "Not an XML media type"},
            503: {"description": "Database unavailable: retry later"},
        },
    )
    async def post_message(request: Request) -> Response:
        """Take one ELIN message (MsgHead with its content) and answer with its AppRec.

        Send it as `application/xml` with `Authorization: Bearer <token>`. The MsgHead sender
        must be the authenticated party; otherwise the AppRec says so."""
        return await ingress.answer(request)

    (route,) = router.routes
    assert isinstance(route, APIRoute)
    route.app = ingress  # skip FastAPI's endpoint wrapper; `post_message` is the same answer
    return router


def include_elin(app: FastAPI, *, uow_factory: Callable[[Request], Callable]) -> None:
    """Mount `POST /elin/messages` on a service app.

    The reception and the applier need the address register, so they only exist once the app
    has started: they are looked up per request in the state extras (`RECEPTION_KEY`,
    `APPLIER_KEY`), where the service's `on_start` puts them."""
    ingress = ElinIngress(
        reception=lambda request: _state(request).extras[RECEPTION_KEY],
        applier=lambda request: _state(request).extras[APPLIER_KEY],
        uow_factory=uow_factory,
    )
    # The app's own first route rather than an included router: tried first, and dispatched
    # without an included router's extra layers.
    app.router.routes[:0] = elin_router(ingress).routes


def _state(request: Request) -> ServiceState:
    return request.app.state.hub
