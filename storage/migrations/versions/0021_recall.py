"""recalls: a proposal to end a role holder's term early, tied to that term, with its outcome

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0021"
down_revision = "0017"
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


def downgrade() -> None:
    op.drop_index(op.f("ix_role_recalls_term_id"), table_name="role_recalls")
    op.drop_table("role_recalls")
