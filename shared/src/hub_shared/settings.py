"""Settings every service shares. Every knob is an environment variable (prefix HUB_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub_shared.paths import repo_root, var_dir

DEV_STAY_SECRET = "embedded-default-stay-secret-change-me"  # noqa: S105 - documented dev default


class KafkaSettings(BaseSettings):
    """Kafka client settings. Defaults suit Apache Kafka; `make run` shortens the group timings for Tansu."""

    model_config = SettingsConfigDict(env_prefix="HUB_KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    partitions: int = 3
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    rebalance_timeout_ms: int = 30_000
    request_timeout_ms: int = 10_000
    # Tansu rejects InitProducerId, so idempotence is a setting, not a code path.
    enable_idempotence: bool = False
    consumer_max_attempts: int = 3
    # How long a fetch may wait for records. Apache Kafka answers a waiting fetch as soon as data
    # arrives; Tansu holds it for the whole wait, so `make run` lowers it (hub_shared.hub).
    fetch_max_wait_ms: int = 500
    # Records fetched per poll; a service with a batch handler applies each partition's share of
    # them in one transaction (hub_shared.consumer).
    consumer_max_records: int = 500
    # Records per poll while the consumer is behind (its last poll came back full): a catch-up,
    # e.g. after downtime or when replaying a topic, amortises each transaction over more events.
    consumer_catch_up_records: int = 5_000


class ServiceSettings(BaseSettings):
    """Settings of one service process; subclasses set the service's own defaults."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    service_name: str = "hub"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""
    register_file: Path = Field(
        default_factory=lambda: repo_root() / "config" / "address-register.toml"
    )
    stay_secret: SecretStr = SecretStr(DEV_STAY_SECRET)
    # Accepted for every party, and only on the embedded default (SQLite). See hub_shared.auth.
    dev_token: SecretStr | None = None
    # The official elin-all.xsd; unset: HUB_ELIN_XSD's discovery in hub_shared.elin.schema
    # (../shared/elin-reference next to the checkout). Without it, no T02 schema validation.
    elin_xsd: Path | None = None
    max_body_bytes: int = 2_000_000
    trace_dir: Path | None = Field(default_factory=lambda: var_dir() / "traces")
    log_level: str = "INFO"
    # A span per SQL statement: detailed, and about a tenth of a message's processing time.
    trace_sql: bool = False
    relay_poll_seconds: float = 0.5
    # HUB_RELAY_LINGER_MS: how long the relay, woken by a commit, waits for more events before it
    # reads the outbox: fewer, larger publishing rounds under load for a few ms of latency.
    relay_linger_ms: int = 5
    # HUB_GC_YOUNG_THRESHOLD: allocations between two collections of Python's youngest generation
    # (Python's default: 700; 0 keeps Python's defaults). See hub_shared.collector.
    gc_young_threshold: int = 50_000
    # Published events stay in the outbox this long (for a fresh broker, see OutboxRelay), then
    # are deleted; 0 keeps them forever. Seven days: Kafka's default topic retention.
    outbox_retention_hours: float = 168.0
    # SQLite's page cache per connection in MB (0: SQLite's default of 2 MB). A large database
    # written at random places (UUID keys) reads far less with a cache that holds its indexes.
    sqlite_cache_mb: int = 0
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)

    @field_validator("trace_dir", mode="before")
    @classmethod
    def _empty_means_off(cls, value: object) -> object:
        return None if value == "" else value

    def check_dev_token_allowed(self) -> None:
        if self.dev_token is not None and not self.resolved_database_url().startswith("sqlite"):
            raise RuntimeError("HUB_DEV_TOKEN is only for the embedded default (SQLite); unset it")

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file of this service under var/."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{var_dir() / (self.service_name + '.db')}"
