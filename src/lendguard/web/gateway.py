"""Pages of the credit-data gateway: the bureau's clients and alerts; a client's statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from lendguard.gateway.wiring import service
from lendguard.platform.deps import AppContainer
from lendguard.platform.model import PermissionDenied, Role
from lendguard.web.rendering import PagePrincipal, render

router = APIRouter(include_in_schema=False)


@router.get("/gateway", response_class=HTMLResponse)
def gateway_home(request: Request, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    """Bureau staff: clients, balances, status and the abuse alerts. A lender's client: its own record."""
    gateway = service(container)
    clients = gateway.clients(principal)
    staff = gateway.bureau_staff(principal)
    alerts = gateway.alerts(principal) if staff and principal.has(Role.COMPLIANCE, Role.ANALYST) else []
    can_suspend = staff and principal.has(Role.COMPLIANCE)
    return render(
        request, "gateway/home.html", principal, clients=clients, alerts=alerts, staff=staff, can_suspend=can_suspend
    )


@router.get("/gateway/clients/{client_id}", response_class=HTMLResponse)
def client_page(request: Request, client_id: int, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    """A client's statement: usage, charges by tier, balance history, refused queries by reason."""
    gateway = service(container)
    client = gateway.client(principal, client_id)
    statement = gateway.statement(principal, client_id)
    return render(request, "gateway/client.html", principal, client=client, statement=statement)


@router.get("/gateway/clients/{client_id}/statement.csv")
def client_csv(client_id: int, principal: PagePrincipal, container: AppContainer) -> PlainTextResponse:
    text = service(container).statement_csv(principal, client_id)
    headers = {"Content-Disposition": f'attachment; filename="statement-{client_id}.csv"'}
    return PlainTextResponse(text, media_type="text/csv", headers=headers)


@router.post("/gateway/clients/{client_id}/suspend")
def suspend(
    client_id: int, principal: PagePrincipal, container: AppContainer, reason: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Compliance suspends a client with a reason (its queries are refused from now on)."""
    if not reason.strip():
        raise PermissionDenied("a suspension needs a reason")
    service(container).set_suspended(principal, client_id, True, reason)
    return RedirectResponse("/gateway", status_code=303)


@router.post("/gateway/clients/{client_id}/reinstate")
def reinstate(client_id: int, principal: PagePrincipal, container: AppContainer) -> RedirectResponse:
    service(container).set_suspended(principal, client_id, False)
    return RedirectResponse("/gateway", status_code=303)


@router.post("/gateway/alerts/run")
def run_detection(principal: PagePrincipal, container: AppContainer) -> RedirectResponse:
    service(container).run_detection(principal)
    return RedirectResponse("/gateway", status_code=303)
