"""housing-match settings: HUB_* environment variables (see hub_shared.settings)."""

from __future__ import annotations

from hub_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "housing-match"
    port: int = 8003
