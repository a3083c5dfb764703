"""decisions, notes, budget and the two-member rule

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:44:32.709386
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("rule", sa.String(length=16), nullable=True),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("closes_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("closed_early", sa.Boolean(), nullable=False),
        sa.Column("adopted_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("tally_agree", sa.Integer(), nullable=True),
        sa.Column("tally_abstain", sa.Integer(), nullable=True),
        sa.Column("tally_object", sa.Integer(), nullable=True),
        sa.Column("tally_block", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_decisions_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("collective_id", "number", name=op.f("uq_decisions_collective_id")),
    )
    op.create_table(
        "decision_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answered_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_answers_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_answers")),
        sa.UniqueConstraint("decision_id", "user_id", name=op.f("uq_decision_answers_decision_id")),
    )
    op.create_table(
        "dissents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_dissents_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dissents")),
    )
    op.create_index(op.f("ix_dissents_decision_id"), "dissents", ["decision_id"], unique=False)
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_notes_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_notes_meeting_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        sa.UniqueConstraint("collective_id", "number", name=op.f("uq_notes_collective_id")),
    )
    op.create_index("ix_notes_collective_at", "notes", ["collective_id", "at"], unique=False)
    op.create_index(op.f("ix_notes_meeting_id"), "notes", ["meeting_id"], unique=False)
    op.create_table(
        "budget_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_budget_entries_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_entries")),
        sa.UniqueConstraint(
            "collective_id", "number", name=op.f("uq_budget_entries_collective_id")
        ),
    )
    op.create_index(
        "ix_budget_entries_collective_at", "budget_entries", ["collective_id", "at"], unique=False
    )
    op.create_table(
        "second_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=255), nullable=True),
        sa.Column("requested_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("seconded_by", sa.String(length=255), nullable=True),
        sa.Column("seconded_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("carried_out_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("lapsed_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_second_requests_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_requests")),
        sa.UniqueConstraint(
            "collective_id", "number", name=op.f("uq_second_requests_collective_id")
        ),
    )


def downgrade() -> None:

    op.drop_table("second_requests")
    op.drop_index("ix_budget_entries_collective_at", table_name="budget_entries")
    op.drop_table("budget_entries")
    op.drop_index(op.f("ix_notes_meeting_id"), table_name="notes")
    op.drop_index("ix_notes_collective_at", table_name="notes")
    op.drop_table("notes")
    op.drop_index(op.f("ix_dissents_decision_id"), table_name="dissents")
    op.drop_table("dissents")
    op.drop_table("decision_answers")
    op.drop_table("decisions")
