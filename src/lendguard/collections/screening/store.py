"""Table and repository of the institution-specific stricter screening terms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.platform.db import BigIntId, metadata
from lendguard.platform.model import Conflict, NotFound
from lendguard.platform.store import UTC_TS

screening_terms = sa.Table(
    "screening_terms",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("category", sa.String(32), nullable=False, comment="screening category the term belongs to"),
    sa.Column("term", sa.String(100), nullable=False, comment="the stricter term (always blocks)"),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.UniqueConstraint("institution_id", "category", "term", name="uq_screening_terms_institution_term"),
)

_COLUMNS = (
    screening_terms.c.id,
    screening_terms.c.category,
    screening_terms.c.term,
    screening_terms.c.created_by,
    screening_terms.c.created_at,
)


class TermRepository:
    """Every query is scoped to one institution: another tenant's term is "not found"."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, institution_id: int, category: str, term: str, created_by: str, at: datetime) -> dict[str, Any]:
        """Insert a term; a duplicate in the same institution is a :class:`Conflict`."""
        exists = self.conn.execute(
            sa.select(screening_terms.c.id).where(
                screening_terms.c.institution_id == institution_id,
                screening_terms.c.category == category,
                screening_terms.c.term == term,
            )
        ).first()
        if exists is not None:
            raise Conflict(f"term {term!r} already exists in category {category}")
        new_id = self.conn.execute(
            screening_terms.insert().values(
                institution_id=institution_id, category=category, term=term, created_by=created_by, created_at=at
            )
        ).inserted_primary_key
        assert new_id is not None
        return self.get(institution_id, int(new_id[0]))

    def get(self, institution_id: int, term_id: int) -> dict[str, Any]:
        row = self.conn.execute(
            sa.select(*_COLUMNS).where(
                screening_terms.c.institution_id == institution_id, screening_terms.c.id == term_id
            )
        ).first()
        if row is None:
            raise NotFound(f"no screening term {term_id}")
        return dict(row._mapping)

    def all(self, institution_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            sa.select(*_COLUMNS)
            .where(screening_terms.c.institution_id == institution_id)
            .order_by(screening_terms.c.category, screening_terms.c.term)
        )
        return [dict(r._mapping) for r in rows]

    def remove(self, institution_id: int, term_id: int) -> dict[str, Any]:
        found = self.get(institution_id, term_id)
        self.conn.execute(
            screening_terms.delete().where(
                screening_terms.c.institution_id == institution_id, screening_terms.c.id == term_id
            )
        )
        return found
