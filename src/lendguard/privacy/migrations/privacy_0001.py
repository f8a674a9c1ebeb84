"""privacy: personal data, consent ledger, requests

Revision ID: privacy_0001
Revises: None
Create Date: 2026-11-26T06:08:26+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "privacy_0001"
down_revision = None
branch_labels = ("privacy",)
depends_on = "platform_0001"


def upgrade() -> None:
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("consent_ref", sa.String(length=40), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("notice_version", sa.String(length=40), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("separate", sa.Boolean(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False, comment="signed JSON receipt given to the borrower"),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_privacy_consents_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_consents")),
        sa.UniqueConstraint("institution_id", "consent_ref", name="uq_privacy_consents_ref"),
    )
    op.create_index("ix_privacy_consents_subject", "privacy_consents", ["institution_id", "subject_ref"], unique=False)
    op.create_table(
        "privacy_contacts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("contact_ref", sa.String(length=40), nullable=False),
        sa.Column("name_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("phone_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("phone_lookup", sa.String(length=64), nullable=False),
        sa.Column("relation", sa.String(length=40), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_privacy_contacts_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_contacts")),
        sa.UniqueConstraint("institution_id", "contact_ref", name="uq_privacy_contacts_ref"),
    )
    op.create_index("ix_privacy_contacts_subject", "privacy_contacts", ["institution_id", "subject_ref"], unique=False)
    op.create_table(
        "privacy_fields",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("lookup", sa.String(length=64), nullable=True, comment="keyed HMAC of the normalised value"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_privacy_fields_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_fields")),
        sa.UniqueConstraint("institution_id", "subject_ref", "field", name="uq_privacy_fields_subject_field"),
    )
    op.create_index("ix_privacy_fields_lookup", "privacy_fields", ["institution_id", "field", "lookup"], unique=False)
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("filed_by", sa.String(length=120), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_privacy_requests_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    op.create_index("ix_privacy_requests_status", "privacy_requests", ["institution_id", "status"], unique=False)
    op.create_table(
        "privacy_subjects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True, comment="NULL once crypto-shredded"),
        sa.Column("kek_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_privacy_subjects_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_subjects")),
        sa.UniqueConstraint("institution_id", "subject_ref", name="uq_privacy_subjects_ref"),
    )
    op.create_index("ix_privacy_subjects_kek", "privacy_subjects", ["kek_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_privacy_subjects_kek", table_name="privacy_subjects")
    op.drop_table("privacy_subjects")
    op.drop_index("ix_privacy_requests_status", table_name="privacy_requests")
    op.drop_table("privacy_requests")
    op.drop_index("ix_privacy_fields_lookup", table_name="privacy_fields")
    op.drop_table("privacy_fields")
    op.drop_index("ix_privacy_contacts_subject", table_name="privacy_contacts")
    op.drop_table("privacy_contacts")
    op.drop_index("ix_privacy_consents_subject", table_name="privacy_consents")
    op.drop_table("privacy_consents")
