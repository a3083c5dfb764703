"""tombstones: erasing a note or a budget entry blanks it (a note's text, an entry's
amount and description) and keeps who erased it (`deleted_by`) beside when

Notes and entries erased before this revision kept their text and amount: they are
blanked here. Who erased them is read from the carried-out request for a second member
that erased them, where one is found (the member who seconded it).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The two-member rule's action for each table (handlers/ledger.py).
_ACTIONS = {"delete note": "notes", "delete budget entry": "budget_entries"}


def _erased_by() -> None:
    """`deleted_by` of rows erased before this revision: who seconded the request that
    erased them (the first such request carried out, if two asked for one row)."""
    conn = op.get_bind()
    requests = conn.execute(
        sa.text(
            "SELECT collective_id, action, payload, seconded_by FROM second_requests "
            "WHERE carried_out_at IS NOT NULL AND seconded_by IS NOT NULL "
            "AND action IN ('delete note', 'delete budget entry') "
            "ORDER BY carried_out_at, id"
        )
    ).all()
    for collective_id, action, payload, seconded_by in requests:
        try:
            row_id = int(json.loads(payload)["id"])
        except (ValueError, TypeError, KeyError):
            continue
        conn.execute(
            sa.text(
                f"UPDATE {_ACTIONS[action]} SET deleted_by = :by WHERE id = :id "
                "AND collective_id = :c AND deleted_at IS NOT NULL AND deleted_by IS NULL"
            ),
            {"by": seconded_by, "id": row_id, "c": collective_id},
        )


def upgrade() -> None:
    for table in ("notes", "budget_entries"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("deleted_by", sa.String(length=255), nullable=True))
    op.execute("UPDATE notes SET text = '' WHERE deleted_at IS NOT NULL")
    op.execute("UPDATE budget_entries SET amount_cents = 0, what = '' WHERE deleted_at IS NOT NULL")
    _erased_by()


def downgrade() -> None:
    # What an erased note said, or an erased entry's amount, is gone for good.
    for table in ("budget_entries", "notes"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("deleted_by")
