"""Settings of the housing office's pages: `HUB_OFFICE_*` environment variables (and `HUB_BILLING_URL`).

- `HUB_OFFICE_USERS_FILE`: the logins (default `config/office-users.toml`, development logins).
- `HUB_OFFICE_SECRET`: the key that signs the session cookie; unset, a key derived from the stay
  secret (`HUB_STAY_SECRET`), which production sets anyway.
- `HUB_BILLING_URL`: billing's API, from which an invoice's lines and its CSV and EHF documents are
  fetched server-side (default `http://127.0.0.1:8004`, as `make run` starts it).
- `HUB_OFFICE_BILLING_TOKENS`: JSON object `{"<municipality HER-id>": "<bearer token>"}`: the
  municipality's token toward billing (overrides the users file's `billing_token`).
- `HUB_OFFICE_POLL_SECONDS`: how often open pages look for new events (default 10).
- `HUB_OFFICE_SESSION_HOURS`, `HUB_OFFICE_COOKIE_SECURE` (`auto`: Secure on HTTPS requests).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub_shared.paths import repo_root


class OfficeSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HUB_OFFICE_", extra="ignore", populate_by_name=True
    )

    users_file: Path = Field(default_factory=lambda: repo_root() / "config" / "office-users.toml")
    secret: SecretStr | None = None
    billing_url: str = Field(
        default="http://127.0.0.1:8004",
        validation_alias=AliasChoices("HUB_BILLING_URL", "HUB_OFFICE_BILLING_URL"),
    )
    billing_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    billing_timeout_seconds: float = 5.0
    poll_seconds: float = 10.0
    session_hours: float = 8.0
    cookie_secure: str = "auto"
    """`auto` (Secure when the request came over HTTPS), `true` or `false`."""

    def signing_key(self, stay_secret: str) -> bytes:
        if self.secret is not None:
            return self.secret.get_secret_value().encode()
        return hmac.new(stay_secret.encode(), b"housing-office", hashlib.sha256).digest()
