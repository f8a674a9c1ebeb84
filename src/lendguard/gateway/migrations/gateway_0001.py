"""gateway: clients, authorisations, queries, ledger, alerts, bureau data

Revision ID: gateway_0001
Revises: None
Create Date: 2026-11-26T06:09:21+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql, sqlite

revision = "gateway_0001"
down_revision = None
branch_labels = ("gateway",)
depends_on = "platform_0001"


def upgrade() -> None:
    op.create_table(
        "gateway_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lender_institution_id", sa.Integer(), nullable=True),
        sa.Column("purposes", sa.String(length=200), nullable=False),
        sa.Column("channels", sa.String(length=200), nullable=False),
        sa.Column(
            "tiers",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("topup_total_fen", sa.BigInteger(), nullable=False),
        sa.Column("rate_per_second", sa.Integer(), nullable=False),
        sa.Column("rate_per_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("suspend_reason", sa.String(length=500), nullable=True),
        sa.Column("second_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("second_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("day_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("day_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_clients_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(
            ["lender_institution_id"],
            ["institutions.id"],
            name=op.f("fk_gateway_clients_lender_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_clients")),
        sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_clients_institution_ref"),
    )
    op.create_index("ix_gateway_clients_lender", "gateway_clients", ["lender_institution_id"], unique=False)
    op.create_table(
        "gateway_credit_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("loan_ref", sa.String(length=40), nullable=False),
        sa.Column("reported_by", sa.String(length=40), nullable=False, comment="the reporting lender's code"),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("instalments_due", sa.Integer(), nullable=False),
        sa.Column("paid_on_time", sa.Integer(), nullable=False),
        sa.Column("paid_late", sa.Integer(), nullable=False),
        sa.Column("unpaid", sa.Integer(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("outstanding_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_credit_records_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_credit_records")),
        sa.UniqueConstraint("institution_id", "loan_ref", name="uq_gateway_credit_records_loan"),
    )
    op.create_index(
        "ix_gateway_credit_records_borrower", "gateway_credit_records", ["institution_id", "borrower_ref"], unique=False
    )
    op.create_table(
        "gateway_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["gateway_clients.id"], name=op.f("fk_gateway_alerts_client_id_gateway_clients")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_alerts_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_alerts")),
    )
    op.create_index("ix_gateway_alerts_client", "gateway_alerts", ["institution_id", "client_id"], unique=False)
    op.create_table(
        "gateway_applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["gateway_clients.id"], name=op.f("fk_gateway_applications_client_id_gateway_clients")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_applications_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_applications")),
        sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_applications_ref"),
    )
    op.create_index(
        "ix_gateway_applications_client", "gateway_applications", ["institution_id", "client_id"], unique=False
    )
    op.create_table(
        "gateway_authorisations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["gateway_clients.id"], name=op.f("fk_gateway_authorisations_client_id_gateway_clients")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_authorisations_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_authorisations")),
        sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_authorisations_institution_ref"),
    )
    op.create_index(
        "ix_gateway_authorisations_borrower", "gateway_authorisations", ["institution_id", "borrower_ref"], unique=False
    )
    op.create_table(
        "gateway_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="topup or charge"),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("query_ref", sa.String(length=40), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["gateway_clients.id"], name=op.f("fk_gateway_ledger_client_id_gateway_clients")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_ledger_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_ledger")),
    )
    op.create_index(
        "ix_gateway_ledger_client_at", "gateway_ledger", ["institution_id", "client_id", "at"], unique=False
    )
    op.create_table(
        "gateway_queries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("authorisation_ref", sa.String(length=40), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False, comment="answered or refused"),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("price_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column(
            "response",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=True,
            comment="answer kept for idempotent replays",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["gateway_clients.id"], name=op.f("fk_gateway_queries_client_id_gateway_clients")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_gateway_queries_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_queries")),
        sa.UniqueConstraint("client_id", "idempotency_key", name="uq_gateway_queries_client_idem"),
        sa.UniqueConstraint("institution_id", "ref", name="uq_gateway_queries_institution_ref"),
    )
    op.create_index(
        "ix_gateway_queries_client_at", "gateway_queries", ["institution_id", "client_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_gateway_queries_client_at", table_name="gateway_queries")
    op.drop_table("gateway_queries")
    op.drop_index("ix_gateway_ledger_client_at", table_name="gateway_ledger")
    op.drop_table("gateway_ledger")
    op.drop_index("ix_gateway_authorisations_borrower", table_name="gateway_authorisations")
    op.drop_table("gateway_authorisations")
    op.drop_index("ix_gateway_applications_client", table_name="gateway_applications")
    op.drop_table("gateway_applications")
    op.drop_index("ix_gateway_alerts_client", table_name="gateway_alerts")
    op.drop_table("gateway_alerts")
    op.drop_index("ix_gateway_credit_records_borrower", table_name="gateway_credit_records")
    op.drop_table("gateway_credit_records")
    op.drop_index("ix_gateway_clients_lender", table_name="gateway_clients")
    op.drop_table("gateway_clients")
