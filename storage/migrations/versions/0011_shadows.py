"""shadows: gallery walks (patterns, and members' dots while a walk is open), structural
experiments, trust audit sprints

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "gallery_walks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=True),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("period_last", sa.Date(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=255), nullable=True),
        sa.Column("reactors", sa.Integer(), nullable=True),
        _fk("gallery_walks", "collective_id", "collectives"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gallery_walks")),
    )
    op.create_index(
        "ix_gallery_walks_collective_ended", "gallery_walks", ["collective_id", "ended_at"]
    )
    op.create_table(
        "gallery_patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("walk_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("red", sa.Integer(), nullable=True),
        sa.Column("blue", sa.Integer(), nullable=True),
        sa.Column("green", sa.Integer(), nullable=True),
        _fk("gallery_patterns", "walk_id", "gallery_walks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gallery_patterns")),
        sa.UniqueConstraint("walk_id", "number", name=op.f("uq_gallery_patterns_walk_id")),
    )
    op.create_index(
        op.f("ix_gallery_patterns_event_id"), "gallery_patterns", ["event_id"], unique=False
    )
    op.create_table(
        "gallery_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        _fk("gallery_marks", "pattern_id", "gallery_patterns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gallery_marks")),
        sa.UniqueConstraint("event_id", name=op.f("uq_gallery_marks_event_id")),
    )
    op.create_index(
        op.f("ix_gallery_marks_pattern_id"), "gallery_marks", ["pattern_id"], unique=False
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("duration", sa.String(length=8), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=True),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("review_number", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(), nullable=True),
        _fk("experiments", "collective_id", "collectives"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("collective_id", "number", name=op.f("uq_experiments_collective_id")),
    )
    op.create_table(
        "trust_sprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=True),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ended_by", sa.String(length=255), nullable=True),
        sa.Column("ended_at", storage.types.UTCDateTime(), nullable=True),
        _fk("trust_sprints", "collective_id", "collectives"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_sprints")),
    )


def downgrade() -> None:
    op.drop_table("trust_sprints")
    op.drop_table("experiments")
    op.drop_index(op.f("ix_gallery_marks_pattern_id"), table_name="gallery_marks")
    op.drop_table("gallery_marks")
    op.drop_index(op.f("ix_gallery_patterns_event_id"), table_name="gallery_patterns")
    op.drop_table("gallery_patterns")
    op.drop_index("ix_gallery_walks_collective_ended", table_name="gallery_walks")
    op.drop_table("gallery_walks")
