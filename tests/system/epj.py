"""The hospital's own ELIN endpoint, where the hub delivers the municipality's answers: a real
loopback port (uvicorn in a thread) that reads each message with the hub's reader and answers with
an OK AppRec, as an EPJ does. The address register the hub runs with points the hospital there.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub_shared.elin.apprec import build_apprec
from hub_shared.elin.models import Party
from hub_shared.elin.reader import read_message
from hub_shared.elin.schema import load_schema
from hub_shared.paths import repo_root
from hub_shared.testing.served import ServedInThread


@dataclass
class HospitalEndpoint:
    port: int
    her_id: str = "59"
    received: list[bytes] = field(default_factory=list)
    _served: ServedInThread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/elin/messages"

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(body)
        message = read_message(
            body, schema=load_schema(), supported_types=frozenset({"DIALOG_HELSEFAGLIG"})
        )
        apprec = build_apprec(
            original=message.head,
            errors=[],
            version="1.1",
            apprec_id=uuid.uuid4(),
            gen_date=datetime.now(),
            hub=Party(her_id=self.her_id, name="ST OLAVS HOSPITAL HF"),
        )
        return Response(apprec, media_type="application/xml")

    def start(self) -> HospitalEndpoint:
        app = Starlette(routes=[Route("/elin/messages", self._receive, methods=["POST"])])
        self._served = ServedInThread(app, self.port, "hospital's endpoint")
        self._served.start()
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()


def register_with_endpoint(target: Path, her_id: str, endpoint: str) -> Path:
    """A copy of the address register in which party `her_id` receives at `endpoint`."""
    text = (repo_root() / "config" / "address-register.toml").read_text()
    block = re.compile(
        rf'(\[\[party\]\]\nher_id = "{re.escape(her_id)}"\n(?:(?!\[\[party\]\]).)*?endpoint = )"[^"]*"',
        re.DOTALL,
    )
    changed, count = block.subn(rf'\1"{endpoint}"', text)
    assert count == 1, f"party {her_id} has no endpoint in the register"
    target.write_text(changed)
    return target
