"""FastAPI dependencies: the container and the authenticated principal (``Annotated`` style)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lendguard.platform.bootstrap import Container
from lendguard.platform.model import Principal

SESSION_USER_KEY = "user_id"

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer lg_...`")


def get_container(request: Request) -> Container:
    """The container the app was built with."""
    container: Container = request.app.state.container
    return container


AppContainer = Annotated[Container, Depends(get_container)]


def current_principal(
    request: Request,
    container: AppContainer,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from an API key (``Authorization: Bearer``) or from a page session cookie."""
    if credentials is not None:
        principal = container.tenancy.principal_for_api_key(credentials.credentials)
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "invalid or revoked API key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return principal
    user_id = request.session.get(SESSION_USER_KEY) if "session" in request.scope else None
    if user_id is not None:
        principal = container.tenancy.principal_for_user(int(user_id))
        if principal is not None:
            return principal
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "authentication required", headers={"WWW-Authenticate": "Bearer"})


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
