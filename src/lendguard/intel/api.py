"""HTTP API of ring intelligence: rings of my institution, analyst decisions, evidence export."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from lendguard.intel.wiring import service
from lendguard.platform.deps import AppContainer, CurrentPrincipal

router = APIRouter(prefix="/v1/intel", tags=["intel"])


class RedactionOut(BaseModel):
    reason: str
    at: datetime


class EvidenceOut(BaseModel):
    file: str
    row_id: str
    field: str
    value: str = Field(description="the cell's value; masked unless the caller investigates fraud")
    borrower_id: str | None = Field(None, description="pseudonymous borrower whose row it is")
    redacted: RedactionOut | None = Field(None, description="set when the value was erased with its borrower")


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
    carried_from: int | None = Field(None, description="earlier ring whose decision was carried over to this one")


class CarryOverOut(BaseModel):
    """The earlier decision a ring inherited when detection ran again."""

    from_ring: int
    from_run: int
    decided_status: Literal["confirmed", "dismissed"]
    note: str
    username: str
    decided_at: datetime
    match: Literal["indicators", "members"] = Field(description="same indicator set, or member Jaccard >= 0.5")
    jaccard: float
    added: list[str] = Field(description="our borrowers new since the decision")
    removed: list[str] = Field(description="our borrowers no longer in the ring")
    other_added: int = Field(description="growth in members at other institutions")
    changed: bool = Field(description="the ring grew since the decision, so it went back to open")
    status: str


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
    carryover: CarryOverOut | None = Field(None, description="decision carried over from an earlier run")
    changed_since_decision: bool = Field(False, description="open again because the ring grew since its decision")


class ErasureHoldOut(BaseModel):
    borrower_id: str = Field(description="pseudonymous id of the erased borrower whose evidence is held")
    reason: str = Field(description="the legal reason the evidence is kept (storage and security only)")
    held_at: datetime


class RingDetail(RingSummary):
    borrowers: list[str]
    indicators: list[IndicatorOut]
    signals_detail: list[SignalOut]
    decisions: list[DecisionOut]
    erasure_holds: list[ErasureHoldOut] = Field(description="erasures held while the ring is confirmed")
    masked: bool = Field(description="evidence values are masked (the caller does not investigate fraud)")


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
    run_id: int | None = Query(None, description="a detection run of my institution (default: the latest)"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[RingSummary]:
    rows = service(container).rings(principal, status=status, run_id=run_id, limit=limit, offset=offset)
    return [RingSummary(**r) for r in rows]


class RunOut(BaseModel):
    id: int
    engine: str
    source: str
    ring_count: int
    erased_redacted: int = Field(description="evidence items of erased borrowers redacted before storing")
    created_at: datetime


@router.get("/runs", response_model=list[RunOut], summary="Detection runs of my institution, latest first")
def list_runs(principal: CurrentPrincipal, container: AppContainer) -> list[RunOut]:
    return [RunOut(**r) for r in service(container).runs(principal)]


@router.get("/rings/{ring_id}", response_model=RingDetail, summary="One ring with its evidence (audited)")
def get_ring(ring_id: int, principal: CurrentPrincipal, container: AppContainer) -> RingDetail:
    return _detail(service(container).ring(principal, ring_id))


@router.post("/rings/{ring_id}/decision", response_model=RingDetail, summary="Confirm or dismiss a ring")
def decide(ring_id: int, body: DecisionIn, principal: CurrentPrincipal, container: AppContainer) -> RingDetail:
    try:
        return _detail(service(container).decide(principal, ring_id, body.status, body.note))
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


@router.get(
    "/rings/{ring_id}/report",
    summary="Evidence report of a confirmed ring (JSON, audited; masked for non-investigators)",
)
def report(ring_id: int, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).evidence_report(principal, ring_id, institution_code(container, principal.institution_id))


def institution_code(container: AppContainer, institution_id: int) -> str:
    """The code of an institution (shown on evidence reports)."""
    found = [i for i in container.tenancy.institutions() if int(i["id"]) == institution_id]
    return str(found[0]["code"]) if found else str(institution_id)
