"""sealed reflections: while a round is open its answers are kept sealed (encrypted with a
key outside the database, padded to one size) in `reflection_answers.sealed`; `text` holds
an answer once its round is published

A migration has no configuration, so it cannot reach the key (in `store_path`): answers
kept in plain text before this revision stay readable as they are. The next answer in
their round seals them all (`storage/reflection.py`), and a round already past its last
answer publishes them as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reflection_answers") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
        batch.alter_column("text", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    # A sealed answer cannot be turned back into text here (the key is not reachable), and
    # dropping it would lose it: the downgrade refuses while any is kept.
    sealed = op.get_bind().scalar(
        sa.text("SELECT COUNT(*) FROM reflection_answers WHERE sealed IS NOT NULL")
    )
    if sealed:
        raise RuntimeError(
            f"{sealed} reflection answers are sealed in open rounds; close those rounds "
            "(`!reflect close`) before downgrading below revision 0013"
        )
    op.execute("DELETE FROM reflection_answers WHERE text IS NULL")
    with op.batch_alter_table("reflection_answers") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch.drop_column("sealed")
