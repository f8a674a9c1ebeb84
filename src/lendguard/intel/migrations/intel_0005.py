"""Ring intelligence: where a held borrower occurs in the ring's notes (offsets, no values)

Revision ID: intel_0005
Revises: intel_0004
Create Date: 2026-11-26T11:50:43+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql, sqlite

revision = "intel_0005"
down_revision = "intel_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intel_erasure_holds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "note_spans",
                sa.JSON()
                .with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
                .with_variant(sqlite.JSON(), "sqlite"),
                nullable=True,
                comment="offsets of the borrower in the ring's notes when held, with each note's SHA-256 (no values)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("intel_erasure_holds", schema=None) as batch_op:
        batch_op.drop_column("note_spans")
