"""Ring intelligence: evidence items of erased borrowers redacted when a run is stored

Revision ID: intel_0004
Revises: intel_0003
Create Date: 2026-11-26T11:20:38+00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "intel_0004"
down_revision = "intel_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intel_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "erased_redacted",
                sa.Integer(),
                server_default="0",
                nullable=False,
                comment="evidence items of erased borrowers redacted before the rings were stored",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("intel_runs", schema=None) as batch_op:
        batch_op.drop_column("erased_redacted")
