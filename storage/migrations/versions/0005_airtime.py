"""airtime counts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 13:58:09.806914
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "airtime_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_airtime_days_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airtime_days")),
        sa.UniqueConstraint(
            "collective_id", "user_id", "day", name=op.f("uq_airtime_days_collective_id")
        ),
    )
    op.create_table(
        "counted_messages",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("counted_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_counted_messages_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_counted_messages")),
    )
    with op.batch_alter_table("counted_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_counted_messages_counted_at"), ["counted_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("counted_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counted_messages_counted_at"))

    op.drop_table("counted_messages")
    op.drop_table("airtime_days")
