"""power levels and attachments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 13:59:22.079249
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.add_column(sa.Column("power_levels", sa.Text(), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("attachment_type", sa.String(length=64), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("attachment_type")
        batch_op.drop_column("attachment")

    with op.batch_alter_table("collectives", schema=None) as batch_op:
        batch_op.drop_column("power_levels")
