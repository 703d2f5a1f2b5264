"""HTTP pieces every service uses: the ELIN endpoint, problem responses, the app skeleton."""

from hub_shared.http.app import ServiceState, create_service_app
from hub_shared.http.elin import elin_router
from hub_shared.http.problems import problem

__all__ = ["ServiceState", "create_service_app", "elin_router", "problem"]
