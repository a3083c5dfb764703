"""accounts: which bot account serves each room, sends each queued message and holds each
direct chat, so several bot processes can share one database; the device each account
last ran as

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# A database used before this revision served one account: the one with a sync token.
_ONLY_ACCOUNT = (
    "UPDATE {table} SET account = (SELECT account FROM sync_tokens) "
    "WHERE account IS NULL AND (SELECT COUNT(*) FROM sync_tokens) = 1"
)


def upgrade() -> None:
    for table in ("collectives", "outbox"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("account", sa.String(length=255), nullable=True))
            batch.create_index(f"ix_{table}_account", ["account"])
    with op.batch_alter_table("direct_chats") as batch:
        batch.add_column(sa.Column("account", sa.String(length=255), nullable=True))
        batch.drop_constraint("uq_direct_chats_user_id", type_="unique")
        batch.create_unique_constraint("uq_direct_chats_account", ["account", "user_id"])
    with op.batch_alter_table("sync_tokens") as batch:
        batch.add_column(sa.Column("device_id", sa.String(length=255), nullable=True))
    for table in ("collectives", "outbox", "direct_chats"):
        op.execute(_ONLY_ACCOUNT.format(table=table))
    # Otherwise (no token yet, or a user id changed once): each room is claimed by the
    # account that finds itself in it; a queued message goes with its room.
    op.execute(
        "UPDATE outbox SET account = (SELECT c.account FROM collectives c "
        "WHERE c.room_id = outbox.room_id) WHERE account IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("sync_tokens") as batch:
        batch.drop_column("device_id")
    with op.batch_alter_table("direct_chats") as batch:
        batch.drop_constraint("uq_direct_chats_account", type_="unique")
        batch.create_unique_constraint("uq_direct_chats_user_id", ["user_id"])
        batch.drop_column("account")
    for table in ("outbox", "collectives"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_account")
            batch.drop_column("account")
