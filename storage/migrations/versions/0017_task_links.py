"""task links: a task or a ledger line may be tied to a decision (`for #N`, its
follow-through), and ledger lines of one piece of shared work share a random `joint_id`

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tasks_decision_id_decisions"),
            "decisions",
            ["decision_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("task_completions") as batch:
        batch.add_column(sa.Column("joint_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_task_completions_decision_id_decisions"),
            "decisions",
            ["decision_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_task_completions_joint_id", ["joint_id"])


def downgrade() -> None:
    with op.batch_alter_table("task_completions") as batch:
        batch.drop_index("ix_task_completions_joint_id")
        batch.drop_constraint("fk_task_completions_decision_id_decisions", type_="foreignkey")
        batch.drop_column("decision_id")
        batch.drop_column("joint_id")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("fk_tasks_decision_id_decisions", type_="foreignkey")
        batch.drop_column("decision_id")
