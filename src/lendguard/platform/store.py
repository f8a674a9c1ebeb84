"""Tables and repositories of the platform kernel: institutions, users, API keys, the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.platform.db import BigIntId, metadata
from lendguard.platform.model import InstitutionKind, NotFound, Role

UTC_TS = sa.DateTime(timezone=True)

institutions = sa.Table(
    "institutions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True),
    sa.Column("username", sa.String(120), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("roles", sa.String(255), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", UTC_TS, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False, index=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Column("revoked_at", UTC_TS, nullable=True),
)

# Append-only. ``seq`` numbers the entries of one institution's chain; ``prev_hash``/``entry_hash``
# let the audit module chain each entry to the one before it over a canonical encoding of the row.
event_log = sa.Table(
    "event_log",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("action", sa.String(80), nullable=False),
    sa.Column("subject_ref", sa.String(80), nullable=True),
    sa.Column("object_type", sa.String(80), nullable=True),
    sa.Column("object_id", sa.String(80), nullable=True),
    sa.Column("purpose", sa.String(80), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("institution_id", "seq", name="uq_event_log_institution_seq"),
    sa.Index("ix_event_log_subject", "institution_id", "subject_ref"),
)


def roles_to_text(roles: frozenset[Role] | set[Role]) -> str:
    """Store roles as a sorted comma list."""
    return ",".join(sorted(r.value for r in roles))


def roles_from_text(text: str) -> frozenset[Role]:
    """Parse the stored comma list."""
    return frozenset(Role(r) for r in text.split(",") if r)


class InstitutionRepository:
    """Institutions; only admins of the platform create them (via CLI or the world loader)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, code: str, name: str, kind: InstitutionKind, now: datetime) -> int:
        result = self.conn.execute(institutions.insert().values(code=code, name=name, kind=kind.value, created_at=now))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def by_code(self, code: str) -> dict[str, Any] | None:
        row = self.conn.execute(sa.select(institutions).where(institutions.c.code == code)).mappings().first()
        return dict(row) if row else None

    def get(self, institution_id: int) -> dict[str, Any]:
        row = self.conn.execute(sa.select(institutions).where(institutions.c.id == institution_id)).mappings().first()
        if row is None:
            raise NotFound(f"institution {institution_id}")
        return dict(row)

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sa.select(institutions).order_by(institutions.c.id)).mappings()]


class UserRepository:
    """Users of one institution. Every method takes the tenant and filters by it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        institution_id: int,
        username: str,
        display_name: str,
        password_hash: str,
        roles: frozenset[Role],
        now: datetime,
        subject_id: str | None = None,
    ) -> int:
        result = self.conn.execute(
            users.insert().values(
                institution_id=institution_id,
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                roles=roles_to_text(roles),
                subject_id=subject_id,
                active=True,
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def by_username(self, username: str) -> dict[str, Any] | None:
        """Look a user up for login (the only unscoped read: the username picks the tenant)."""
        row = self.conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        return dict(row) if row else None

    def by_id_unscoped(self, user_id: int) -> dict[str, Any] | None:
        """Resolve a session or API key owner; callers then act inside that user's tenant."""
        row = self.conn.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
        return dict(row) if row else None

    def get(self, institution_id: int, user_id: int) -> dict[str, Any]:
        row = (
            self.conn.execute(sa.select(users).where(users.c.id == user_id, users.c.institution_id == institution_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"user {user_id}")
        return dict(row)

    def list_users(
        self, institution_id: int, role: Role | None = None, active: bool | None = None
    ) -> list[dict[str, Any]]:
        query = sa.select(users).where(users.c.institution_id == institution_id).order_by(users.c.id)
        if active is not None:
            query = query.where(users.c.active == active)
        rows = [dict(r) for r in self.conn.execute(query).mappings()]
        if role is not None:
            rows = [r for r in rows if role in roles_from_text(r["roles"])]
        return rows

    def set_active(self, institution_id: int, user_ids: list[int], active: bool) -> list[int]:
        """Change ``active`` for those of ``user_ids`` that belong to the tenant; return the ids changed."""
        owned = [
            r[0]
            for r in self.conn.execute(
                sa.select(users.c.id).where(users.c.institution_id == institution_id, users.c.id.in_(user_ids))
            )
        ]
        if owned:
            self.conn.execute(
                users.update()
                .where(users.c.institution_id == institution_id, users.c.id.in_(owned))
                .values(active=active)
            )
        return sorted(owned)


class ApiKeyRepository:
    """API keys, stored only as SHA-256 hashes of the secret part."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, institution_id: int, user_id: int, name: str, prefix: str, key_hash: str, now: datetime) -> int:
        result = self.conn.execute(
            api_keys.insert().values(
                institution_id=institution_id,
                user_id=user_id,
                name=name,
                prefix=prefix,
                key_hash=key_hash,
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def by_prefix(self, prefix: str) -> dict[str, Any] | None:
        row = self.conn.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix)).mappings().first()
        return dict(row) if row else None

    def list_keys(self, institution_id: int) -> list[dict[str, Any]]:
        query = (
            sa.select(
                api_keys.c.id,
                api_keys.c.user_id,
                api_keys.c.name,
                api_keys.c.prefix,
                api_keys.c.created_at,
                api_keys.c.revoked_at,
            )
            .where(api_keys.c.institution_id == institution_id)
            .order_by(api_keys.c.id)
        )
        return [dict(r) for r in self.conn.execute(query).mappings()]

    def revoke(self, institution_id: int, key_id: int, now: datetime) -> None:
        result = self.conn.execute(
            api_keys.update()
            .where(api_keys.c.id == key_id, api_keys.c.institution_id == institution_id)
            .values(revoked_at=now)
        )
        if result.rowcount == 0:
            raise NotFound(f"api key {key_id}")
