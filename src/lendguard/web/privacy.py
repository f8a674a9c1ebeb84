"""Pages of personal-information governance: the borrower's own data and rights; compliance requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from lendguard.platform.deps import AppContainer
from lendguard.platform.model import PermissionDenied, Principal, Role
from lendguard.privacy.wiring import rights, service
from lendguard.web.rendering import PagePrincipal, render

router = APIRouter(include_in_schema=False)


def _own_subject(principal: Principal) -> str:
    if Role.BORROWER not in principal.roles or not principal.subject_id:
        raise PermissionDenied("only a borrower has their own data here")
    return principal.subject_id


@router.get("/privacy", response_class=HTMLResponse)
def privacy_home(request: Request, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    """Borrower: what is held, consents, who read it, requests. Compliance: the request queue."""
    if Role.BORROWER in principal.roles and principal.subject_id:
        report = rights(container).access_report(principal, principal.subject_id)
        own = rights(container).requests(principal)
        return render(request, "privacy/borrower.html", principal, report=report, requests=own)
    if principal.has(Role.COMPLIANCE):
        queue = rights(container).requests(principal)
        key = service(container).public_key(principal.institution_id)
        return render(request, "privacy/compliance.html", principal, requests=queue, public_key=key, report=None)
    raise PermissionDenied("the privacy pages are for borrowers and compliance")


@router.get("/privacy/subjects", response_class=HTMLResponse)
def subject_report(request: Request, principal: PagePrincipal, container: AppContainer, ref: str) -> HTMLResponse:
    """Compliance: a subject's access report (the lookup itself is audited)."""
    report = rights(container).access_report(principal, ref)
    queue = rights(container).requests(principal, ref)
    key = service(container).public_key(principal.institution_id)
    return render(request, "privacy/compliance.html", principal, requests=queue, public_key=key, report=report)


@router.get("/privacy/export.json")
def export(principal: PagePrincipal, container: AppContainer) -> JSONResponse:
    """The borrower's machine-readable copy, as a download."""
    data = rights(container).export(principal, _own_subject(principal))
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{data["subject"]}-export.json"'})


@router.post("/privacy/consents/{consent_ref}/withdraw")
def withdraw(consent_ref: str, principal: PagePrincipal, container: AppContainer) -> RedirectResponse:
    rights(container).withdraw(principal, _own_subject(principal), consent_ref, "app")
    return RedirectResponse("/privacy", status_code=303)


@router.post("/privacy/deletion")
def request_deletion(principal: PagePrincipal, container: AppContainer) -> RedirectResponse:
    rights(container).request_deletion(principal, _own_subject(principal), "app")
    return RedirectResponse("/privacy", status_code=303)


@router.post("/privacy/requests")
def file_on_behalf(
    principal: PagePrincipal,
    container: AppContainer,
    subject_ref: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    channel: Annotated[str, Form()],
) -> RedirectResponse:
    """Compliance files a deletion or an export on the borrower's behalf (phone, letter)."""
    if not principal.has(Role.COMPLIANCE):
        raise PermissionDenied("compliance files requests on a borrower's behalf")
    if kind == "deletion":
        rights(container).request_deletion(principal, subject_ref, channel)
    else:
        raise PermissionDenied(f"unknown request kind {kind!r}")
    return RedirectResponse(f"/privacy/subjects?ref={subject_ref}", status_code=303)


@router.post("/privacy/requests/release")
def release(principal: PagePrincipal, container: AppContainer) -> RedirectResponse:
    rights(container).release_holds(principal)
    return RedirectResponse("/privacy", status_code=303)
