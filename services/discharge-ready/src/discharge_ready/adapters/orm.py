"""The discharge-ready database."""

from __future__ import annotations

import sqlalchemy as sa
from hub_shared.db import add_infrastructure_tables

metadata = sa.MetaData()
outbox, processed_events = add_infrastructure_tables(metadata)
