"""Tables and repositories of the credit-data gateway. Every row belongs to the bureau's institution.

Money is stored as integer fen (0.01 yuan) so the conditional ``balance_fen >= price`` update is exact
on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from lendguard.platform.db import BigIntId, JsonDoc, metadata
from lendguard.platform.model import NotFound
from lendguard.platform.store import UTC_TS

clients = sa.Table(
    "gateway_clients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("lender_institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=True),
    sa.Column("purposes", sa.String(200), nullable=False),
    sa.Column("channels", sa.String(200), nullable=False),
    sa.Column("tiers", JsonDoc, nullable=False),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("topup_total_fen", sa.BigInteger, nullable=False),
    sa.Column("rate_per_second", sa.Integer, nullable=False),
    sa.Column("rate_per_day", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("suspend_reason", sa.String(500), nullable=True),
    sa.Column("second_start", UTC_TS, nullable=True),
    sa.Column("second_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("day_start", UTC_TS, nullable=True),
    sa.Column("day_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_clients_institution_ref"),
    sa.Index("ix_gateway_clients_lender", "lender_institution_id"),
)

authorisations = sa.Table(
    "gateway_authorisations",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=False),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("gateway_clients.id"), nullable=False),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("product", sa.String(20), nullable=False),
    sa.Column("issued_at", UTC_TS, nullable=False),
    sa.Column("expires_at", UTC_TS, nullable=False),
    sa.Column("max_uses", sa.Integer, nullable=False),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("revoked_at", UTC_TS, nullable=True),
    sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_authorisations_institution_ref"),
    sa.Index("ix_gateway_authorisations_borrower", "institution_id", "borrower_ref"),
)

queries = sa.Table(
    "gateway_queries",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=False),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("gateway_clients.id"), nullable=False),
    sa.Column("idempotency_key", sa.String(80), nullable=True),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("authorisation_ref", sa.String(40), nullable=True),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("product", sa.String(20), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False, comment="answered or refused"),
    sa.Column("reason", sa.String(40), nullable=True),
    sa.Column("price_fen", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("tier", sa.String(40), nullable=True),
    sa.Column("response", JsonDoc, nullable=True, comment="answer kept for idempotent replays"),
    sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_queries_institution_ref"),
    sa.UniqueConstraint("client_id", "idempotency_key", name="uq_gateway_queries_client_idem"),
    sa.Index("ix_gateway_queries_client_at", "institution_id", "client_id", "at"),
)

ledger = sa.Table(
    "gateway_ledger",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("gateway_clients.id"), nullable=False),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False, comment="topup or charge"),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("balance_after_fen", sa.BigInteger, nullable=False),
    sa.Column("query_ref", sa.String(40), nullable=True),
    sa.Column("tier", sa.String(40), nullable=True),
    sa.Index("ix_gateway_ledger_client_at", "institution_id", "client_id", "at"),
)

alerts = sa.Table(
    "gateway_alerts",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("gateway_clients.id"), nullable=False),
    sa.Column("rule", sa.String(40), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("evidence", JsonDoc, nullable=False),
    sa.Column("created_at", UTC_TS, nullable=False),
    sa.Index("ix_gateway_alerts_client", "institution_id", "client_id"),
)

credit_records = sa.Table(
    "gateway_credit_records",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("loan_ref", sa.String(40), nullable=False),
    sa.Column("reported_by", sa.String(40), nullable=False, comment="the reporting lender's code"),
    sa.Column("principal_fen", sa.BigInteger, nullable=False),
    sa.Column("instalments_due", sa.Integer, nullable=False),
    sa.Column("paid_on_time", sa.Integer, nullable=False),
    sa.Column("paid_late", sa.Integer, nullable=False),
    sa.Column("unpaid", sa.Integer, nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("outstanding_fen", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.UniqueConstraint("institution_id", "loan_ref", name="uq_gateway_credit_records_loan"),
    sa.Index("ix_gateway_credit_records_borrower", "institution_id", "borrower_ref"),
)

applications = sa.Table(
    "gateway_applications",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("gateway_clients.id"), nullable=False),
    sa.Column("ref", sa.String(40), nullable=False),
    sa.Column("borrower_ref", sa.String(40), nullable=False),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_applications_ref"),
    sa.Index("ix_gateway_applications_client", "institution_id", "client_id"),
)

# Audit events of answered queries on PostgreSQL, written in the query's own transaction and moved onto
# the bureau's hash chain right after commit, in batches (``outbox.AuditOutbox``): the chain head's row
# lock would otherwise serialise every query of the bureau. A row here is an audit entry not yet chained.
audit_outbox = sa.Table(
    "gateway_audit_outbox",
    metadata,
    sa.Column("id", BigIntId, primary_key=True, autoincrement=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("at", UTC_TS, nullable=False),
    sa.Column("event", JsonDoc, nullable=False, comment="actor, action, subject, object, purpose, detail"),
    sa.Index("ix_gateway_audit_outbox_institution", "institution_id", "id"),
)

# Statements of the query path, built once: building a Core expression costs more than running it
# on SQLite, and a prebuilt statement keeps its compiled form and cache key.
_P = sa.bindparam
CLIENT_BY_ID = clients.select().where(clients.c.institution_id == _P("inst"), clients.c.id == _P("cid"))
CLIENT_FOR_UPDATE = CLIENT_BY_ID.with_for_update()
CLIENTS_OF_LENDER = clients.select().where(clients.c.lender_institution_id == _P("lender")).order_by(clients.c.id)
AUTHORISATION_BY_REF = authorisations.select().where(
    authorisations.c.institution_id == _P("inst"), authorisations.c.ref == _P("ref")
)
CREDIT_HISTORY = credit_records.select().where(
    credit_records.c.institution_id == _P("inst"), credit_records.c.borrower_ref == _P("borrower")
)
CHARGE = (
    clients.update()
    .where(clients.c.institution_id == _P("inst"), clients.c.id == _P("cid"), clients.c.balance_fen >= _P("price"))
    .values(
        balance_fen=clients.c.balance_fen - _P("price"),
        second_start=_P("w_second_start", type_=UTC_TS),
        second_count=_P("w_second_count"),
        day_start=_P("w_day_start", type_=UTC_TS),
        day_count=_P("w_day_count"),
    )
)
# The fast path's charge: one conditional UPDATE decides suspension, balance, rate window and tier
# together (``rate_allows`` in SQL: a window that started at another second or day counts from 0) and
# returns the new balance; no row means "take the locked path, which names the reason". SET
# expressions see the old row on both databases. ``topup`` pins the tier the price was read for.
_SECOND = _P("second", type_=UTC_TS)
_DAY = _P("day", type_=UTC_TS)
CHARGE_WITHIN_LIMITS = (
    clients.update()
    .where(
        clients.c.institution_id == _P("inst"),
        clients.c.id == _P("cid"),
        clients.c.status == "active",
        clients.c.balance_fen >= _P("price"),
        clients.c.topup_total_fen == _P("topup"),
        sa.or_(
            clients.c.second_start.is_(None),
            clients.c.second_start != _SECOND,
            clients.c.second_count < _P("per_second"),
        ),
        sa.or_(clients.c.day_start.is_(None), clients.c.day_start != _DAY, clients.c.day_count < _P("per_day")),
    )
    .values(
        balance_fen=clients.c.balance_fen - _P("price"),
        second_count=sa.case((clients.c.second_start == _SECOND, clients.c.second_count + 1), else_=1),
        second_start=_SECOND,
        day_count=sa.case((clients.c.day_start == _DAY, clients.c.day_count + 1), else_=1),
        day_start=_DAY,
    )
    .returning(clients.c.balance_fen)
)
# PostgreSQL: the fast path's whole write in one round trip, so the client's row — locked by the
# first UPDATE until commit, and shared by all of the client's queries — is held for one statement
# and the commit. Each step runs only if the one before changed a row (the charge, then the use,
# then the query line, whose idempotency key may be taken), in the lock order of the locked path:
# client row, authorisation, idempotency key. Returns the new balance (NULL: not charged) and
# whether the query line went in; anything short of both means "roll back, take the locked path".
PG_CHARGE_AND_RECORD = sa.text(
    """
WITH c AS (
    UPDATE gateway_clients SET
        balance_fen = balance_fen - :price,
        second_count = CASE WHEN second_start = :second THEN second_count + 1 ELSE 1 END,
        second_start = :second,
        day_count = CASE WHEN day_start = :day THEN day_count + 1 ELSE 1 END,
        day_start = :day
    WHERE institution_id = :inst AND id = :cid AND status = 'active' AND balance_fen >= :price
        AND topup_total_fen = :topup
        AND (second_start IS NULL OR second_start <> :second OR second_count < :per_second)
        AND (day_start IS NULL OR day_start <> :day OR day_count < :per_day)
    RETURNING balance_fen
), u AS (
    UPDATE gateway_authorisations SET uses = uses + 1
    WHERE institution_id = :inst AND ref = :auth_ref AND uses < max_uses AND revoked_at IS NULL
        AND EXISTS (SELECT 1 FROM c)
    RETURNING 1
), q AS (
    INSERT INTO gateway_queries (institution_id, ref, client_id, idempotency_key, at, borrower_ref,
        authorisation_ref, purpose, channel, product, outcome, reason, price_fen, tier, response)
    SELECT CAST(:inst AS INTEGER), CAST(:ref AS VARCHAR), CAST(:cid AS INTEGER), CAST(:idem AS VARCHAR),
        CAST(:at AS TIMESTAMPTZ), CAST(:borrower AS VARCHAR), CAST(:auth_ref AS VARCHAR),
        CAST(:purpose AS VARCHAR), CAST(:channel AS VARCHAR), CAST(:product AS VARCHAR), 'answered', NULL,
        CAST(:price AS BIGINT), CAST(:tier AS VARCHAR), CAST(:response AS JSONB)
    WHERE EXISTS (SELECT 1 FROM u)
    ON CONFLICT DO NOTHING
    RETURNING 1
), l AS (
    INSERT INTO gateway_ledger (institution_id, client_id, at, kind, amount_fen, balance_after_fen, query_ref, tier)
    SELECT CAST(:inst AS INTEGER), CAST(:cid AS INTEGER), CAST(:at AS TIMESTAMPTZ), 'charge',
        -CAST(:price AS BIGINT), c.balance_fen, CAST(:ref AS VARCHAR), CAST(:tier AS VARCHAR)
    FROM c WHERE EXISTS (SELECT 1 FROM q)
), o AS (
    INSERT INTO gateway_audit_outbox (institution_id, at, event)
    SELECT CAST(:inst AS INTEGER), CAST(:at AS TIMESTAMPTZ), CAST(:event AS JSONB)
    WHERE EXISTS (SELECT 1 FROM q)
)
SELECT (SELECT balance_fen FROM c) AS balance_fen, EXISTS (SELECT 1 FROM q) AS recorded
"""
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
# A query line whose idempotency key is already taken inserts nothing (the unique constraint decides,
# waiting on PostgreSQL for a concurrent holder of the key to commit) instead of a prior SELECT.
# RETURNING tells whether a row went in (rowcount is -1 under PostgreSQL's implicit RETURNING).
INSERT_QUERY_ONCE = {
    "sqlite": sqlite.insert(queries).on_conflict_do_nothing().returning(queries.c.id),
    "postgresql": postgresql.insert(queries).on_conflict_do_nothing().returning(queries.c.id),
}
INSERT_LEDGER = ledger.insert()
INSERT_OUTBOX = audit_outbox.insert()
OUTBOX_OF = (
    audit_outbox.select()
    .where(audit_outbox.c.institution_id == _P("inst"))
    .order_by(audit_outbox.c.id)
    .with_for_update()
)


def _row(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


class GatewayRepository:
    """Reads and writes of one bureau's gateway tables; every statement filters on institution_id."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- clients ----------------------------------------------------------------------------------
    def add_client(self, institution_id: int, values: Mapping[str, Any]) -> int:
        result = self.conn.execute(clients.insert().values(institution_id=institution_id, **values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def client(self, institution_id: int, client_id: int, *, lock: bool = False) -> dict[str, Any]:
        query = clients.select().where(clients.c.institution_id == institution_id, clients.c.id == client_id)
        if lock and self.conn.dialect.name != "sqlite":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        if row is None:
            raise NotFound(f"gateway client {client_id} not found")
        return _row(row)

    def client_by_ref(self, institution_id: int, ref: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            clients.select().where(clients.c.institution_id == institution_id, clients.c.ref == ref)
        ).first()
        return _row(row) if row else None

    def clients(self, institution_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            clients.select().where(clients.c.institution_id == institution_id).order_by(clients.c.ref)
        )
        return [_row(r) for r in rows]

    def clients_of_lender(self, lender_institution_id: int) -> list[dict[str, Any]]:
        """The client rows acting for a lender (prebuilt statement of the query path; no lock)."""
        return [_row(r) for r in self.conn.execute(CLIENTS_OF_LENDER, {"lender": lender_institution_id})]

    def lock_client(self, institution_id: int, client_id: int) -> dict[str, Any]:
        """The client's current row, locked until commit on PostgreSQL (SQLite's writer lock covers it)."""
        query = CLIENT_FOR_UPDATE if self.conn.dialect.name != "sqlite" else CLIENT_BY_ID
        row = self.conn.execute(query, {"inst": institution_id, "cid": client_id}).first()
        if row is None:
            raise NotFound(f"gateway client {client_id} not found")
        return _row(row)

    def charge(self, institution_id: int, client_id: int, price_fen: int, window: Mapping[str, Any]) -> bool:
        """Debit ``price_fen`` and store the rate window, only if the balance covers the price."""
        params = {
            "inst": institution_id,
            "cid": client_id,
            "price": price_fen,
            **{f"w_{k}": v for k, v in window.items()},
        }
        return self.conn.execute(CHARGE, params).rowcount == 1

    def charge_within_limits(
        self,
        institution_id: int,
        client_id: int,
        price_fen: int,
        *,
        topup_total_fen: int,
        windows: tuple[datetime, datetime],
        limits: tuple[int, int],
    ) -> int | None:
        """Debit and count one query if the client is active, the balance covers ``price_fen``, the
        rate windows starting at ``windows`` have room under ``limits`` (per second, per day) and the
        top-ups still total ``topup_total_fen``; return the new balance, or None (nothing changed)."""
        params = {
            "inst": institution_id,
            "cid": client_id,
            "price": price_fen,
            "topup": topup_total_fen,
            "second": windows[0],
            "day": windows[1],
            "per_second": limits[0],
            "per_day": limits[1],
        }
        row = self.conn.execute(CHARGE_WITHIN_LIMITS, params).first()
        return None if row is None else int(row[0])

    def charge_and_record_pg(
        self,
        line: Mapping[str, Any],
        event: Mapping[str, Any],
        *,
        topup_total_fen: int,
        windows: tuple[datetime, datetime],
        limits: tuple[int, int],
    ) -> int | None:
        """PostgreSQL, one round trip: charge (as :meth:`charge_within_limits`), count the use, insert
        the query ``line``, its ledger line and its audit ``event`` into the outbox. Returns the new
        balance, or None when any step did not happen (the caller must roll back)."""
        params = {
            "inst": line["institution_id"],
            "cid": line["client_id"],
            "price": line["price_fen"],
            "topup": topup_total_fen,
            "second": windows[0],
            "day": windows[1],
            "per_second": limits[0],
            "per_day": limits[1],
            "auth_ref": line["authorisation_ref"],
            "ref": line["ref"],
            "idem": line["idempotency_key"],
            "at": line["at"],
            "borrower": line["borrower_ref"],
            "purpose": line["purpose"],
            "channel": line["channel"],
            "product": line["product"],
            "tier": line["tier"],
            "response": json.dumps(line["response"]),
            "event": json.dumps(dict(event)),
        }
        row = self.conn.execute(PG_CHARGE_AND_RECORD, params).one()
        return int(row.balance_fen) if row.balance_fen is not None and row.recorded else None

    def clients_serving(self, lender_institution_id: int) -> list[dict[str, Any]]:
        """Client records (of any bureau) that act for a lender institution: how a lender finds its client."""
        rows = self.conn.execute(
            clients.select().where(clients.c.lender_institution_id == lender_institution_id).order_by(clients.c.id)
        )
        return [_row(r) for r in rows]

    def update_client(self, institution_id: int, client_id: int, **values: Any) -> None:
        self.conn.execute(
            clients.update()
            .where(clients.c.institution_id == institution_id, clients.c.id == client_id)
            .values(**values)
        )

    def credit(self, institution_id: int, client_id: int, amount_fen: int) -> None:
        self.conn.execute(
            clients.update()
            .where(clients.c.institution_id == institution_id, clients.c.id == client_id)
            .values(
                balance_fen=clients.c.balance_fen + amount_fen,
                topup_total_fen=clients.c.topup_total_fen + amount_fen,
            )
        )

    # -- authorisations -----------------------------------------------------------------------------
    def add_authorisation(self, institution_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(authorisations.insert().values(institution_id=institution_id, **values))

    def authorisation(self, institution_id: int, ref: str) -> dict[str, Any] | None:
        row = self.conn.execute(AUTHORISATION_BY_REF, {"inst": institution_id, "ref": ref}).first()
        return _row(row) if row else None

    def authorisations_of(self, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            authorisations.select()
            .where(authorisations.c.institution_id == institution_id, authorisations.c.borrower_ref == borrower_ref)
            .order_by(authorisations.c.issued_at)
        )
        return [_row(r) for r in rows]

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

    # -- queries and ledger -------------------------------------------------------------------------
    def add_query(self, institution_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(INSERT_QUERY, {**values, "institution_id": institution_id})

    def add_query_once(self, institution_id: int, values: Mapping[str, Any]) -> bool:
        """Insert a query line unless its idempotency key is taken; True when inserted."""
        statement = INSERT_QUERY_ONCE[self.conn.dialect.name]
        return self.conn.execute(statement, {**values, "institution_id": institution_id}).first() is not None

    def add_outbox(self, institution_id: int, at: datetime, event: Mapping[str, Any]) -> None:
        """Queue one audit event for the bureau's chain (same transaction as the change it records)."""
        self.conn.execute(INSERT_OUTBOX, {"institution_id": institution_id, "at": at, "event": dict(event)})

    def take_outbox(self, institution_id: int) -> list[dict[str, Any]]:
        """The bureau's queued audit events, oldest first, locked (a concurrent drainer waits, then
        skips what this one deleted)."""
        return [_row(r) for r in self.conn.execute(OUTBOX_OF, {"inst": institution_id})]

    def delete_outbox(self, ids: list[int]) -> None:
        self.conn.execute(audit_outbox.delete().where(audit_outbox.c.id.in_(ids)))

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
        return _row(row) if row else None

    def add_ledger(self, institution_id: int, values: Mapping[str, Any]) -> None:
        self.conn.execute(INSERT_LEDGER, {**values, "institution_id": institution_id})

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
        return [_row(r) for r in self.conn.execute(query)]

    def ledger_of(
        self, institution_id: int, client_id: int, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        query = ledger.select().where(ledger.c.institution_id == institution_id, ledger.c.client_id == client_id)
        if start is not None:
            query = query.where(ledger.c.at >= start)
        if end is not None:
            query = query.where(ledger.c.at < end)
        return [_row(r) for r in self.conn.execute(query.order_by(ledger.c.at, ledger.c.id))]

    # -- bureau data, applications, alerts ----------------------------------------------------------
    def add_credit_records(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(credit_records.insert(), batch)
        return len(batch)

    def credit_history(self, institution_id: int, borrower_ref: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(CREDIT_HISTORY, {"inst": institution_id, "borrower": borrower_ref})
        return [_row(r) for r in rows]

    def add_applications(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(applications.insert(), batch)
        return len(batch)

    def applications_of(self, institution_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(applications.select().where(applications.c.institution_id == institution_id))
        return [_row(r) for r in rows]

    def replace_alerts(self, institution_id: int, rows: Iterable[Mapping[str, Any]]) -> int:
        self.conn.execute(alerts.delete().where(alerts.c.institution_id == institution_id))
        batch = [{**r, "institution_id": institution_id} for r in rows]
        if batch:
            self.conn.execute(alerts.insert(), batch)
        return len(batch)

    def alerts(self, institution_id: int, client_id: int | None = None) -> list[dict[str, Any]]:
        query = alerts.select().where(alerts.c.institution_id == institution_id)
        if client_id is not None:
            query = query.where(alerts.c.client_id == client_id)
        return [_row(r) for r in self.conn.execute(query.order_by(alerts.c.score.desc(), alerts.c.id))]
