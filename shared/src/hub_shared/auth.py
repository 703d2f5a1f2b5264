"""Who is calling: every EPJ and municipal system authenticates with a bearer token that the
address register maps to its HER-id (only the token's SHA-256 is stored). Behind a TLS-terminating
proxy, mTLS can map a client certificate to the same party (see README); the hub sees the party.

`HUB_DEV_TOKEN` is a development token accepted for every party, and only on the embedded default
(SQLite): a service with a server database refuses to start with it set.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from hub_shared.register import AddressRegister, RegisteredParty


@dataclass(frozen=True)
class Caller:
    """The authenticated party, or the development caller that may act for any party."""

    her_id: str | None
    name: str
    kind: str | None
    is_dev: bool = False

    def acts_for(self, *her_ids: str | None) -> bool:
        """May this caller act for (send as, or read the data of) one of these parties?"""
        return self.is_dev or (self.her_id is not None and self.her_id in her_ids)

    @property
    def audit_name(self) -> str:
        return "dev-token" if self.is_dev else f"HER:{self.her_id}"


DEV_CALLER = Caller(her_id=None, name="development token", kind=None, is_dev=True)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    def __init__(self, register: AddressRegister, dev_token: str | None = None) -> None:
        self._by_digest: dict[str, RegisteredParty] = {
            p.token_sha256: p for p in register.party if p.token_sha256
        }
        self._dev_digest = token_digest(dev_token) if dev_token else None

    def caller(self, authorization: str | None) -> Caller | None:
        """The caller for an `Authorization: Bearer <token>` header, or None."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        digest = token_digest(token.strip())
        if self._dev_digest and hmac.compare_digest(digest, self._dev_digest):
            return DEV_CALLER
        party = self._by_digest.get(digest)
        if party is None:
            return None
        return Caller(her_id=party.her_id, name=party.name, kind=party.kind)
