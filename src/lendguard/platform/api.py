"""HTTP API of the kernel: who am I, users of my institution, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from lendguard.platform.deps import AppContainer, CurrentPrincipal
from lendguard.platform.model import Role
from lendguard.platform.store import roles_from_text

router = APIRouter(prefix="/v1", tags=["platform"])


class Me(BaseModel):
    user_id: int
    username: str
    institution_id: int
    roles: list[Role]


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[Role]
    active: bool
    created_at: datetime


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    user_id: int | None = Field(None, description="Owner (admins only); default the caller.")


class ApiKeyCreated(BaseModel):
    id: int
    name: str
    prefix: str
    key: str = Field(description="The secret key. Shown once; only its hash is stored.")


class ApiKeyOut(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class BulkActive(BaseModel):
    user_ids: list[int] = Field(max_length=1000)
    active: bool


class BulkResult(BaseModel):
    changed: list[int] = Field(description="Ids actually changed; ids of other institutions never are.")


def _user_out(row: dict[str, Any]) -> UserOut:
    return UserOut(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        roles=sorted(roles_from_text(row["roles"])),
        active=row["active"],
        created_at=row["created_at"],
    )


@router.get("/me", response_model=Me, summary="The authenticated principal")
def me(principal: CurrentPrincipal) -> Me:
    return Me(
        user_id=principal.user_id,
        username=principal.username,
        institution_id=principal.institution_id,
        roles=sorted(principal.roles),
    )


@router.get("/users", response_model=list[UserOut], summary="Users of the caller's institution")
def list_users(
    principal: CurrentPrincipal, container: AppContainer, role: Role | None = None, active: bool | None = None
) -> list[UserOut]:
    return [_user_out(r) for r in container.tenancy.users(principal, role=role, active=active)]


@router.get("/users/{user_id}", response_model=UserOut, summary="One user of the caller's institution")
def get_user(user_id: int, principal: CurrentPrincipal, container: AppContainer) -> UserOut:
    return _user_out(container.tenancy.user(principal, user_id))


@router.post("/users:set-active", response_model=BulkResult, summary="Activate or deactivate users in bulk")
def set_users_active(body: BulkActive, principal: CurrentPrincipal, container: AppContainer) -> BulkResult:
    return BulkResult(changed=container.tenancy.set_users_active(principal, body.user_ids, body.active))


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (the secret is returned once)",
)
def create_api_key(body: ApiKeyIn, principal: CurrentPrincipal, container: AppContainer) -> ApiKeyCreated:
    issued = container.tenancy.issue_api_key(principal, body.name, body.user_id)
    return ApiKeyCreated(id=issued.id, name=issued.name, prefix=issued.prefix, key=issued.key)


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="API keys of the institution (no secrets)")
def list_api_keys(principal: CurrentPrincipal, container: AppContainer) -> list[ApiKeyOut]:
    return [ApiKeyOut(**row) for row in container.tenancy.api_keys(principal)]


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key")
def revoke_api_key(key_id: int, principal: CurrentPrincipal, container: AppContainer) -> None:
    container.tenancy.revoke_api_key(principal, key_id)
