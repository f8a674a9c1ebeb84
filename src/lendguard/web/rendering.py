"""Template rendering and the page-session principal shared by every page module."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lendguard.platform.deps import SESSION_USER_KEY, AppContainer
from lendguard.platform.model import Principal, Role

TEMPLATE_DIR = Path(__file__).parent / "templates"

# (path, label, roles that see the link); the shell shows a capability only to roles that use it.
NAVIGATION: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("/", "Home", frozenset(Role)),
    ("/collections", "Collections", frozenset({Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE})),
    ("/privacy", "Privacy", frozenset({Role.COMPLIANCE, Role.BORROWER})),
    ("/gateway", "Gateway", frozenset({Role.GATEWAY_CLIENT, Role.COMPLIANCE})),
    ("/intel", "Intelligence", frozenset({Role.ANALYST, Role.COMPLIANCE, Role.REGULATOR})),
    ("/disclosure", "Disclosure", frozenset(Role)),
)


@cache
def templates() -> Jinja2Templates:
    """The template environment (built on first use, not at import)."""
    return Jinja2Templates(directory=str(TEMPLATE_DIR))


class LoginRequired(HTTPException):
    """Raised by :func:`page_principal`; the shell turns it into a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(status.HTTP_303_SEE_OTHER, headers={"Location": f"/login?next={next_path}"})


def page_principal(request: Request, container: AppContainer) -> Principal:
    """The logged-in user of a page request, or a redirect to the login page."""
    user_id = request.session.get(SESSION_USER_KEY)
    principal = container.tenancy.principal_for_user(int(user_id)) if user_id is not None else None
    if principal is None:
        raise LoginRequired(request.url.path)
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def render(request: Request, template: str, principal: Principal | None = None, **context: Any) -> HTMLResponse:
    """Render ``template`` with the navigation the principal may see."""
    nav = [
        (path, label)
        for path, label, roles in NAVIGATION
        if principal is not None and (Role.ADMIN in principal.roles or roles & principal.roles)
    ]
    return templates().TemplateResponse(
        request, template, {"principal": principal, "nav": nav, "path": request.url.path, **context}
    )
