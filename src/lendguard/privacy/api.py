"""HTTP API of personal-information governance under /v1/privacy."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lendguard.platform.deps import AppContainer, CurrentPrincipal
from lendguard.privacy.receipts import verify_receipt
from lendguard.privacy.wiring import rights, service

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])

Channel = Literal["self", "app", "phone", "letter", "email", "counter"]


class ReadRequest(BaseModel):
    fields: list[str] = Field(..., min_length=1, description="Personal fields, e.g. name, mobile.")
    purpose: str = Field(..., description="One purpose, e.g. collection.")
    recipient: str | None = Field(None, description="Named third party (for third_party_sharing).")


class ConsentIn(BaseModel):
    purposes: list[str] = Field(..., min_length=1)
    categories: list[str] = Field(..., min_length=1)
    recipients: list[str] = []
    method: str = Field(..., description="How consent was collected: app_checkbox, paper_form, phone...")
    notice_version: str
    expires_at: datetime | None = None
    separate: bool = Field(False, description="Separate consent (sensitive data, sharing; PIPL arts. 23, 29).")


class VerifyReceiptIn(BaseModel):
    receipt: dict[str, Any]
    public_key: str = Field(..., description="The institution's published Ed25519 key (hex).")


class CorrectionIn(BaseModel):
    values: dict[str, str] = Field(..., min_length=1)
    channel: Channel = "self"


class FiledIn(BaseModel):
    channel: Channel = "self"


@router.get("/public-key", summary="My institution's Ed25519 public key (verifies receipts and checkpoints)")
def public_key(principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return {
        "institution_id": principal.institution_id,
        "ed25519": service(container).public_key(principal.institution_id),
    }


@router.post("/receipts:verify", summary="Check a consent receipt against a public key (anyone may call)")
def verify(body: VerifyReceiptIn) -> dict[str, bool]:
    return {"valid": verify_receipt(body.receipt, body.public_key)}


@router.post("/subjects/{subject_ref}/read", summary="Governed read of personal fields (audited)")
def read(subject_ref: str, body: ReadRequest, principal: CurrentPrincipal, container: AppContainer) -> dict[str, str]:
    return service(container).read(principal, subject_ref, body.fields, body.purpose, recipient=body.recipient)


@router.get("/lookup", summary="Subjects whose field equals a value (keyed index; audited)")
def lookup(field: str, value: str, principal: CurrentPrincipal, container: AppContainer) -> dict[str, list[str]]:
    return {"subjects": service(container).lookup_subject(principal, field, value)}


@router.get("/subjects/{subject_ref}/consents", summary="The subject's consent ledger with receipts")
def consents(subject_ref: str, principal: CurrentPrincipal, container: AppContainer) -> list[dict[str, Any]]:
    return service(container).consents(principal, subject_ref)


@router.post("/subjects/{subject_ref}/consents", status_code=201, summary="Record a consent; returns the receipt")
def give(subject_ref: str, body: ConsentIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).give_consent(principal, subject_ref, **body.model_dump())


@router.post("/subjects/{subject_ref}/consents/{consent_ref}:withdraw", summary="Withdraw a consent")
def withdraw(
    subject_ref: str, consent_ref: str, body: FiledIn, principal: CurrentPrincipal, container: AppContainer
) -> dict[str, int]:
    return {"request_id": rights(container).withdraw(principal, subject_ref, consent_ref, body.channel)}


@router.get("/subjects/{subject_ref}/access-report", summary="What is held, under which consent, who read it")
def access_report(subject_ref: str, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return rights(container).access_report(principal, subject_ref)


@router.get("/subjects/{subject_ref}/export", summary="Machine-readable copy of the subject's data (audited)")
def export(subject_ref: str, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return rights(container).export(principal, subject_ref)


@router.post("/subjects/{subject_ref}/corrections", summary="Correct personal fields (PIPL art. 46)")
def correct(
    subject_ref: str, body: CorrectionIn, principal: CurrentPrincipal, container: AppContainer
) -> dict[str, int]:
    return {"request_id": rights(container).correct(principal, subject_ref, body.values, body.channel)}


@router.post("/subjects/{subject_ref}/deletion-requests", summary="Request deletion (honoured or held)")
def delete(subject_ref: str, body: FiledIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return rights(container).request_deletion(principal, subject_ref, body.channel)


@router.get("/requests", summary="Data-subject requests (compliance: all; borrower: own)")
def list_requests(
    principal: CurrentPrincipal, container: AppContainer, status: str | None = None, subject_ref: str | None = None
) -> list[dict[str, Any]]:
    return rights(container).requests(principal, subject_ref, status)


@router.post("/requests:release-holds", summary="Honour held deletions whose loans have ended")
def release(principal: CurrentPrincipal, container: AppContainer) -> dict[str, list[int]]:
    return {"honoured": rights(container).release_holds(principal)}
