"""The address register (adresseregister): HER-id -> party, loaded from a versioned file at start."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, overload

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

PartyKind = Literal["hospital", "municipality"]
Sector = Literal["somatic", "psychiatric", "tsb"]


class RegisteredParty(BaseModel):
    """One communication party: an organisation (level 1) or one of its services (level 2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    her_id: str
    name: str
    parent: str | None = None
    kind: PartyKind | None = None
    municipality_number: str | None = None
    org_number: str | None = None
    """Organisasjonsnummer (Enhetsregisteret), level-1 organisations: the EHF invoice address."""
    sector: Sector | None = None
    endpoint: str | None = None
    endpoint_token_env: str | None = None
    """The environment variable that holds the bearer token the hub presents at `endpoint`
    (the secret itself never is in the register file)."""
    token_sha256: str | None = None


class AddressRegister(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    party: tuple[RegisteredParty, ...]
    _by_id: dict[str, RegisteredParty] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: object) -> None:
        self._by_id = {p.her_id: p for p in self.party}

    @model_validator(mode="after")
    def _parents_exist(self) -> AddressRegister:
        ids = {p.her_id for p in self.party}
        if len(ids) != len(self.party):
            raise ValueError("a HER-id appears twice in the address register")
        for p in self.party:
            if p.parent is not None and p.parent not in ids:
                raise ValueError(f"party {p.her_id} names unknown parent {p.parent}")
            if p.parent is None and p.kind is None:
                raise ValueError(f"organisation {p.her_id} needs a kind")
        return self

    def get(self, her_id: str | None) -> RegisteredParty | None:
        return self._by_id.get(her_id) if her_id else None

    def knows(self, her_id: str | None) -> bool:
        return self.get(her_id) is not None

    def organisation(self, her_id: str | None) -> RegisteredParty | None:
        """The level-1 organisation a HER-id belongs to (itself when it is one)."""
        party = self.get(her_id)
        while party is not None and party.parent is not None:
            party = self.get(party.parent)
        return party

    @overload
    def organisation_id(self, her_id: str) -> str: ...
    @overload
    def organisation_id(self, her_id: None) -> None: ...
    def organisation_id(self, her_id: str | None) -> str | None:
        """The HER-id of the level-1 organisation a HER-id belongs to; the HER-id itself when
        the register does not know it (None stays None)."""
        org = self.organisation(her_id)
        return org.her_id if org is not None else her_id

    def sector_of(self, *her_ids: str | None) -> Sector | None:
        """The sector of the most specific of the given HER-ids that has one."""
        for her_id in her_ids:
            party = self.get(her_id)
            if party is not None and party.sector is not None:
                return party.sector
        return None

    def municipality_number(self, her_id: str | None) -> str | None:
        org = self.organisation(her_id)
        return org.municipality_number if org else None


def load_register(path: Path) -> AddressRegister:
    with path.open("rb") as fh:
        return AddressRegister.model_validate(tomllib.load(fh))
