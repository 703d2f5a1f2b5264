"""housing-match settings: HUB_* environment variables (see hub_shared.settings).

Matching (`HUB_MATCHING_*`) and the delivery of the municipality's answers to hospitals
(`HUB_OUTBOUND_*`) are the service's own knobs; the defaults suit production.
"""

from __future__ import annotations

from decimal import Decimal

from hub_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "housing-match"
    port: int = 8003
    consumer_group: str = "housing-match"
    """The consumer group on admission.v1 and discharge.v1."""

    matching_horizon_days: int = 90
    """Planning horizon of the cost model: clock days within it count (domain/costs.py)."""
    matching_daily_rate: Decimal = Decimal("5745")
    """NOK per clock day used to price proposals (the 2024 rate; planning only, billing bills)."""
    matching_time_limit_seconds: float = 20.0
    """The solver's time limit per run; past it the best solution found is proposed."""
    matching_exclude_without_consent: bool = False
    """True: cases without consent to share are left out of matching altogether."""

    outbound_poll_seconds: float = 1.0
    """How often the sender looks for answers due for (re)delivery."""
    outbound_timeout_seconds: float = 10.0
    """Per delivery attempt: connect, send and wait for the AppRec."""
    outbound_backoff_seconds: float = 5.0
    """Wait after the first failed attempt; doubled after each further failure."""
    outbound_backoff_max_seconds: float = 900.0
    """The longest wait between two attempts (the sender never gives up)."""
    outbound_backoff_jitter: float = 0.1
    """Up to this fraction is added at random to each wait, so that retries spread out."""
    outbound_concurrency: int = 8
    """Answers delivered at the same time (to different stays)."""
