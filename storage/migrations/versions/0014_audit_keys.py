"""audit keys: the audit log keeps an action key, its parameters and the ids of the members
it concerns (audit_members), not an English sentence with names in it; budget currencies
of up to 16 characters ("time credits")

Rows written before this revision become `legacy` entries: their words are kept as they
were, and every user id in them moves into audit_members, so that forgetting a member
nulls the id there instead of rewriting text.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# A Matrix user id: @localpart:server, with an optional port.
USER_ID = re.compile(r"@[A-Za-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::\d+)?(?![\w.-])")
BOT_ACTORS = ("the bot", "rotation")


# Old sentences whose detail, after its first ": ", quoted a display name ("taken by
# Alice"), an amount or what money was for: only the part before it is kept, so no name
# outlives `!forgetme` and an erased budget entry leaves nothing of itself in the log.
CUT_AFTER_COLON = (
    "asked",
    "seconded",
    "recorded spending",
    "recorded income",
    "removed budget entry",
)


def legacy_parts(action: str, detail: str) -> tuple[list[object], list[str]]:
    """The old sentence as text pieces and member references ({"m": role}), and the user
    ids the references stand for, in order."""
    if action in CUT_AFTER_COLON:
        detail = re.split(r":(?=\s)", detail, maxsplit=1)[0]
    text = f"{action} {detail}".strip()
    parts: list[object] = []
    ids: list[str] = []
    at = 0
    for found in USER_ID.finditer(text):
        if found.start() > at:
            parts.append(text[at : found.start()])
        parts.append({"m": f"m{len(ids)}"})
        ids.append(found.group(0))
        at = found.end()
    if at < len(text):
        parts.append(text[at:])
    return parts, ids


def upgrade() -> None:
    op.create_table(
        "audit_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["audit_log.id"],
            name=op.f("fk_audit_members_entry_id_audit_log"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_members")),
    )
    op.create_index(op.f("ix_audit_members_entry_id"), "audit_members", ["entry_id"])
    op.create_index(op.f("ix_audit_members_user_id"), "audit_members", ["user_id"])
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(
            sa.Column("automatic", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("params", sa.Text(), nullable=True))
        batch.create_index(op.f("ix_audit_log_actor"), ["actor"])
    bind = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("actor", sa.String),
        sa.column("automatic", sa.Boolean),
        sa.column("action", sa.String),
        sa.column("detail", sa.Text),
        sa.column("params", sa.Text),
    )
    members = sa.table(
        "audit_members",
        sa.column("entry_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("user_id", sa.String),
    )
    rows = bind.execute(sa.select(log.c.id, log.c.actor, log.c.action, log.c.detail)).all()
    for entry_id, actor, action, detail in rows:
        parts, ids = legacy_parts(action or "", detail or "")
        automatic = actor in BOT_ACTORS
        bind.execute(
            log.update()
            .where(log.c.id == entry_id)
            .values(
                actor=None if automatic else actor,
                automatic=automatic,
                action="legacy",
                params=json.dumps({"parts": parts}, ensure_ascii=False),
            )
        )
        for i, user_id in enumerate(ids):
            bind.execute(members.insert().values(entry_id=entry_id, role=f"m{i}", user_id=user_id))
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("params", existing_type=sa.Text(), nullable=False)
        batch.drop_column("detail")
    with op.batch_alter_table("budget_entries") as batch:
        batch.alter_column(
            "currency", existing_type=sa.String(length=8), type_=sa.String(length=16)
        )


def downgrade() -> None:
    with op.batch_alter_table("budget_entries") as batch:
        batch.alter_column(
            "currency", existing_type=sa.String(length=16), type_=sa.String(length=8)
        )
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("detail", sa.Text(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, action, params FROM audit_log")).all()
    for entry_id, action, params in rows:
        found: dict[str, str | None] = dict(
            bind.execute(
                sa.text("SELECT role, user_id FROM audit_members WHERE entry_id = :e"),
                {"e": entry_id},
            ).all()
        )
        values = json.loads(params or "{}")
        if action == "legacy":
            words = "".join(
                p if isinstance(p, str) else (found.get(p.get("m")) or "a former member")
                for p in values.get("parts", [])
            )
        else:
            words = " ".join([action, *map(str, values.values()), *map(str, found.values())])
        bind.execute(
            sa.text("UPDATE audit_log SET action = :a, detail = :d WHERE id = :i"),
            {"a": words.split(" ", 1)[0][:64], "d": words.split(" ", 1)[-1], "i": entry_id},
        )
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("detail", existing_type=sa.Text(), nullable=False)
        batch.drop_index(op.f("ix_audit_log_actor"))
        batch.drop_column("params")
        batch.drop_column("automatic")
    op.drop_index(op.f("ix_audit_members_user_id"), table_name="audit_members")
    op.drop_index(op.f("ix_audit_members_entry_id"), table_name="audit_members")
    op.drop_table("audit_members")
