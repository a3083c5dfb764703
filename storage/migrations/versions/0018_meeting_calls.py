"""meeting calls and agendas: meetings called ahead (`!meeting call`, who called it, its
calendar UID, its one reminder), agenda items (who put each forward, planned and used
time, the 80% and 100% notices), and a turn limit on meetings (`!timer`)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0018"  # file 0018_meeting_calls.py: the repo keys revisions by number
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("called_by", sa.String(length=255), nullable=True),
        sa.Column("called_at", UTCDateTime(), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_meeting_calls_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_calls")),
        sa.UniqueConstraint("collective_id", "number", name=op.f("uq_meeting_calls_collective_id")),
    )
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("planned_minutes", sa.Integer(), nullable=True),
        sa.Column("standing", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("added_by", sa.String(length=255), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("dropped_at", UTCDateTime(), nullable=True),
        sa.Column("dropped_by", sa.String(length=255), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("warned_most_at", UTCDateTime(), nullable=True),
        sa.Column("warned_full_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_agenda_items_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_agenda_items_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
    )
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("turn_limit", sa.Integer(), nullable=True))
    with op.batch_alter_table("stack_entries") as batch:
        batch.add_column(sa.Column("told_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stack_entries") as batch:
        batch.drop_column("told_at")
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("turn_limit")
    op.drop_table("agenda_items")
    op.drop_table("meeting_calls")
