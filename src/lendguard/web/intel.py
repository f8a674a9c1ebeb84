"""Pages of ring intelligence: the ring list, a ring with its entity graph and evidence, the report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lendguard.intel.api import institution_code
from lendguard.intel.view_model import ring_graph
from lendguard.intel.wiring import service
from lendguard.platform.deps import AppContainer
from lendguard.platform.model import Role
from lendguard.web.rendering import PagePrincipal, render

router = APIRouter(include_in_schema=False)


@router.get("/intel", response_class=HTMLResponse)
def rings_page(
    request: Request,
    principal: PagePrincipal,
    container: AppContainer,
    status: str | None = None,
    run: int | None = None,
) -> HTMLResponse:
    chosen = status if status in ("open", "confirmed", "dismissed") else None
    intel = service(container)
    runs = intel.runs(principal)
    run_id = run if run is not None and any(r["id"] == run for r in runs) else (runs[0]["id"] if runs else None)
    rings = intel.rings(principal, status=chosen, run_id=run_id, limit=500) if run_id is not None else []
    return render(request, "intel/rings.html", principal, rings=rings, status=chosen, runs=runs, run_id=run_id)


@router.get("/intel/rings/{ring_id}", response_class=HTMLResponse)
def ring_page(request: Request, ring_id: int, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    ring = service(container).ring(principal, ring_id)
    graph = ring_graph(ring)
    can_decide = principal.has(Role.ANALYST)
    return render(request, "intel/ring.html", principal, ring=ring, graph=graph, can_decide=can_decide, error=None)


@router.post("/intel/rings/{ring_id}/decision", response_model=None)
def decide(
    request: Request,
    ring_id: int,
    principal: PagePrincipal,
    container: AppContainer,
    status: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        service(container).decide(principal, ring_id, status, note)
    except ValueError as exc:
        ring = service(container).ring(principal, ring_id)
        graph = ring_graph(ring)
        return render(request, "intel/ring.html", principal, ring=ring, graph=graph, can_decide=True, error=str(exc))
    return RedirectResponse(f"/intel/rings/{ring_id}", status_code=303)


@router.get("/intel/rings/{ring_id}/report.html", response_class=HTMLResponse)
def report_html(request: Request, ring_id: int, principal: PagePrincipal, container: AppContainer) -> HTMLResponse:
    report = service(container).evidence_report(
        principal, ring_id, institution_code(container, principal.institution_id)
    )
    return render(request, "intel/report.html", principal, report=report)


@router.get("/intel/rings/{ring_id}/report.json")
def report_json(ring_id: int, principal: PagePrincipal, container: AppContainer) -> Response:
    import json

    report = service(container).evidence_report(
        principal, ring_id, institution_code(container, principal.institution_id)
    )
    body = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    headers = {"Content-Disposition": f'attachment; filename="ring-{ring_id}-evidence.json"'}
    return Response(body, media_type="application/json", headers=headers)
