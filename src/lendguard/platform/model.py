"""Pure domain of the platform kernel: institutions, roles and the acting principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class InstitutionKind(StrEnum):
    """What an institution is; every row of every table belongs to exactly one."""

    LENDER = "lender"
    CREDIT_BUREAU = "credit_bureau"
    INDUSTRY_BODY = "industry_body"
    COLLECTION_AGENCY = "collection_agency"
    REGULATOR = "regulator"


class Role(StrEnum):
    """What a user may do inside their institution."""

    COLLECTOR = "collector"
    SUPERVISOR = "supervisor"
    COMPLIANCE = "compliance"
    ANALYST = "analyst"
    ADMIN = "admin"
    GATEWAY_CLIENT = "gateway_client"
    BORROWER = "borrower"
    REGULATOR = "regulator"


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user of one institution with a set of roles.

    Every service call takes the principal and scopes its reads and writes to ``institution_id``.
    """

    user_id: int
    institution_id: int
    username: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    subject_id: str | None = None  # set for borrower users: the pseudonymous borrower they are

    def has(self, *roles: Role) -> bool:
        """True when the principal holds any of ``roles`` (admins hold every role inside their tenant)."""
        return Role.ADMIN in self.roles or any(r in self.roles for r in roles)


class PermissionDenied(Exception):
    """The principal lacks a role the operation needs."""


class NotFound(Exception):
    """No such row in the principal's institution (rows of other tenants are reported the same way)."""


class Conflict(Exception):
    """The request contradicts the current state (duplicate name, blocked action...)."""


def require(principal: Principal, *roles: Role) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` holds one of ``roles``."""
    if not principal.has(*roles):
        wanted = ", ".join(sorted(r.value for r in roles))
        raise PermissionDenied(f"requires one of the roles: {wanted}")
