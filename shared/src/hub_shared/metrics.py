"""Prometheus metrics every service exposes on /metrics. Labels never carry personal data:
message types, AppRec status and error codes, topics; never patients, names or stay ids."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

ELIN_MESSAGES = Counter(
    "hub_elin_messages_total",
    "ELIN messages received, by message type and AppRec status",
    ["msg_type", "apprec_status", "error_codes"],
    registry=REGISTRY,
)
ELIN_SECONDS = Histogram(
    "hub_elin_request_seconds",
    "Time from receiving an ELIN message to its AppRec",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
ELIN_BATCH_MESSAGES = Histogram(
    "hub_elin_batch_messages",
    "Messages stored together in one group-commit transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64),
    registry=REGISTRY,
)
ELIN_BATCHES_ABANDONED = Counter(
    "hub_elin_batches_abandoned_total",
    "Group-commit batches given up (a refusal, a key taken by another replica, the database "
    "away); their messages were then stored one by one",
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "hub_outbox_backlog", "Events written but not yet published", registry=REGISTRY
)
OUTBOX_PUBLISHED = Counter(
    "hub_outbox_published_total", "Events the relay published", ["topic"], registry=REGISTRY
)
EVENTS_CONSUMED = Counter(
    "hub_events_consumed_total",
    "Events applied by a consumer (duplicates included, dead-lettered excluded)",
    ["consumer", "topic"],
    registry=REGISTRY,
)
EVENTS_DEAD_LETTERED = Counter(
    "hub_events_dead_lettered_total",
    "Events sent to a DLQ",
    ["consumer", "topic"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "hub_consumer_lag",
    "High watermark minus position, where the broker reports it",
    ["consumer", "topic", "partition"],
    registry=REGISTRY,
)
CLOCKS_RUNNING = Gauge(
    "hub_payment_clocks_running",
    "Payment clocks running today, by paying municipality (HER-id)",
    ["municipality"],
    registry=REGISTRY,
)
ANSWER_ATTEMPTS = Counter(
    "hub_answers_to_hospitals_attempts_total",
    "Attempts to deliver a municipal answer to a hospital, by outcome",
    ["outcome"],
    registry=REGISTRY,
)
ANSWERS_UNDELIVERED = Gauge(
    "hub_answers_to_hospitals_undelivered",
    "Answers to hospitals not delivered: pending (being retried) or rejected (Avvist: a person "
    "must look at it)",
    ["status"],
    registry=REGISTRY,
)
ANSWER_OLDEST_PENDING = Gauge(
    "hub_answers_to_hospitals_oldest_pending_seconds",
    "Age of the oldest answer to a hospital still pending (0 when none is)",
    registry=REGISTRY,
)
