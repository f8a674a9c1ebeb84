"""HTTP API of ring intelligence: rings of my institution, analyst decisions, evidence export."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from lendguard.intel.wiring import service
from lendguard.platform.deps import AppContainer, CurrentPrincipal

router = APIRouter(prefix="/v1/intel", tags=["intel"])


class EvidenceOut(BaseModel):
    file: str
    row_id: str
    field: str
    value: str


class SignalOut(BaseModel):
    name: str
    weight: float
    evidence: list[EvidenceOut]


class IndicatorOut(BaseModel):
    kind: Literal["phone", "email", "template", "segment"]
    value: str


class DecisionOut(BaseModel):
    status: str
    note: str
    username: str
    at: datetime


class RingSummary(BaseModel):
    id: int
    ring_ref: str = Field(description="ring_id of the detection output (stable for the same members)")
    run_id: int
    score: float
    status: Literal["open", "confirmed", "dismissed"]
    borrower_count: int = Field(description="borrowers of my institution in the ring")
    other_borrowers: int = Field(description="members at other institutions (count only)")
    signals: list[str]
    decided_at: datetime | None
    created_at: datetime


class RingDetail(RingSummary):
    borrowers: list[str]
    indicators: list[IndicatorOut]
    signals_detail: list[SignalOut]
    decisions: list[DecisionOut]


class DecisionIn(BaseModel):
    status: Literal["confirmed", "dismissed"]
    note: str = Field(min_length=1, max_length=4000)


def _detail(data: dict[str, Any]) -> RingDetail:
    return RingDetail(**{**data, "signals": [s["name"] for s in data["signals"]], "signals_detail": data["signals"]})


@router.get("/rings", response_model=list[RingSummary], summary="Detected rings of my institution")
def list_rings(
    principal: CurrentPrincipal,
    container: AppContainer,
    status: Literal["open", "confirmed", "dismissed"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[RingSummary]:
    rows = service(container).rings(principal, status=status, limit=limit, offset=offset)
    return [RingSummary(**r) for r in rows]


@router.get("/rings/{ring_id}", response_model=RingDetail, summary="One ring with its evidence (audited)")
def get_ring(ring_id: int, principal: CurrentPrincipal, container: AppContainer) -> RingDetail:
    return _detail(service(container).ring(principal, ring_id))


@router.post("/rings/{ring_id}/decision", response_model=RingDetail, summary="Confirm or dismiss a ring")
def decide(ring_id: int, body: DecisionIn, principal: CurrentPrincipal, container: AppContainer) -> RingDetail:
    try:
        return _detail(service(container).decide(principal, ring_id, body.status, body.note))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get("/rings/{ring_id}/report", summary="Evidence report of a confirmed ring (JSON, audited)")
def report(ring_id: int, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).evidence_report(principal, ring_id, institution_code(container, principal.institution_id))


def institution_code(container: AppContainer, institution_id: int) -> str:
    """The code of an institution (shown on evidence reports)."""
    found = [i for i in container.tenancy.institutions() if int(i["id"]) == institution_id]
    return str(found[0]["code"]) if found else str(institution_id)
