"""Identifiers of persons, organisations and hospital stays.

- ``person``: Norwegian person numbers (fødselsnummer, D-nummer, H-nummer, FH-nummer) per HIS 1001.
- ``her``: HER-ids from the address register (Adresseregisteret).
- ``stay``: the pseudonymous stay id every service derives from the same key.
"""

from hub_shared.identifiers.her import is_her_id
from hub_shared.identifiers.person import (
    PersonIdKind,
    check_digits,
    classify,
    is_valid_person_id,
    mask,
)
from hub_shared.identifiers.stay import stay_id

__all__ = [
    "PersonIdKind",
    "check_digits",
    "classify",
    "is_her_id",
    "is_valid_person_id",
    "mask",
    "stay_id",
]
