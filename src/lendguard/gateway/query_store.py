"""The gateway's repository of authorisations, the query log and the audit outbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lendguard.gateway.tables import audit_outbox, authorisations, queries, row_dict

# Statements of the query path, built once (see ``client_store``).
_P = sa.bindparam
AUTHORISATION_BY_REF = authorisations.select().where(
    authorisations.c.institution_id == _P("inst"), authorisations.c.ref == _P("ref")
)
USE_AUTHORISATION = (
    authorisations.update()
    .where(
        authorisations.c.institution_id == _P("inst"),
        authorisations.c.ref == _P("auth_ref"),
        authorisations.c.uses < authorisations.c.max_uses,
        authorisations.c.revoked_at.is_(None),
    )
    .values(uses=authorisations.c.uses + 1)
)
UNUSE_AUTHORISATION = (
    authorisations.update()
    .where(authorisations.c.institution_id == _P("inst"), authorisations.c.ref == _P("auth_ref"))
    .values(uses=authorisations.c.uses - 1)
)
INSERT_QUERY = queries.insert()
# Takes the bureau's queued events in one round trip: the subquery locks them in id order (so two
# batches queue on the first row instead of deadlocking; the second then skips what the first
# deleted), the DELETE removes them and returns them (RETURNING keeps no order: sorted by the caller).
TAKE_OUTBOX = (
    audit_outbox.delete()
    .where(
        audit_outbox.c.id.in_(
            sa.select(audit_outbox.c.id)
            .where(audit_outbox.c.institution_id == _P("inst"))
            .order_by(audit_outbox.c.id)
            .with_for_update()
        )
    )
    .returning(audit_outbox.c.id, audit_outbox.c.at, audit_outbox.c.event)
)


class QueryStore:
    """Authorisations, query lines and queued audit events of one bureau; every statement filters on
    institution_id."""

    conn: Connection

    # -- authorisations -----------------------------------------------------------------------------
    def add_authorisation(self, institution_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(authorisations.insert().values(institution_id=institution_id, **values))

    def authorisation(self, institution_id: int, ref: str) -> dict[str, Any] | None:
        row = self.conn.execute(AUTHORISATION_BY_REF, {"inst": institution_id, "ref": ref}).first()
        return row_dict(row) if row else None

    def authorisations_of(self, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            authorisations.select()
            .where(authorisations.c.institution_id == institution_id, authorisations.c.borrower_ref == borrower_ref)
            .order_by(authorisations.c.issued_at)
        )
        return [row_dict(r) for r in rows]

    def use_authorisation(self, institution_id: int, ref: str) -> bool:
        """Count one use if any remains and it is not revoked (conditional, so never over-used)."""
        return self.conn.execute(USE_AUTHORISATION, {"inst": institution_id, "auth_ref": ref}).rowcount == 1

    def unuse_authorisation(self, institution_id: int, ref: str) -> None:
        """Give back a use counted earlier in this transaction (the row is still ours until commit)."""
        self.conn.execute(UNUSE_AUTHORISATION, {"inst": institution_id, "auth_ref": ref})

    def revoke_authorisation(self, institution_id: int, ref: str, at: datetime) -> bool:
        result = self.conn.execute(
            authorisations.update()
            .where(
                authorisations.c.institution_id == institution_id,
                authorisations.c.ref == ref,
                authorisations.c.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        return result.rowcount == 1

    # -- queries and the audit outbox -----------------------------------------------------------------
    def add_query(self, institution_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(INSERT_QUERY, {**values, "institution_id": institution_id})

    def take_outbox(self, institution_id: int) -> list[dict[str, Any]]:
        """Remove and return the bureau's queued audit events, oldest first (gone for good only when
        the caller's transaction commits: a batch that fails leaves them queued)."""
        rows = [row_dict(r) for r in self.conn.execute(TAKE_OUTBOX, {"inst": institution_id})]
        return sorted(rows, key=lambda row: int(row["id"]))

    def add_queries(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(queries.insert(), batch)
        return len(batch)

    def query_by_idempotency(self, institution_id: int, client_id: int, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            queries.select().where(
                queries.c.institution_id == institution_id,
                queries.c.client_id == client_id,
                queries.c.idempotency_key == key,
            )
        ).first()
        return row_dict(row) if row else None

    def query_log(
        self,
        institution_id: int,
        client_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        query = queries.select().where(queries.c.institution_id == institution_id)
        if client_id is not None:
            query = query.where(queries.c.client_id == client_id)
        if start is not None:
            query = query.where(queries.c.at >= start)
        if end is not None:
            query = query.where(queries.c.at < end)
        query = query.order_by(queries.c.at, queries.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [row_dict(r) for r in self.conn.execute(query)]
