"""circles of shadows run as one session: the step and when it ends

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=True),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("step_ends_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_circles_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circles")),
    )
    op.create_index("ix_circles_collective_ended", "circles", ["collective_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_circles_collective_ended", table_name="circles")
    op.drop_table("circles")
