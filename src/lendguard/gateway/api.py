"""HTTP API of the credit-data gateway under ``/v1/gateway``.

``POST /v1/gateway/queries`` is the lender's endpoint (role ``gateway_client``); the rest is the
bureau's administration (clients, authorisations, suspension, statements, abuse alerts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field, TypeAdapter
from starlette.concurrency import run_in_threadpool

from lendguard.gateway.model import Channel, PriceTier, Product, Purpose, QueryRequest, parse_tiers
from lendguard.gateway.outcomes import QueryRefused
from lendguard.gateway.wiring import service
from lendguard.platform.deps import AppContainer, CurrentPrincipal
from lendguard.platform.json_body import openapi_extra, read_json_body

router = APIRouter(prefix="/v1/gateway", tags=["gateway"])


@contextmanager
def bad_input() -> Iterator[None]:
    """Turn the service's ValueError (bad amount, past expiry...) into a 422 naming the problem."""
    try:
        yield
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


class QueryIn(BaseModel):
    token: str = Field(description="The borrower's authorisation token issued by the bureau.")
    borrower_ref: str
    purpose: Purpose
    product: Product
    channel: Channel


class QueryOut(BaseModel):
    query_id: str
    client: str
    borrower_ref: str
    product: str
    purpose: str
    price: Decimal
    balance: Decimal
    result: dict[str, Any]
    replayed: bool


class Refused(BaseModel):
    detail: str
    reason: str
    query_id: str | None


class TierIn(BaseModel):
    product: Product
    min_topup: Decimal = Field(ge=0)
    price: Decimal = Field(ge=0)


class ClientIn(BaseModel):
    ref: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    lender_code: str | None = Field(None, description="Code of the lender institution the client serves.")
    purposes: list[Purpose] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    tiers: list[TierIn] | None = Field(None, description="Price tiers; default 1.00/0.90/0.80 (score).")
    prepaid: Decimal = Field(Decimal(0), ge=0)
    rate_per_second: int | None = Field(None, gt=0)
    rate_per_day: int | None = Field(None, gt=0)


class ClientOut(BaseModel):
    id: int
    ref: str
    name: str
    lender_institution_id: int | None
    purposes: list[str]
    channels: list[str]
    tiers: list[dict[str, str]]
    balance: Decimal
    topup_total: Decimal
    rate_per_second: int
    rate_per_day: int
    status: str
    suspend_reason: str | None


class AmountIn(BaseModel):
    amount: Decimal = Field(gt=0)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class AuthorisationIn(BaseModel):
    client_ref: str
    borrower_ref: str
    purpose: Purpose
    product: Product
    expires_at: datetime
    max_uses: int = Field(1, ge=1, le=10_000)


class AuthorisationOut(BaseModel):
    id: str
    token: str
    client_ref: str
    borrower_ref: str
    purpose: str
    product: str
    expires_at: datetime
    max_uses: int


# The query endpoint's one header, validated as a ``Header(max_length=80)`` parameter would be.
QUERY_HEADERS: dict[str, TypeAdapter[Any]] = {
    "idempotency-key": TypeAdapter(Annotated[str, Field(max_length=80)] | None),
}


@router.post(
    "/queries",
    response_model=QueryOut,
    responses={
        400: {"model": Refused},
        402: {"model": Refused},
        403: {"model": Refused},
        404: {"model": Refused},
        429: {"model": Refused},
    },
    openapi_extra=openapi_extra(QueryIn, QUERY_HEADERS),
    summary="Query a borrower's score or report with their authorisation (billed when answered)",
)
async def post_query(principal: CurrentPrincipal, http: Request) -> JSONResponse:
    # The hot path: the body (``QueryIn``) and the Idempotency-Key header are read by hand — FastAPI's
    # generic parameter solving cost more than the rest of the request's framework work (see
    # ``platform.json_body``); the query itself runs in the threadpool as a plain ``def`` would.
    body, headers = await read_json_body(http, QueryIn, QUERY_HEADERS)
    request = QueryRequest(body.borrower_ref, body.purpose, body.product, body.channel)
    gateway = service(http.app.state.container)  # the container straight from the app: no dependency
    try:
        result = await run_in_threadpool(gateway.query, principal, body.token, request, headers["idempotency-key"])
    except QueryRefused as exc:
        refused = {"detail": str(exc), "reason": exc.reason.value, "query_id": exc.query_ref}
        return JSONResponse(refused, status_code=exc.status)
    # A plain JSONResponse of QueryOut's shape (prices as the decimal strings QueryOut serialises to):
    # re-validating our own result through the model cost more than the rest of the response.
    # ``response_model`` still documents it.
    content: dict[str, Any] = {
        "query_id": result.query_ref,
        "client": result.client_ref,
        "borrower_ref": result.borrower_ref,
        "product": result.product,
        "purpose": result.purpose,
        "price": result.price,
        "balance": result.balance,
        "result": result.answer,
        "replayed": result.replayed,
    }
    return JSONResponse(content)


@router.get("/clients", response_model=list[ClientOut], summary="Clients of my bureau, or the client I act as")
def list_clients(principal: CurrentPrincipal, container: AppContainer) -> list[dict[str, Any]]:
    return service(container).clients(principal)


@router.post("/clients", response_model=ClientOut, status_code=201, summary="Register a lender client (bureau admin)")
def create_client(body: ClientIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    tiers: tuple[PriceTier, ...] | None = None
    if body.tiers:
        tiers = parse_tiers(
            [{"product": t.product.value, "min_topup": str(t.min_topup), "price": str(t.price)} for t in body.tiers]
        )
    extra: dict[str, Any] = {"tiers": tiers} if tiers else {}
    with bad_input():
        return service(container).create_client(
            principal,
            ref=body.ref,
            name=body.name,
            lender_code=body.lender_code,
            purposes=body.purposes,
            channels=body.channels,
            prepaid=body.prepaid,
            rate_per_second=body.rate_per_second,
            rate_per_day=body.rate_per_day,
            **extra,
        )


@router.get("/clients/{client_id}", response_model=ClientOut, summary="One client")
def get_client(client_id: int, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).client(principal, client_id)


@router.post("/clients/{client_id}/topup", response_model=ClientOut, summary="Add prepaid balance (bureau admin)")
def topup(client_id: int, body: AmountIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    with bad_input():
        return service(container).topup(principal, client_id, body.amount)


@router.post("/clients/{client_id}/suspend", response_model=ClientOut, summary="Suspend a client (compliance)")
def suspend(client_id: int, body: ReasonIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).set_suspended(principal, client_id, True, body.reason)


@router.post("/clients/{client_id}/reinstate", response_model=ClientOut, summary="Reinstate a client (compliance)")
def reinstate(client_id: int, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    return service(container).set_suspended(principal, client_id, False)


@router.get("/clients/{client_id}/statement", summary="Usage, charges by tier, balance history, refusals by reason")
def statement(
    client_id: int,
    principal: CurrentPrincipal,
    container: AppContainer,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    return service(container).statement(principal, client_id, start, end)


@router.get("/clients/{client_id}/statement.csv", response_class=PlainTextResponse, summary="Statement as CSV")
def statement_csv(
    client_id: int,
    principal: CurrentPrincipal,
    container: AppContainer,
    start: datetime | None = None,
    end: datetime | None = None,
) -> PlainTextResponse:
    text = service(container).statement_csv(principal, client_id, start, end)
    headers = {"Content-Disposition": f'attachment; filename="statement-{client_id}.csv"'}
    return PlainTextResponse(text, media_type="text/csv", headers=headers)


@router.post(
    "/authorisations",
    response_model=AuthorisationOut,
    status_code=201,
    summary="Issue a borrower's signed authorisation of one client (bureau staff or the borrower)",
)
def issue(body: AuthorisationIn, principal: CurrentPrincipal, container: AppContainer) -> dict[str, Any]:
    with bad_input():
        return service(container).issue_authorisation(
            principal,
            client_ref=body.client_ref,
            borrower_ref=body.borrower_ref,
            purpose=body.purpose,
            product=body.product,
            expires_at=body.expires_at,
            max_uses=body.max_uses,
        )


@router.delete("/authorisations/{ref}", status_code=204, summary="Revoke an authorisation (immediate)")
def revoke(ref: str, principal: CurrentPrincipal, container: AppContainer) -> None:
    service(container).revoke_authorisation(principal, ref)


@router.get("/borrowers/{borrower_ref}/authorisations", summary="A borrower's authorisations")
def borrower_authorisations(
    borrower_ref: str, principal: CurrentPrincipal, container: AppContainer
) -> list[dict[str, Any]]:
    return service(container).authorisations(principal, borrower_ref)


@router.get("/alerts", summary="Abuse and resale alerts of the last detection run (compliance, analyst)")
def list_alerts(principal: CurrentPrincipal, container: AppContainer) -> list[dict[str, Any]]:
    return service(container).alerts(principal)


@router.post("/alerts/run", summary="Run abuse and resale detection over my bureau's query log")
def run_alerts(principal: CurrentPrincipal, container: AppContainer) -> list[dict[str, Any]]:
    return service(container).run_detection(principal)


@router.get("/public-key", summary="The bureau's Ed25519 public key (hex) that verifies its tokens")
def public_key(
    container: AppContainer, bureau: Annotated[str, Query(description="Institution code of the bureau.")]
) -> dict[str, str]:
    return {"bureau": bureau, "alg": "Ed25519", "public_key": service(container).public_key_of(bureau)}


# The benchmark's baseline: the same score with no checks at all. It is NOT in API_MODULES and is
# only mounted by benchmarks/gateway.py on its own app, so no deployed server exposes it.
baseline_router = APIRouter(prefix="/v1/gateway-baseline", tags=["benchmark"])


@baseline_router.get("/score/{bureau_id}/{borrower_ref}", summary="Benchmark baseline: score without checks")
def baseline_score(bureau_id: int, borrower_ref: str, request: Request) -> dict[str, Any]:
    svc = service(request.app.state.container)
    # Read as the checked path's fast path reads (SQLite: no write lock; PostgreSQL: autocommit, no
    # BEGIN or ROLLBACK round trip), so that the two differ by the checks only.
    with svc.lock_free_reads() as conn:
        answer = svc.provider.answer(conn, bureau_id, borrower_ref, Product.SCORE)
    return {"borrower_ref": borrower_ref, "result": answer}
