"""HTTP API of the screener: batch screening and the institution's stricter terms."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field, field_validator

from lendguard.collections.screening.normalise import without_surrogates
from lendguard.collections.screening.service import MAX_BATCH, Message
from lendguard.collections.screening.wiring import service
from lendguard.platform.deps import AppContainer, CurrentPrincipal

router = APIRouter(prefix="/v1/collections", tags=["screening"])


class MessageIn(BaseModel):
    id: str | None = None
    text: str = Field(max_length=20_000)
    party: str = "debtor"
    lang: str = "auto"

    @field_validator("id", "text", mode="before")
    @classmethod
    def _lone_surrogates(cls, value: object) -> object:
        # JSON can carry a lone surrogate ("\ud800"); pydantic refuses such a string and the error
        # response itself could not be encoded. It becomes U+FFFD (same length: offsets still hold),
        # which the screener reads as an unknown character, as it would read the surrogate.
        return without_surrogates(value) if isinstance(value, str) else value


class ScreenRequest(BaseModel):
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_BATCH)


class FindingOut(BaseModel):
    category: str
    start: int
    end: int
    evidence: str
    rule: str


class ResultOut(BaseModel):
    id: str
    verdict: str
    findings: list[FindingOut]


class ScreenResponse(BaseModel):
    results: list[ResultOut]


class TermIn(BaseModel):
    category: str
    term: str


class TermOut(BaseModel):
    id: int
    category: str
    term: str
    created_by: str
    created_at: datetime


@router.post(
    "/messages:screen",
    response_model=ScreenResponse,
    summary="Screen a batch of collection messages (verdict and findings per message)",
)
def screen_messages(body: ScreenRequest, principal: CurrentPrincipal, container: AppContainer) -> ScreenResponse:
    messages = [
        Message(id=m.id if m.id is not None else str(i), text=m.text, party=m.party, lang=m.lang)
        for i, m in enumerate(body.messages, start=1)
    ]
    try:
        results = service(container).screen(principal, messages)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return ScreenResponse(
        results=[
            ResultOut(id=m.id, verdict=r.verdict, findings=[FindingOut(**f.as_dict()) for f in r.findings])
            for m, r in zip(messages, results, strict=True)
        ]
    )


@router.get("/screening/terms", response_model=list[TermOut], summary="My institution's stricter screening terms")
def list_terms(principal: CurrentPrincipal, container: AppContainer) -> list[TermOut]:
    return [TermOut(**t) for t in service(container).terms(principal)]


@router.post(
    "/screening/terms",
    response_model=TermOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a stricter term (it always blocks; categories cannot be switched off)",
)
def add_term(body: TermIn, principal: CurrentPrincipal, container: AppContainer) -> TermOut:
    try:
        return TermOut(**service(container).add_term(principal, body.category, body.term))
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


@router.delete(
    "/screening/terms/{term_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove one of my institution's stricter terms",
)
def remove_term(term_id: int, principal: CurrentPrincipal, container: AppContainer) -> None:
    service(container).remove_term(principal, term_id)
