"""Use cases of the kernel: institutions, users, login and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from lendguard.platform.audit import AuditLog
from lendguard.platform.audit_model import AuditEvent
from lendguard.platform.clock import Clock
from lendguard.platform.credentials import (
    hash_api_key,
    hash_password,
    new_api_key,
    split_api_key,
    verify_password,
)
from lendguard.platform.db import reading
from lendguard.platform.model import Conflict, InstitutionKind, Principal, Role, require
from lendguard.platform.store import (
    ApiKeyRepository,
    InstitutionRepository,
    UserRepository,
    roles_from_text,
)


@dataclass(frozen=True)
class IssuedApiKey:
    """A freshly created API key; ``key`` is shown once and never stored."""

    id: int
    name: str
    prefix: str
    key: str


def _principal_from_row(row: dict[str, Any]) -> Principal:
    return Principal(
        user_id=row["id"],
        institution_id=row["institution_id"],
        username=row["username"],
        roles=roles_from_text(row["roles"]),
        subject_id=row["subject_id"],
    )


class TenancyService:
    """Institutions, users and credentials. Reads and writes are scoped to the acting principal."""

    def __init__(self, engine: Engine, clock: Clock, audit: AuditLog, password_cost: int) -> None:
        self.engine = engine
        self.password_cost = password_cost
        self.clock = clock
        self.audit = audit
        # Bumped after every committed revocation or (de)activation: API-key caches (``deps``) drop
        # what they cached under an older version, so this process refuses a revoked key at once.
        self.credentials_version = 0

    # -- set-up (CLI, world loader, tests): no principal, the operator is trusted ------------------
    def create_institution(self, code: str, name: str, kind: InstitutionKind) -> int:
        """Create an institution; refuses a duplicate code."""
        with self.engine.begin() as conn:
            repo = InstitutionRepository(conn)
            if repo.by_code(code) is not None:
                raise Conflict(f"institution code {code!r} exists")
            now = self.clock.now()
            institution_id = repo.add(code, name, kind, now)
            self.audit.append(
                conn,
                institution_id,
                AuditEvent(
                    actor="system",
                    action="institution.create",
                    object_type="institution",
                    object_id=str(institution_id),
                    detail={"code": code, "kind": kind.value},
                ),
                now,
            )
            return institution_id

    def create_user(
        self,
        institution_id: int,
        username: str,
        password: str | None,
        roles: set[Role] | frozenset[Role],
        display_name: str | None = None,
        subject_id: str | None = None,
        password_hash: str | None = None,
    ) -> int:
        """Create a user in an institution; refuses a duplicate username.

        Give either ``password`` or a ``password_hash`` from :meth:`hash_password` (the demo loader
        hashes its one shared password once instead of once per user).
        """
        if not roles:
            raise ValueError("a user needs at least one role")
        if (password is None) == (password_hash is None):
            raise ValueError("give exactly one of password and password_hash")
        with self.engine.begin() as conn:
            repo = UserRepository(conn)
            if repo.by_username(username) is not None:
                raise Conflict(f"username {username!r} is taken")
            InstitutionRepository(conn).get(institution_id)
            now = self.clock.now()
            user_id = repo.add(
                institution_id,
                username,
                display_name or username,
                password_hash or self.hash_password(password or ""),
                frozenset(roles),
                now,
                subject_id,
            )
            self.audit.append(
                conn,
                institution_id,
                AuditEvent(
                    actor="system",
                    action="user.create",
                    object_type="user",
                    object_id=str(user_id),
                    detail={"roles": sorted(r.value for r in roles)},
                ),
                now,
            )
            return user_id

    def hash_password(self, password: str) -> str:
        """A scrypt hash of ``password`` at the configured cost."""
        return hash_password(password, self.password_cost)

    def institutions(self) -> list[dict[str, Any]]:
        """Every institution (operator view)."""
        with reading(self.engine) as conn:
            return InstitutionRepository(conn).all()

    def institution_by_code(self, code: str) -> dict[str, Any] | None:
        with reading(self.engine) as conn:
            return InstitutionRepository(conn).by_code(code)

    # -- authentication ---------------------------------------------------------------------------
    def login(self, username: str, password: str) -> Principal | None:
        """The principal for a correct, active username and password; else None."""
        with reading(self.engine) as conn:
            row = UserRepository(conn).by_username(username)
        if row is None or not row["active"] or not verify_password(password, row["password_hash"]):
            return None
        return _principal_from_row(row)

    def principal_for_user(self, user_id: int) -> Principal | None:
        """Rebuild the principal of a page session; None when the user is gone or inactive."""
        with reading(self.engine) as conn:
            row = UserRepository(conn).by_id_unscoped(user_id)
        return _principal_from_row(row) if row and row["active"] else None

    def principal_for_api_key(self, full_key: str) -> Principal | None:
        """The owner of a valid, unrevoked API key; else None."""
        prefix = split_api_key(full_key)
        if prefix is None:
            return None
        # Read-only: through a bare connect() on SQLite this look-up took the write lock outside the
        # gateway's writer queue and stalled its writers (~1 s at the gateway benchmark's p99).
        with reading(self.engine) as conn:
            key = ApiKeyRepository(conn).by_prefix(prefix)
            if key is None or key["revoked_at"] is not None or key["key_hash"] != hash_api_key(full_key):
                return None
            row = UserRepository(conn).by_id_unscoped(key["user_id"])
        return _principal_from_row(row) if row and row["active"] else None

    # -- tenant-scoped operations -------------------------------------------------------------------
    def issue_api_key(self, principal: Principal, name: str, user_id: int | None = None) -> IssuedApiKey:
        """Create an API key for the principal (or, for admins, another user of the same tenant)."""
        owner = principal.user_id
        with self.engine.begin() as conn:
            if user_id is not None and user_id != principal.user_id:
                require(principal, Role.ADMIN)
                owner = UserRepository(conn).get(principal.institution_id, user_id)["id"]
            full, prefix, digest = new_api_key()
            now = self.clock.now()
            key_id = ApiKeyRepository(conn).add(principal.institution_id, owner, name, prefix, digest, now)
            self.audit.append(
                conn,
                principal.institution_id,
                AuditEvent(
                    actor=principal.username,
                    action="api_key.create",
                    object_type="api_key",
                    object_id=str(key_id),
                    detail={"owner": owner, "name": name},
                ),
                now,
            )
        return IssuedApiKey(id=key_id, name=name, prefix=prefix, key=full)

    def api_keys(self, principal: Principal) -> list[dict[str, Any]]:
        require(principal, Role.ADMIN)
        with reading(self.engine) as conn:
            return ApiKeyRepository(conn).list_keys(principal.institution_id)

    def revoke_api_key(self, principal: Principal, key_id: int) -> None:
        require(principal, Role.ADMIN)
        with self.engine.begin() as conn:
            now = self.clock.now()
            ApiKeyRepository(conn).revoke(principal.institution_id, key_id, now)
            self.audit.append(
                conn,
                principal.institution_id,
                AuditEvent(
                    actor=principal.username,
                    action="api_key.revoke",
                    object_type="api_key",
                    object_id=str(key_id),
                ),
                now,
            )
        self.credentials_version += 1

    def users(self, principal: Principal, role: Role | None = None, active: bool | None = None) -> list[dict[str, Any]]:
        require(principal, Role.ADMIN, Role.SUPERVISOR, Role.COMPLIANCE)
        with reading(self.engine) as conn:
            return UserRepository(conn).list_users(principal.institution_id, role=role, active=active)

    def user(self, principal: Principal, user_id: int) -> dict[str, Any]:
        if user_id != principal.user_id:
            require(principal, Role.ADMIN, Role.SUPERVISOR, Role.COMPLIANCE)
        with reading(self.engine) as conn:
            return UserRepository(conn).get(principal.institution_id, user_id)

    def set_users_active(self, principal: Principal, user_ids: list[int], active: bool) -> list[int]:
        """Bulk (de)activation; ids of other tenants are silently not found, never changed."""
        require(principal, Role.ADMIN)
        with self.engine.begin() as conn:
            changed = UserRepository(conn).set_active(principal.institution_id, user_ids, active)
            if changed:
                self.audit.append(
                    conn,
                    principal.institution_id,
                    AuditEvent(
                        actor=principal.username,
                        action="user.set_active",
                        object_type="user",
                        detail={"ids": changed, "active": active},
                    ),
                    self.clock.now(),
                )
        self.credentials_version += 1
        return changed
