"""Tables of the credit-data gateway (SQLAlchemy Core, on the shared metadata). Every row belongs to the
bureau's institution.

Money is stored as integer fen (0.01 yuan) so the conditional ``balance_fen >= price`` update is exact
on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lendguard.platform.db import BigIntId, JsonDoc, metadata
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


def row_dict(row: Any) -> dict[str, Any]:
    """A result row of these tables as a plain dict (what every gateway repository returns)."""
    return dict(row._mapping)
