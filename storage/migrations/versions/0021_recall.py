"""recalls: a proposal to end a role holder's term early, tied to that term, with its
outcome; experiment reviews answered keep, change or drop

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "role_recalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=True),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("asked_by", sa.String(length=255), nullable=True),
        sa.Column("proposal_number", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.Column("next_holder", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_role_recalls_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["roles.id"],
            name=op.f("fk_role_recalls_role_id_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["role_terms.id"],
            name=op.f("fk_role_recalls_term_id_role_terms"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_recalls")),
    )
    op.create_index(op.f("ix_role_recalls_term_id"), "role_recalls", ["term_id"])
    with op.batch_alter_table("experiments") as batch:
        batch.add_column(sa.Column("review_closes_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("outcome_how", sa.Text(), nullable=True))
        batch.add_column(sa.Column("follows", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("continued_as", sa.Integer(), nullable=True))
    op.create_table(
        "experiment_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("how", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_answers_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_answers")),
        sa.UniqueConstraint(
            "experiment_id", "user_id", name=op.f("uq_experiment_answers_experiment_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("experiment_answers")
    with op.batch_alter_table("experiments") as batch:
        batch.drop_column("continued_as")
        batch.drop_column("follows")
        batch.drop_column("outcome_how")
        batch.drop_column("review_closes_at")
    op.drop_index(op.f("ix_role_recalls_term_id"), table_name="role_recalls")
    op.drop_table("role_recalls")
