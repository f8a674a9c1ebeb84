"""The page shell: login, logout, home with counts per stage, static assets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from lendguard.lending.wiring import service as lending_service
from lendguard.platform.deps import SESSION_USER_KEY, AppContainer
from lendguard.platform.model import PermissionDenied, Role
from lendguard.web.rendering import PagePrincipal, render

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_FILES = {"htmx.min.js": "text/javascript", "style.css": "text/css"}


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        return Response(status_code=404)
    return FileResponse(STATIC_DIR / name, media_type=STATIC_FILES[name])


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=next, error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    container: AppContainer,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    principal = container.tenancy.login(username, password)
    if principal is None:
        response = render(request, "login.html", next=next, error="Wrong username or password.")
        response.status_code = 401
        return response
    request.session.clear()
    request.session[SESSION_USER_KEY] = principal.user_id
    # Only same-site paths: never redirect to another host after login.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    institution = next(i for i in container.tenancy.institutions() if i["id"] == principal.institution_id)
    overview = None
    if principal.has(Role.COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE, Role.ANALYST, Role.REGULATOR):
        try:
            overview = lending_service(container).overview(principal)
        except PermissionDenied:
            overview = None
    return render(
        request,
        "home.html",
        principal,
        institution=institution,
        overview=overview,
        stages=["current", "M1", "M2", "M3+", "written_off"],
    )
