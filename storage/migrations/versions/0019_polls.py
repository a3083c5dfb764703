"""polls: native Matrix polls (`!poll`), their options, and members' answers while open

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("on_close", sa.String(length=64), nullable=True),
        sa.Column("ref", sa.String(length=255), nullable=True),
        sa.Column("answered", sa.Integer(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        _fk("polls", "collective_id", "collectives"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
        sa.UniqueConstraint("collective_id", "number", name=op.f("uq_polls_collective_id")),
    )
    op.create_index("ix_polls_collective_closed", "polls", ["collective_id", "closed_at"])
    op.create_index(op.f("ix_polls_event_id"), "polls", ["event_id"], unique=False)
    op.create_table(
        "poll_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=True),
        _fk("poll_options", "poll_id", "polls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_options")),
        sa.UniqueConstraint("poll_id", "number", name=op.f("uq_poll_options_poll_id")),
    )
    op.create_table(
        "poll_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        _fk("poll_responses", "poll_id", "polls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_responses")),
        sa.UniqueConstraint("poll_id", "user_id", name=op.f("uq_poll_responses_poll_id")),
    )
    op.create_index(op.f("ix_poll_responses_poll_id"), "poll_responses", ["poll_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_poll_responses_poll_id"), table_name="poll_responses")
    op.drop_table("poll_responses")
    op.drop_table("poll_options")
    op.drop_index(op.f("ix_polls_event_id"), table_name="polls")
    op.drop_index("ix_polls_collective_closed", table_name="polls")
    op.drop_table("polls")
