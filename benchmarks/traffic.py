"""Realistic, valid synthetic ELIN traffic for benchmarks and load tests.

Patients have valid check digits (and 5 % D-numbers), hospitals and municipalities come from the
address register, admission times spread over a year, and messages have the real shapes (built
by hub_shared.elin.builder, valid against the official schemas).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from hub_shared.testing.messages import (
    ALVDAL,
    ST_OLAV,
    ST_OLAV_PSYCH,
    ST_OLAV_TSB,
    log_innlagt,
    patient,
    random_person_number,
)

UNITS = (ST_OLAV, ST_OLAV, ST_OLAV, ST_OLAV_PSYCH, ST_OLAV_TSB)  # mostly somatic


def admissions(count: int, *, seed: int = 1, year: int = 2024) -> Iterator[bytes]:
    """`count` distinct LOG_INNLAGT messages (each a new stay)."""
    rng = random.Random(seed)
    start = datetime(year, 1, 1)
    for _ in range(count):
        admitted = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        homeless = rng.random() < 0.08
        person = patient(random_person_number(rng), address=None if homeless else patient().address)
        yield log_innlagt(
            admitted_at=admitted,
            gen_date=admitted + timedelta(minutes=rng.randrange(5, 600)),
            person=person,
            sender=rng.choice(UNITS),
            receiver=ALVDAL,
        )
