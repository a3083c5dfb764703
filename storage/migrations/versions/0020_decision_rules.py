"""decision rules over members: the quorum a proposal opened with, how many members were
counted when it closed (None: closed before, judged by the answers alone), "no quorum", the
second member of an early close, hidden answers, and review dates

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("quorum", sa.Float(), nullable=True))
        batch.add_column(sa.Column("members_counted", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("no_quorum", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("seconded_by", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("review_after", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("review_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_as", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        for column in (
            "reviewed_as",
            "review_of",
            "review_after",
            "hidden",
            "seconded_by",
            "no_quorum",
            "members_counted",
            "quorum",
        ):
            batch.drop_column(column)
