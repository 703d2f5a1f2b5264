"""Authentication at the HTTP edge: a bearer token per party, 401 problems for everyone else."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from hub_shared.auth import Caller
from hub_shared.http.problems import problem


class Unauthorized(Exception):
    pass


async def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the authenticated caller, or a 401 problem response."""
    caller = request.app.state.hub.authenticator.caller(request.headers.get("authorization"))
    if caller is None:
        raise Unauthorized
    request.state.caller = caller
    return caller


def unauthorized() -> JSONResponse:
    """The 401 problem every unauthenticated request gets."""
    response = problem(
        401, "Unauthorized", "Send `Authorization: Bearer <token>` with your party's token."
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="discharge-hub"'
    return response


def unauthorized_response(_request: Request, _exc: Exception) -> JSONResponse:
    """The app's handler of `Unauthorized`."""
    return unauthorized()


# FastAPI dependency type: `caller: CurrentCaller` in an endpoint's signature.
CurrentCaller = Annotated[Caller, Depends(current_caller)]
