"""Database plumbing shared by the services: engines, infrastructure tables, migrations, unit of work."""

from hub_shared.db.engine import is_sqlite, make_engine, make_sessionmaker
from hub_shared.db.tables import (
    add_infrastructure_tables,
    add_message_log_table,
    create_infrastructure_tables,
    create_message_log_table,
)
from hub_shared.db.timestamps import stored_utc

__all__ = [
    "add_infrastructure_tables",
    "add_message_log_table",
    "create_infrastructure_tables",
    "create_message_log_table",
    "is_sqlite",
    "make_engine",
    "make_sessionmaker",
    "stored_utc",
]
