"""A hospital's ELIN endpoint for tests, where the hub delivers the municipality's answers: a real
loopback port (Starlette served by uvicorn in a thread), and the address register that sends the
hospital's messages there.

It answers each delivery as its `script` says, one step per request (the last step repeats):
"500" an HTTP 500, "timeout" no answer for longer than the sender waits, "other" an AppRec for
another message, "ok" a positive AppRec, "reject" an AppRec Avvist (X99). The AppRecs are the
hub's own `build_apprec` for the message as read by `read_message`, as an EPJ would answer.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub_shared.elin.apprec import build_apprec
from hub_shared.elin.codes import AppRecErrorCode
from hub_shared.elin.models import AppRecError, Party
from hub_shared.elin.reader import read_message
from hub_shared.elin.schema import load_schema
from hub_shared.paths import repo_root
from hub_shared.testing.served import ServedInThread

REJECTION = AppRecError(AppRecErrorCode.X99, "Pasienten er ikke innlagt ved avdelingen")


@dataclass
class Received:
    at: float
    body: bytes
    answered: str
    apprec_id: str | None = None
    traceparent: str | None = None
    authorization: str | None = None


@dataclass
class FakeHospital:
    port: int
    schema: etree.XMLSchema | None = None  # None: the ELIN schema set the hub finds
    script: list[str] = field(default_factory=lambda: ["ok"])
    her_id: str = "59"
    received: list[Received] = field(default_factory=list)
    _served: ServedInThread | None = None

    @property
    def bodies(self) -> list[bytes]:
        return [r.body for r in self.received]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/elin/messages"

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        step = self.script[min(len(self.received), len(self.script) - 1)]
        entry = Received(
            time.monotonic(),
            body,
            step,
            traceparent=request.headers.get("traceparent"),
            authorization=request.headers.get("authorization"),
        )
        self.received.append(entry)
        if step == "500":
            return Response("boom", status_code=500)
        if step == "timeout":
            await asyncio.sleep(1.0)
            return Response("too late", status_code=500)
        schema = self.schema if self.schema is not None else load_schema()
        message = read_message(
            body, schema=schema, supported_types=frozenset({"DIALOG_HELSEFAGLIG"})
        )
        head = message.head
        if step == "other":
            head = head.model_copy(update={"msg_id": str(uuid.uuid4())})
        entry.apprec_id = str(uuid.uuid4())
        apprec = build_apprec(
            original=head,
            errors=[REJECTION] if step == "reject" else [],
            version="1.1",
            apprec_id=uuid.UUID(entry.apprec_id),
            gen_date=datetime.now(),
            hub=Party(her_id=self.her_id, name="ST OLAVS HOSPITAL HF"),
        )
        return Response(apprec, media_type="application/xml")

    def start(self) -> FakeHospital:
        app = Starlette(routes=[Route("/elin/messages", self._receive, methods=["POST"])])
        self._served = ServedInThread(app, self.port, "fake hospital")
        self._served.start()
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()


def register_with_endpoint(
    target: Path, endpoint: str, *, her_id: str = "59", token_env: str | None = None
) -> Path:
    """A copy of the development address register in which party `her_id` receives at
    `endpoint` (and, with `token_env`, the hub presents the token in that variable there)."""
    text = (repo_root() / "config" / "address-register.toml").read_text()
    block = re.compile(
        rf'(\[\[party\]\]\nher_id = "{re.escape(her_id)}"\n(?:(?!\[\[party\]\]).)*?endpoint = )"[^"]*"',
        re.DOTALL,
    )
    extra = f'\nendpoint_token_env = "{token_env}"' if token_env else ""
    changed, count = block.subn(lambda m: f'{m.group(1)}"{endpoint}"{extra}', text)
    assert count == 1, f"party {her_id} has no endpoint in the register"
    target.write_text(changed)
    return target
