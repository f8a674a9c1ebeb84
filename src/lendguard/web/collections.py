"""Collections pages: the collector's work queue and the supervisor's view of blocked attempts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lendguard.collections.wiring import service
from lendguard.platform.deps import AppContainer
from lendguard.platform.model import Role
from lendguard.web.rendering import PagePrincipal, render

router = APIRouter(include_in_schema=False)


@router.get("/collections", response_class=HTMLResponse)
def queue_page(request: Request, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    """The work queue: open cases, due first, each with the next allowed call and SMS and why not now."""
    svc = service(container)
    can_work = principal.has(Role.COLLECTOR, Role.SUPERVISOR)
    queue = svc.work_queue(principal) if can_work else []
    policy = svc.policy(principal)
    return render(request, "collections/queue.html", principal, queue=queue, pack=policy["pack"], can_work=can_work)


@router.get("/collections/blocked", response_class=HTMLResponse)
def blocked_page(request: Request, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    """Attempts the policy refused, newest first, with every reason (supervisors and compliance)."""
    rows = service(container).blocked_attempts(principal)
    return render(request, "collections/blocked.html", principal, rows=rows)
