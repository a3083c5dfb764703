"""access register: who holds access to which of the collective's resources (a bank
account, a domain registrar, the space's keys), never the secret itself

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_holdings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("resource", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("added_by", sa.String(length=255), nullable=True),
        sa.Column("added_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collective_id"],
            ["collectives.id"],
            name=op.f("fk_access_holdings_collective_id_collectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_holdings")),
        sa.UniqueConstraint(
            "collective_id",
            "resource",
            "user_id",
            name=op.f("uq_access_holdings_collective_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("access_holdings")
