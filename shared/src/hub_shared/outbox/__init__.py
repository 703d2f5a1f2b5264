"""Transactional outbox: events written with the state change, published by a relay."""

from hub_shared.outbox.relay import OutboxRelay, OutboxSignal
from hub_shared.outbox.writer import outbox_row

__all__ = ["OutboxRelay", "OutboxSignal", "outbox_row"]
