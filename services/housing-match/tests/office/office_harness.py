"""housing-match with its office pages and billing, both real apps, fed events without a broker.

The events a hospital's messages become (admission.v1, discharge.v1) go to housing-match's own
consumer, to the office's consumer and to billing's; `pump()` then carries what the services
published (housing.v1 to billing, billing.v1 to the office), as the broker would. Both services
run on a fixed, settable clock. Used by the server-side tests (in-process, httpx), the browser
tests and the screenshots (served by uvicorn).
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from asgi_lifespan import LifespanManager

from billing.adapters import orm as billing_orm
from billing.entrypoints.api import create_app as create_billing_app
from billing.settings import Settings as BillingSettings
from housing_match.adapters import orm
from housing_match.entrypoints.api import create_app
from housing_match.office import (
    OFFICE_CONSUMER_GROUP,
    add_office_consumer,
    configure_office,
)
from housing_match.office.settings import OfficeSettings
from housing_match.office.tables import OFFICE_TABLES
from housing_match.settings import Settings
from hub_shared.broker import free_port
from hub_shared.consumer import IdempotentConsumer
from hub_shared.events.admission import (
    AdmissionNotified,
    MessageRef,
    OrganisationRef,
    PatientRef,
)
from hub_shared.events.discharge import (
    DischargeReadyNotified,
    DischargeReadyWithdrawn,
    PatientDischarged,
    StayRef,
)
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.paths import repo_root
from hub_shared.settings import DEV_STAY_SECRET, KafkaSettings
from hub_shared.testing.hospital import register_with_endpoint
from hub_shared.testing.http import bearer
from hub_shared.testing.messages import random_person_number
from hub_shared.testing.records import record
from hub_shared.timeutil import local_to_utc

ALVDAL, NORD, ST_OLAV = "99387", "800400", "59"
LOGINS = {ALVDAL: ("alvdal", "alvdal-dev"), NORD: ("nord", "nord-dev")}
HOSPITAL = OrganisationRef(
    her_id=ST_OLAV,
    name="ST OLAVS HOSPITAL HF",
    unit_her_id="90998",
    unit_name="Ortopedisk kirurgi",
)
MUNICIPALITIES = {
    ALVDAL: OrganisationRef(
        her_id=ALVDAL,
        name="Alvdal Kommune",
        unit_her_id="800301",
        unit_name="Saksbehandler, pleie, omsorg, rehab",
        municipality_number="3428",
    ),
    NORD: OrganisationRef(her_id=NORD, name="Testkommune Nord (test)", municipality_number="5501"),
}
SOURCES = {"admission.v1": "/hub/admission-notice", "discharge.v1": "/hub/discharge-ready"}


def oslo(text: str) -> datetime:
    """An Oslo wall-clock time ("2024-04-08T09:00") as a UTC instant."""
    return local_to_utc(datetime.fromisoformat(text))


class Clock:
    """A settable "now" (UTC) shared by housing-match and billing."""

    def __init__(self, oslo_time: str) -> None:
        self.at = oslo(oslo_time)

    def __call__(self) -> datetime:
        return self.at

    def set(self, oslo_time: str) -> None:
        self.at = oslo(oslo_time)


# --- patients and their events ----------------------------------------------------------------
_RANDOM = random.Random(20261124)


@dataclass
class Patient:
    given_name: str
    family_name: str
    admitted: str = "2024-04-02T10:00"
    municipality: str = ALVDAL
    without_fixed_home: bool = True
    patient_id: str = field(default_factory=lambda: random_person_number(_RANDOM))

    @property
    def stay_id(self) -> str:
        naive = datetime.fromisoformat(self.admitted)
        return str(derive_stay_id(self.patient_id, ST_OLAV, naive, DEV_STAY_SECRET.encode()))

    @property
    def ref(self) -> PatientRef:
        return PatientRef(
            id=self.patient_id,
            id_type="FNR",
            family_name=self.family_name,
            given_name=self.given_name,
        )

    def stay(self) -> StayRef:
        return StayRef(
            patient=self.ref,
            hospital=HOSPITAL,
            municipality=MUNICIPALITIES[self.municipality],
            sector="somatic",
            admitted_at=oslo(self.admitted),
            admission_known=True,
        )

    def _wrap(self, data: EventData) -> Envelope:
        return Envelope.wrap(data, subject=self.stay_id, source=SOURCES[data.TOPIC])

    def admission(self, sent: str | None = None) -> Envelope:
        sent = sent or (datetime.fromisoformat(self.admitted) + timedelta(hours=2)).isoformat()
        return self._wrap(
            AdmissionNotified(
                stay_id=self.stay_id,
                message=message("LOG_INNLAGT", sent),
                patient=self.ref,
                hospital=HOSPITAL,
                municipality=MUNICIPALITIES[self.municipality],
                sector="somatic",
                admitted_at=oslo(self.admitted),
                without_fixed_home=self.without_fixed_home,
            )
        )

    def ready(self, ready_on: str, sent: str, msg_id: str | None = None) -> Envelope:
        return self._wrap(
            DischargeReadyNotified(
                stay_id=self.stay_id,
                message=message("LOG_UTSKRIVNINGSKLAR", sent, msg_id),
                stay=self.stay(),
                ready_on=date.fromisoformat(ready_on),
            )
        )

    def withdrawn(self, sent: str) -> Envelope:
        return self._wrap(
            DischargeReadyWithdrawn(
                stay_id=self.stay_id,
                message=message("LOG_AVMELDING", sent),
                stay=self.stay(),
                withdrawn_at=oslo(sent),
            )
        )

    def discharged(self, sent: str, died: bool = False) -> Envelope:
        return self._wrap(
            PatientDischarged(
                stay_id=self.stay_id,
                message=message("LOG_UTSKREVET", sent),
                stay=self.stay(),
                discharged_at=oslo(sent),
                died=died,
            )
        )


def message(msg_type: str, sent: str, msg_id: str | None = None) -> MessageRef:
    at = oslo(sent)
    msg_id = msg_id or str(uuid.uuid4())
    return MessageRef(
        msg_id=msg_id,
        conversation_id=msg_id,
        msg_type=msg_type,
        plo_version="1.6",
        gen_date=at,
        received_at=at + timedelta(seconds=3),
    )


# --- the two services -------------------------------------------------------------------------
@dataclass
class OfficeHub:
    housing_app: Any
    billing_app: Any
    housing_asgi: Any
    billing_asgi: Any
    clock: Clock
    housing_settings: Settings
    billing_settings: BillingSettings
    office_settings: OfficeSettings
    _seq: dict[str, int] = field(default_factory=lambda: {"housing": 0, "billing": 0})
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def housing_runtime(self) -> Any:
        return self.housing_app.state.hub.runtime

    @property
    def billing_runtime(self) -> Any:
        return self.billing_app.state.hub.runtime

    def consumer(self, name: str) -> IdempotentConsumer:
        return next(c for c in self.housing_runtime.consumers if c.name == name)

    @property
    def housing_consumer(self) -> IdempotentConsumer:
        return self.consumer(self.housing_settings.consumer_group)

    @property
    def office_consumer(self) -> IdempotentConsumer:
        return self.consumer(OFFICE_CONSUMER_GROUP)

    @property
    def billing_consumer(self) -> IdempotentConsumer:
        return self.billing_runtime.consumers[0]

    async def publish(self, *envelopes: Envelope) -> None:
        """Hospital events, as the broker would deliver them to the three consumer groups."""
        for envelope in envelopes:
            rec = record(envelope)
            await self.housing_consumer.handle_record(rec)
            await self.office_consumer.handle_record(rec)
            await self.billing_consumer.handle_record(rec)
        await self.pump()

    async def pump(self) -> int:
        """Carry what the services published until nothing new: housing.v1 to billing, billing.v1
        to the office. Returns how many events were carried."""
        async with self._lock:
            return await self._pump()

    async def _pump(self) -> int:
        moved = 0
        while True:
            found = await self._outbox("housing", self.housing_runtime, orm.outbox)
            found += await self._outbox("billing", self.billing_runtime, billing_orm.outbox)
            if not found:
                return moved
            moved += len(found)
            for topic, envelope in found:
                rec = record(envelope)
                if topic == "housing.v1":
                    await self.billing_consumer.handle_record(rec)
                elif topic == "billing.v1":
                    await self.office_consumer.handle_record(rec)

    async def _outbox(self, name: str, runtime: Any, table: sa.Table) -> list[tuple[str, Envelope]]:
        async with runtime.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table.c.seq, table.c.topic, table.c.payload)
                    .where(table.c.seq > self._seq[name])
                    .order_by(table.c.seq)
                )
            ).all()
        if rows:
            self._seq[name] = rows[-1].seq
        return [(r.topic, Envelope.model_validate_json(r.payload)) for r in rows]

    # --- clients ------------------------------------------------------------------------------
    def api(self, her_id: str = ALVDAL) -> httpx.AsyncClient:
        """housing-match's JSON API with a municipality's bearer token."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.housing_asgi),
            base_url="http://housing",
            headers=bearer(her_id),
        )

    def billing_api(self, her_id: str = ALVDAL) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.billing_asgi),
            base_url="http://billing",
            headers=bearer(her_id),
        )

    def browser(self) -> httpx.AsyncClient:
        """A client for the pages (cookies kept), not signed in."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.housing_asgi), base_url="http://housing"
        )

    @asynccontextmanager
    async def officer(self, her_id: str = ALVDAL) -> AsyncIterator[httpx.AsyncClient]:
        """A client signed in as the development officer of a municipality."""
        async with self.browser() as client:
            username, password = LOGINS[her_id]
            response = await client.post(
                "/office/login", data={"username": username, "password": password, "next": ""}
            )
            assert response.status_code == 303, response.text
            yield client

    async def audit(self) -> list[Any]:
        async with self.housing_runtime.engine.connect() as conn:
            return list(
                (await conn.execute(sa.select(orm.audit_log).order_by(orm.audit_log.c.id))).all()
            )


def settings_for(
    tmp: Path, database_url: str | None = None, **office: Any
) -> tuple[Settings, BillingSettings, OfficeSettings]:
    """housing-match on `database_url` (default: SQLite in `tmp`), billing on SQLite in `tmp`.
    With a server database, the development logins come from a copy of the users file that is
    not marked `development` (the office refuses the marked file there)."""
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1")
    database_url = database_url or f"sqlite+aiosqlite:///{tmp / 'housing.db'}"
    users = repo_root() / "config" / "office-users.toml"
    if not database_url.startswith("sqlite"):
        copy = tmp / "office-users.toml"
        copy.write_text(users.read_text().replace("development = true", "development = false"))
        users = copy
    housing = Settings(
        database_url=database_url,
        trace_dir=None,
        kafka=kafka,
        outbound_poll_seconds=0.05,
        outbound_timeout_seconds=2.0,
        outbound_backoff_seconds=0.1,
        outbound_backoff_jitter=0.0,
    )
    billing = BillingSettings(
        database_url=f"sqlite+aiosqlite:///{tmp / 'billing.db'}", trace_dir=None, kafka=kafka
    )
    office_settings = OfficeSettings(
        users_file=users,
        billing_url="http://billing",
        **office,
    )
    return housing, billing, office_settings


@asynccontextmanager
async def office_hub(
    tmp: Path,
    *,
    now: str = "2024-04-08T10:00",
    deliver: bool = False,
    database_url: str | None = None,
    hospital_endpoint: str | None = None,
    billing_transport: Any = "asgi",
    **office: Any,
) -> AsyncIterator[OfficeHub]:
    """Both apps started (migrations, no broker); the office's state configured.
    `hospital_endpoint`: St. Olavs' ELIN endpoint for the answers (a fake hospital)."""
    clock = Clock(now)
    housing, billing, office_settings = settings_for(tmp, database_url, **office)
    if hospital_endpoint is not None:
        register = register_with_endpoint(tmp / "register.toml", hospital_endpoint)
        housing = housing.model_copy(update={"register_file": register})
        billing = billing.model_copy(update={"register_file": register})
    housing_app = create_app(housing, background=False, deliver=deliver, clock=clock)
    billing_app = create_billing_app(billing, background=False, clock=clock)
    async with AsyncExitStack() as stack:
        housing_manager = await stack.enter_async_context(LifespanManager(housing_app))
        billing_manager = await stack.enter_async_context(LifespanManager(billing_app))
        runtime = housing_app.state.hub.runtime
        if not any(c.name == OFFICE_CONSUMER_GROUP for c in runtime.consumers):
            add_office_consumer(runtime, housing)
        async with runtime.engine.begin() as conn:  # until the office's migration is in place
            await conn.run_sync(lambda c: orm.metadata.create_all(c, tables=list(OFFICE_TABLES)))
        transport = (
            httpx.ASGITransport(app=billing_manager.app)
            if billing_transport == "asgi"
            else billing_transport
        )
        configure_office(housing_app, office_settings, billing_transport=transport)
        yield OfficeHub(
            housing_app,
            billing_app,
            housing_manager.app,
            billing_manager.app,
            clock,
            housing,
            billing,
            office_settings,
        )


# --- stock and decisions through the API --------------------------------------------------------
def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def site(api: httpx.AsyncClient, kind: str, name: str, district: str, **rules: Any) -> str:
    body = {"name": name, "district": district, "kind": kind, "rules": rules}
    return ok(await api.post("/v1/sites", json=body), 201)["site_id"]


async def unit(api: httpx.AsyncClient, site_id: str, label: str, capacity: int = 1) -> str:
    body = {"label": label, "capacity": capacity}
    return ok(await api.post(f"/v1/sites/{site_id}/units", json=body), 201)["unit_id"]


async def tenant(api: httpx.AsyncClient, unit_id: str, on: str, **profile: Any) -> str:
    body = {"on": on, **profile}
    return ok(await api.post(f"/v1/units/{unit_id}/move-ins", json=body), 201)["id"]


ALL_KINDS = ["housing_first", "transitional", "staffed", "temporary", "crisis_bed"]


def needs(**fields: Any) -> dict[str, Any]:
    return {
        "acceptable_kinds": ALL_KINDS,
        "age": 42,
        "individual_plan": True,
        "crisis_plan": True,
        "day_activity": True,
        "long_treatment": True,
        "known_user": True,
        "consent_to_share": True,
        **fields,
    }


async def case_id_of(api: httpx.AsyncClient, stay_id: str) -> str:
    found = [c for c in ok(await api.get("/v1/cases?status=all")) if c["stay_id"] == stay_id]
    assert len(found) == 1, found
    return found[0]["case_id"]


# --- served over HTTP (browser tests, screenshots) ----------------------------------------------
class Served:
    """The office hub in a background thread: housing-match (with the office's pages) served by
    uvicorn on a free loopback port, and a pump that carries events every `pump_seconds`."""

    def __init__(self, tmp: Path, *, pump_seconds: float = 0.2, **options: Any) -> None:
        self.tmp = tmp
        self.options = options
        self.pump_seconds = pump_seconds
        self.port = free_port()
        self.hub: OfficeHub | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="office-hub")
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        async with office_hub(self.tmp, **self.options) as hub:
            self.hub = hub
            config = uvicorn.Config(
                hub.housing_asgi,
                host="127.0.0.1",
                port=self.port,
                lifespan="off",
                log_level="warning",
                timeout_graceful_shutdown=2,
            )
            self._server = uvicorn.Server(config)
            pump = asyncio.create_task(self._pump())
            serving = asyncio.create_task(self._server.serve())
            while not self._server.started and not serving.done():
                await asyncio.sleep(0.01)
            self._ready.set()
            await serving
            pump.cancel()

    async def _pump(self) -> None:
        while True:
            await asyncio.sleep(self.pump_seconds)
            try:
                assert self.hub is not None
                await self.hub.pump()
            except Exception:  # a test's own call may hold SQLite's writer; try again shortly
                continue

    def start(self) -> Served:
        self._thread.start()
        if not self._ready.wait(60) or self._error is not None:
            raise RuntimeError(f"the office hub did not start: {self._error!r}")
        return self

    def call(self, work: Any, timeout: float = 60) -> Any:
        """Run `work(hub)` (a coroutine function) on the hub's loop and return its result."""
        assert self.hub is not None
        return asyncio.run_coroutine_threadsafe(work(self.hub), self._loop).result(timeout)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout=30)
