"""collections: cases, attempts, blocked attempts, promises, plans, events, contact consents, policies

Revision ID: collections_0001
Revises: None
Create Date: 2026-11-26T06:15:03+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql, sqlite

revision = "collections_0001"
down_revision = None
branch_labels = ("collections",)
depends_on = "platform_0001"


def upgrade() -> None:
    op.create_table(
        "collection_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=True),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column(
            "debt_refs", sa.String(length=400), nullable=False, comment="';'-separated case refs the attempt was about"
        ),
        sa.Column("agency_id", sa.String(length=40), nullable=True),
        sa.Column("collector", sa.String(length=80), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=True, comment="pseudonymous number/address reference"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("initiated_by", sa.String(length=20), server_default="collector", nullable=False),
        sa.Column("purpose", sa.String(length=20), server_default="collection", nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("recording_ref", sa.String(length=120), nullable=True),
        sa.Column("decision", sa.String(length=10), server_default="allow", nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_collection_attempts_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_attempts")),
    )
    op.create_index(
        "ix_collection_attempts_borrower_at",
        "collection_attempts",
        ["institution_id", "borrower_ref", "at"],
        unique=False,
    )
    op.create_table(
        "collection_blocked_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, comment="when the contact was to happen"),
        sa.Column(
            "violations",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_collection_blocked_attempts_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_blocked_attempts")),
    )
    op.create_index(
        "ix_collection_blocked_institution_at",
        "collection_blocked_attempts",
        ["institution_id", "recorded_at"],
        unique=False,
    )
    op.create_table(
        "collection_case_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "detail",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_collection_case_events_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_case_events")),
    )
    op.create_table(
        "collection_cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False, comment="the loan ref: one case per debt"),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("outstanding", sa.Numeric(precision=16, scale=2), server_default="0", nullable=False),
        sa.Column("collector", sa.String(length=80), nullable=True, comment="username of the assigned collector"),
        sa.Column("agency_id", sa.String(length=40), nullable=True, comment="outsourced agency working the case"),
        sa.Column("timezones", sa.String(length=200), nullable=False, comment="';'-separated IANA zones"),
        sa.Column(
            "flags",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
            comment="cease, attorney, dispute, reachability, opt-outs",
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_collection_cases_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_cases")),
        sa.UniqueConstraint("institution_id", "ref", name="uq_collection_cases_institution_ref"),
    )
    op.create_index(
        "ix_collection_cases_borrower", "collection_cases", ["institution_id", "borrower_ref"], unique=False
    )
    op.create_index("ix_collection_cases_collector", "collection_cases", ["institution_id", "collector"], unique=False)
    op.create_table(
        "collection_contact_consents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("borrower_ref", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_collection_contact_consents_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_contact_consents")),
    )
    op.create_table(
        "collection_payment_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column(
            "instalments",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
            comment="[{due_date, amount}]",
        ),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_collection_payment_plans_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_payment_plans")),
    )
    op.create_table(
        "collection_policies",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("pack", sa.String(length=20), nullable=False),
        sa.Column(
            "overrides",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
            .with_variant(sqlite.JSON(), "sqlite"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_collection_policies_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("institution_id", name=op.f("pk_collection_policies")),
    )
    op.create_table(
        "collection_promises",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False, comment="pending, kept, broken, rescheduled"),
        sa.Column("replaces_id", sa.BigInteger(), nullable=True, comment="the promise this one reschedules"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_collection_promises_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_promises")),
    )


def downgrade() -> None:
    op.drop_table("collection_promises")
    op.drop_table("collection_policies")
    op.drop_table("collection_payment_plans")
    op.drop_table("collection_contact_consents")
    op.drop_index("ix_collection_cases_collector", table_name="collection_cases")
    op.drop_index("ix_collection_cases_borrower", table_name="collection_cases")
    op.drop_table("collection_cases")
    op.drop_table("collection_case_events")
    op.drop_index("ix_collection_blocked_institution_at", table_name="collection_blocked_attempts")
    op.drop_table("collection_blocked_attempts")
    op.drop_index("ix_collection_attempts_borrower_at", table_name="collection_attempts")
    op.drop_table("collection_attempts")
