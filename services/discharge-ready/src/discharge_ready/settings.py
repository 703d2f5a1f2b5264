"""discharge-ready settings: HUB_* environment variables (see hub_shared.settings)."""

from __future__ import annotations

from hub_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "discharge-ready"
    port: int = 8002
    consume_admissions: bool = True
    """Learn stays from admission.v1 (consumer group "discharge-ready"); off only for tests."""
