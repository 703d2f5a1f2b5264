"""billing settings: HUB_* environment variables (see hub_shared.settings)."""

from __future__ import annotations

from hub_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "billing"
    port: int = 8004
