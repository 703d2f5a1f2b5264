"""billing settings: HUB_* environment variables (see hub_shared.settings)."""

from __future__ import annotations

from pathlib import Path

from hub_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "billing"
    port: int = 8004
    rates_file: Path | None = None
    """HUB_RATES_FILE: the daily rates (TOML); else $BILLING_RATES_FILE, else the packaged file."""
    agreements_file: Path | None = None
    """HUB_AGREEMENTS_FILE: agreement profiles (TOML); else $BILLING_AGREEMENTS_FILE, else packaged."""
    consumer_group: str = "billing"
    """HUB_CONSUMER_GROUP: the Kafka consumer group of admission.v1, discharge.v1, housing.v1."""
    clock_horizon_days: int = 731
    """HUB_CLOCK_HORIZON_DAYS: how far ahead a known stop (a place ready from a later day) is
    published as the stop of the clock; a period with no stop within it is running."""
    payment_terms_days: int = 30
    """HUB_PAYMENT_TERMS_DAYS: an invoice is due this many days after it is issued."""
    fact_cache_rows: int = 50_000
    """HUB_FACT_CACHE_ROWS: how many stored facts the consumer keeps decoded in memory (a few kB
    each), so that recomputing a stay does not read and decode its earlier facts again; 0: none."""
