"""rituals: direct chats, reflection rounds, campaigns and check-ins, entry sprints,
!forgetme; direct messages in the outbox; "a former member" in the labour ledger, the
audit log, role terms and meetings

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

RANDOM_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FORMER = (  # columns that become NULL ("a former member") on !forgetme
    ("task_completions", "user_id"),
    ("audit_log", "actor"),
    ("role_terms", "user_id"),
    ("meetings", "started_by"),
)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("direct_to", sa.String(length=255), nullable=True))
    for table, column in FORMER:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=255), nullable=True)

    op.create_table(
        "direct_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=True),
        sa.Column("focus_collective_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=True),
        _fk("direct_chats", "focus_collective_id", "collectives", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_direct_chats")),
        sa.UniqueConstraint("user_id", name=op.f("uq_direct_chats_user_id")),
    )
    op.create_table(
        "reflection_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("prompts", sa.Text(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("remind_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("reminded_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answered", sa.Integer(), nullable=True),
        _fk("reflection_rounds", "collective_id", "collectives", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_rounds")),
    )
    op.create_index(
        "ix_reflection_rounds_collective_closed",
        "reflection_rounds",
        ["collective_id", "closed_at"],
    )
    op.create_table(
        "reflection_asked",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        _fk("reflection_asked", "round_id", "reflection_rounds", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_asked")),
        sa.UniqueConstraint("round_id", "user_id", name=op.f("uq_reflection_asked_round_id")),
    )
    op.create_table(
        "reflection_answers",
        sa.Column("id", RANDOM_KEY, autoincrement=False, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _fk("reflection_answers", "round_id", "reflection_rounds", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_answers")),
    )
    op.create_index(
        op.f("ix_reflection_answers_round_id"), "reflection_answers", ["round_id"], unique=False
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        _fk("campaigns", "collective_id", "collectives", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("green", sa.Integer(), nullable=True),
        sa.Column("yellow", sa.Integer(), nullable=True),
        sa.Column("red", sa.Integer(), nullable=True),
        sa.Column("unanswered", sa.Integer(), nullable=True),
        _fk("checkins", "collective_id", "collectives", "CASCADE"),
        _fk("checkins", "campaign_id", "campaigns", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    op.create_index(op.f("ix_checkins_campaign_id"), "checkins", ["campaign_id"], unique=False)
    op.create_table(
        "checkin_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        _fk("checkin_answers", "checkin_id", "checkins", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_answers")),
        sa.UniqueConstraint("checkin_id", "user_id", name=op.f("uq_checkin_answers_checkin_id")),
    )
    op.create_table(
        "entry_sprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("reviewed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        _fk("entry_sprints", "collective_id", "collectives", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_sprints")),
    )
    op.create_index(
        "ix_entry_sprints_collective_user", "entry_sprints", ["collective_id", "user_id"]
    )
    op.create_table(
        "forget_requests",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_forget_requests")),
    )


def downgrade() -> None:
    op.drop_table("forget_requests")
    op.drop_index("ix_entry_sprints_collective_user", table_name="entry_sprints")
    op.drop_table("entry_sprints")
    op.drop_table("checkin_answers")
    op.drop_index(op.f("ix_checkins_campaign_id"), table_name="checkins")
    op.drop_table("checkins")
    op.drop_table("campaigns")
    op.drop_index(op.f("ix_reflection_answers_round_id"), table_name="reflection_answers")
    op.drop_table("reflection_answers")
    op.drop_table("reflection_asked")
    op.drop_index("ix_reflection_rounds_collective_closed", table_name="reflection_rounds")
    op.drop_table("reflection_rounds")
    op.drop_table("direct_chats")
    # The column is required again: a former member is written as an empty user id.
    for table, column in FORMER:
        op.execute(sa.text(f"UPDATE {table} SET {column} = '' WHERE {column} IS NULL"))
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=255), nullable=False)
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("direct_to")
