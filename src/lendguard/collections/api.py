"""HTTP API of collections under /v1/collections: policy checks, cases, attempts (409 when blocked), queue."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lendguard.collections.checks import InputError
from lendguard.collections.service import ContactBlocked
from lendguard.collections.wiring import service
from lendguard.platform.deps import AppContainer, CurrentPrincipal

router = APIRouter(prefix="/v1/collections", tags=["collections"])

ChannelName = Literal["call", "sms", "email", "letter", "visit", "app_message", "social_media"]
RoleName = Literal[
    "debtor", "designated_contact", "related_third_party", "unrelated_third_party", "employer", "attorney"
]
OutcomeName = Literal[
    "conversation", "no_answer", "voicemail", "message_left", "busy", "not_in_service", "delivered", "failed"
]


class ContactIn(BaseModel):
    """A planned contact on a case (defaults: the debtor, about this case's debt, for collection)."""

    channel: ChannelName
    person_id: str | None = None
    role: RoleName = "debtor"
    debt_ids: list[str] | None = None
    purpose: Literal["collection", "location_info", "reply", "notice"] = "collection"
    number: str | None = None
    place: Literal["home", "work", "other"] | None = None
    address_kind: Literal["personal", "work"] | None = None
    includes_opt_out: bool | None = None
    text: str | None = None
    recorded: bool | None = None
    staff: int | None = None
    at: datetime | None = Field(None, description="when the contact happens (default: now)")


class AttemptIn(ContactIn):
    """An attempt to record: the contact plus what happened."""

    outcome: OutcomeName
    initiated_by: Literal["collector", "consumer"] = "collector"
    duration_s: int | None = Field(None, ge=0)
    recording_ref: str | None = None
    agency_id: str | None = None
    ref: str | None = None


class CaseIn(BaseModel):
    ref: str = Field(..., description="the loan ref (one case per debt)")
    borrower_ref: str
    days_past_due: int = Field(..., ge=0)
    stage: Literal["M1", "M2", "M3+", "written_off", "current"]
    outstanding: Decimal = Decimal("0")
    timezones: list[str] = ["Asia/Shanghai"]


class AssignIn(BaseModel):
    collector: str | None = None
    agency_id: str | None = None


class EventIn(BaseModel):
    kind: Literal[
        "dispute",
        "dispute_resolved",
        "cease_request",
        "attorney",
        "employer_prohibits",
        "unreachable",
        "reachable",
        "time_barred",
        "opt_out",
        "inconvenient_time",
    ]
    detail: dict[str, Any] = {}


class ConsentIn(BaseModel):
    person_id: str
    channel: ChannelName
    starts_at: datetime
    ends_at: datetime | None = None


class PromiseIn(BaseModel):
    amount: Decimal = Field(..., gt=0)
    due_date: date


class PromiseUpdate(BaseModel):
    status: Literal["kept", "broken", "rescheduled"]
    new_due_date: date | None = None


class PlanIn(BaseModel):
    instalments: list[dict[str, Any]] = Field(..., min_length=1, description="[{due_date, amount}]")


class PolicyIn(BaseModel):
    pack: Literal["cn", "us-regf"]
    overrides: dict[str, dict[str, Any]] = {}


def _bad(exc: InputError) -> HTTPException:
    return HTTPException(422, str(exc))


def _case_out(case: dict[str, Any]) -> dict[str, Any]:
    return {**case, "timezones": [z for z in str(case["timezones"]).split(";") if z]}


@router.post("/contacts:check", summary="Decide contact scenarios (the `policy check` contract)")
def check_contacts(
    principal: CurrentPrincipal,
    container: AppContainer,
    body: Any = Body(..., description="one scenario or an array (see docs/policy.md)"),
    pack: Literal["cn", "us-regf"] | None = Query(None, description="default: the institution's pack"),
) -> list[dict[str, object]]:
    try:
        return service(container).check_scenarios(principal, body, pack)
    except InputError as exc:
        raise _bad(exc) from None


@router.get("/policy", summary="The institution's pack, tightenings and rules")
def get_policy(principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).policy(principal)


@router.put("/policy", summary="Choose and tighten the pack (compliance); loosening is refused with 422")
def put_policy(body: PolicyIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    try:
        return service(container).set_policy(principal, body.pack, body.overrides)
    except InputError as exc:
        raise _bad(exc) from None


@router.get("/cases", summary="Open cases of my institution")
def list_cases(
    principal: CurrentPrincipal,
    container: AppContainer,
    mine: bool = False,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    return [_case_out(c) for c in service(container).cases(principal, mine=mine, limit=limit, offset=offset)]


@router.post("/cases", status_code=201, summary="Open a case for an overdue debt")
def open_case(body: CaseIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    values = {**body.model_dump(), "timezones": ";".join(body.timezones)}
    return _case_out(service(container).open_case(principal, values))


@router.get("/cases/{case_id}", summary="One case with promises, plans and events")
def get_case(case_id: int, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return _case_out(service(container).case(principal, case_id))


@router.post("/cases/{case_id}/assign", summary="Assign a case to a collector and/or an agency")
def assign(case_id: int, body: AssignIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return _case_out(service(container).assign(principal, case_id, collector=body.collector, agency_id=body.agency_id))


@router.post("/cases/{case_id}/events", summary="Record a dispute, cease request, attorney, opt-out...")
def add_event(case_id: int, body: EventIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    try:
        return _case_out(service(container).record_event(principal, case_id, body.kind, body.detail))
    except (InputError, KeyError) as exc:
        raise HTTPException(422, f"bad event detail: {exc}") from None


@router.post("/cases/{case_id}/consents", status_code=204, summary="A person's consent to be contacted (agreed time)")
def add_consent(case_id: int, body: ConsentIn, principal: CurrentPrincipal, container: AppContainer) -> None:
    service(container).add_consent(principal, case_id, body.person_id, body.channel, body.starts_at, body.ends_at)


@router.post("/cases/{case_id}/contacts:check", summary="Decide a planned contact against the stored history")
def check_case_contact(
    case_id: int, body: ContactIn, principal: CurrentPrincipal, container: AppContainer
) -> dict[str, Any]:
    try:
        return service(container).check(principal, case_id, body.model_dump(exclude={"at"}), body.at)
    except InputError as exc:
        raise _bad(exc) from None


@router.post(
    "/cases/{case_id}/attempts",
    status_code=201,
    summary="Record a contact attempt; 409 with the reasons when the policy blocks it",
    responses={409: {"description": "blocked by the contact policy; body has `detail` and `decision`"}},
)
def record_attempt(case_id: int, body: AttemptIn, principal: CurrentPrincipal, container: AppContainer) -> Any:
    try:
        return service(container).record_attempt(principal, case_id, body.model_dump())
    except ContactBlocked as exc:
        return JSONResponse({"detail": str(exc), "decision": exc.decision}, status_code=409)
    except InputError as exc:
        raise _bad(exc) from None


@router.post("/cases/{case_id}/promises", status_code=201, summary="A promise to pay")
def add_promise(case_id: int, body: PromiseIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).add_promise(principal, case_id, body.amount, body.due_date)


@router.patch("/promises/{promise_id}", summary="Mark a promise kept, broken or rescheduled")
def settle_promise(
    promise_id: int, body: PromiseUpdate, principal: CurrentPrincipal, container: AppContainer
) -> dict[str, Any]:
    try:
        return service(container).settle_promise(principal, promise_id, body.status, body.new_due_date)
    except InputError as exc:
        raise _bad(exc) from None


@router.post("/cases/{case_id}/plans", status_code=201, summary="A payment plan")
def add_plan(case_id: int, body: PlanIn, principal: CurrentPrincipal, container: AppContainer) -> list[dict[str, Any]]:
    return service(container).add_plan(principal, case_id, body.instalments)


@router.get("/cases/{case_id}/designated-contacts", summary="People the borrower named with consent (privacy service)")
def designated_contacts(case_id: int, principal: CurrentPrincipal, container: AppContainer) -> list[dict[str, Any]]:
    found = service(container).designated_contacts(principal, case_id)
    return [c.__dict__ if hasattr(c, "__dict__") else dict(c) for c in found]


@router.get("/queue", summary="My work queue: open cases, due first, each with the next allowed call and SMS")
def work_queue(
    principal: CurrentPrincipal, container: AppContainer, limit: int = Query(100, ge=1, le=500)
) -> list[dict[str, Any]]:
    return [_case_out(c) for c in service(container).work_queue(principal, limit)]


@router.get("/blocked", summary="Attempts the policy refused, with reasons (supervisors, compliance)")
def blocked(
    principal: CurrentPrincipal,
    container: AppContainer,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    return service(container).blocked_attempts(principal, limit, offset)
