"""HTTP pieces every service uses: the ELIN endpoint, problem responses, the app skeleton."""

from hub_shared.http.app import ServiceState, create_service_app
from hub_shared.http.elin import APPLIER_KEY, RECEPTION_KEY, elin_router, include_elin
from hub_shared.http.problems import problem
from hub_shared.http.security import CurrentCaller, current_caller

__all__ = [
    "APPLIER_KEY",
    "RECEPTION_KEY",
    "CurrentCaller",
    "ServiceState",
    "create_service_app",
    "current_caller",
    "elin_router",
    "include_elin",
    "problem",
]
