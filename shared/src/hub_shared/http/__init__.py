"""HTTP pieces every service uses: the ELIN endpoint, problem responses, the app skeleton."""

from hub_shared.http.app import ServiceState, create_service_app
from hub_shared.http.elin import elin_router
from hub_shared.http.problems import problem
from hub_shared.http.security import CurrentCaller, current_caller

__all__ = [
    "CurrentCaller",
    "ServiceState",
    "create_service_app",
    "current_caller",
    "elin_router",
    "problem",
]
