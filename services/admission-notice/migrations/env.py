from admission_notice.adapters.orm import metadata
from hub_shared.db.migrations import run_env

run_env(metadata)
