"""Migrations build exactly the schema the models describe, and re-running them is harmless."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from bot.database import Database
from storage.engine import (
    alembic_config,
    current_revision,
    head_revision,
    migration_connection,
    newest_migration,
)
from storage.models import Base, Collective, Meeting

NEW_IN_0008 = {
    "decisions",
    "decision_answers",
    "dissents",
    "notes",
    "budget_entries",
    "second_requests",
}


def diff(conn: Connection) -> list[object]:
    """What autogenerate would change: tables, columns, types, nullability, defaults,
    indexes, unique constraints and foreign keys with their ON DELETE."""
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def migrate(conn: Connection, revision: str) -> None:
    """Up to the newest revision ("head"), or down to `revision`."""
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    if revision == "head":
        command.upgrade(cfg, revision)
    else:
        command.downgrade(cfg, revision)


async def test_schema_matches_models_and_upgrade_is_idempotent(db: Database) -> None:
    assert await current_revision(db.engine) == head_revision()
    await db.migrate()  # a second start upgrades nothing and drops nothing

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


def test_the_newest_migration_read_from_file_names_is_alembics_head() -> None:
    """The start-up check reads the head from the file names, without loading the scripts."""
    assert newest_migration() == head_revision()


async def test_a_database_behind_the_newest_revision_is_still_upgraded_at_start(
    db: Database,
) -> None:
    async with migration_connection(db.engine) as conn:
        await conn.run_sync(migrate, "0011")
    assert await current_revision(db.engine) == "0011"
    await db.migrate()
    assert await current_revision(db.engine) == newest_migration()


async def test_0008_upgrades_a_0007_database_keeping_its_rows(db: Database) -> None:
    """Down to 0007 and up again: only the new tables come and go, older rows stay."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        c = Collective(room_id="!r:x", is_direct=False, joined=True, joined_at=now)
        session.add(c)
        await session.flush()
        session.add(Meeting(collective_id=c.id, started_by="@a:x", started_at=now))

    try:
        async with migration_connection(db.engine) as conn:
            await conn.run_sync(migrate, "0007")
        assert await current_revision(db.engine) == "0007"
        async with db.engine.connect() as conn:
            assert not (await conn.run_sync(tables)) & NEW_IN_0008
    finally:
        await db.migrate()
    async with db.engine.connect() as conn:
        assert NEW_IN_0008 <= await conn.run_sync(tables)
        assert await conn.run_sync(diff) == []
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 1


async def test_sqlite_table_rebuilds_keep_child_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Batch mode drops and recreates tables; with foreign keys on, that would delete members."""
    from alembic.operations import Operations
    from sqlalchemy import text

    from storage.models import Member

    db = Database(f"sqlite+aiosqlite:///{tmp_path}/rebuild.db")
    await db.migrate()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        c = Collective(room_id="!r:x", is_direct=False, joined=True, joined_at=now)
        session.add(c)
        await session.flush()
        session.add(
            Member(
                collective_id=c.id, user_id="@a:x", joined=True, first_seen_at=now, changed_at=now
            )
        )

    def rebuild(conn: Connection) -> None:
        ops = Operations(MigrationContext.configure(conn))
        with ops.batch_alter_table("collectives", recreate="always"):
            pass

    async with migration_connection(db.engine) as conn:
        await conn.run_sync(rebuild)
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 1
        fk = (await session.execute(text("PRAGMA foreign_keys"))).scalar()
    assert fk == 1
    await db.close()


async def test_0010_upgrades_a_0009_database_keeping_its_rows(db: Database) -> None:
    """Down to 0009 and up again: the ledger and the audit log keep their rows through the
    table rebuilds that let a former member be NULL, and the new tables come and go."""
    from storage.models import AuditEntry, TaskCompletion

    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        c = Collective(room_id="!r:x", is_direct=False, joined=True, joined_at=now)
        session.add(c)
        await session.flush()
        session.add(
            TaskCompletion(
                collective_id=c.id, name="flyers", kind="visible", user_id="@a:x", done_at=now
            )
        )
        session.add(
            AuditEntry(collective_id=c.id, actor="@a:x", action="task.logged", params="{}", at=now)
        )

    new = {"direct_chats", "reflection_rounds", "reflection_answers", "checkins", "forget_requests"}
    try:
        async with migration_connection(db.engine) as conn:
            await conn.run_sync(migrate, "0009")
        async with db.engine.connect() as conn:
            assert not (await conn.run_sync(tables)) & new
    finally:
        await db.migrate()
    async with db.engine.connect() as conn:
        assert new <= await conn.run_sync(tables)
        assert await conn.run_sync(diff) == []
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(TaskCompletion)) == 1
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 1
        session.add(
            TaskCompletion(collective_id=1, name="x", kind="care", user_id=None, done_at=now)
        )


async def test_0011_upgrades_a_0010_database_keeping_its_rows(db: Database) -> None:
    """Down to 0010 and up again: the shadows' tables come and go, older rows stay."""
    from storage.models import Decision

    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        c = Collective(room_id="!r:x", is_direct=False, joined=True, joined_at=now)
        session.add(c)
        await session.flush()
        session.add(
            Decision(
                collective_id=c.id, number=1, kind="record", status="adopted", text="x",
                author="@a:x", opened_at=now, closed_early=False,
            )
        )  # fmt: skip

    new = {"gallery_walks", "gallery_patterns", "gallery_marks", "experiments", "trust_sprints"}
    try:
        async with migration_connection(db.engine) as conn:
            await conn.run_sync(migrate, "0010")
        assert await current_revision(db.engine) == "0010"
        async with db.engine.connect() as conn:
            assert not (await conn.run_sync(tables)) & new
    finally:
        await db.migrate()
    async with db.engine.connect() as conn:
        assert new <= await conn.run_sync(tables)
        assert await conn.run_sync(diff) == []
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Decision)) == 1


async def test_0012_gives_an_older_database_rows_to_its_one_account(db: Database) -> None:
    """Down to 0011, rows written as before, up again: the account that had the sync
    token owns the rooms, the queued messages and the direct chats."""
    try:
        async with migration_connection(db.engine) as conn:
            await conn.run_sync(migrate, "0011")
            when = datetime(2026, 1, 1)
            await conn.execute(
                text(
                    "INSERT INTO sync_tokens (account, next_batch, updated_at) "
                    "VALUES ('@bot:x', 's1', :w)"
                ),
                {"w": when},
            )
            await conn.execute(
                text(
                    "INSERT INTO collectives (room_id, is_direct, joined, joined_at) "
                    "VALUES ('!r:x', false, true, :w)"
                ),
                {"w": when},
            )
            await conn.execute(
                text(
                    "INSERT INTO outbox (room_id, txn_id, event_type, content, created_at, "
                    "attempts) VALUES ('!r:x', 't1', 'm.room.message', '{}', :w, 0)"
                ),
                {"w": when},
            )
            await conn.execute(
                text("INSERT INTO direct_chats (user_id, room_id) VALUES ('@a:x', '!d:x')")
            )
    finally:
        await db.migrate()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        for table in ("collectives", "outbox", "direct_chats"):
            owners = (await conn.execute(text(f"SELECT account FROM {table}"))).scalars().all()
            assert owners == ["@bot:x"], table
        # One direct chat per person and account: another account may have its own.
        await conn.execute(
            text("INSERT INTO direct_chats (account, user_id) VALUES ('@bot2:x', '@a:x')")
        )
        await conn.rollback()


async def test_0013_keeps_plain_answers_and_refuses_to_drop_sealed_ones(db: Database) -> None:
    """An answer kept in plain text before sealing (a round open across the upgrade) stays
    as it was: a migration cannot reach the key. Going back below 0013 would lose a sealed
    answer, so it is refused while one is kept."""
    from storage.models import ReflectionAnswer

    when = datetime(2026, 1, 1)
    try:
        async with migration_connection(db.engine) as conn:
            await conn.run_sync(migrate, "0012")
            await conn.execute(
                text(
                    "INSERT INTO collectives (room_id, is_direct, joined, joined_at) "
                    "VALUES ('!r:x', false, true, :w)"
                ),
                {"w": when},
            )
            await conn.execute(
                text(
                    "INSERT INTO reflection_rounds (collective_id, prompts, opened_at, "
                    "closes_at, remind_at) VALUES (1, '[]', :w, :w, :w)"
                ),
                {"w": when},
            )
            await conn.execute(
                text(
                    "INSERT INTO reflection_answers (id, round_id, text) "
                    "VALUES (123456789, 1, 'kept before sealing')"
                )
            )
    finally:
        await db.migrate()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    async with db.transaction() as session:
        rows = (await session.execute(select(ReflectionAnswer.text, ReflectionAnswer.sealed))).all()
        assert [tuple(r) for r in rows] == [("kept before sealing", None)]
        session.add(ReflectionAnswer(id=987654321, round_id=1, sealed=b"\x01" * 8220))
    try:
        async with migration_connection(db.engine) as conn:
            with pytest.raises(RuntimeError, match="1 reflection answers are sealed"):
                await conn.run_sync(migrate, "0012")
    finally:
        await db.migrate()
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReflectionAnswer)) == 2


def test_alembics_command_line_keeps_child_rows_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`alembic upgrade`/`downgrade` run by hand (no connection handed in) migrate as the
    bot does: foreign keys off while tables are rebuilt, so no child row is deleted."""
    import asyncio
    import sqlite3

    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"

    async def start() -> None:
        db = Database(url)
        await db.migrate()
        await db.close()

    asyncio.run(start())
    con = sqlite3.connect(tmp_path / "cli.db")
    con.execute(
        "INSERT INTO collectives (id, room_id, is_direct, joined, joined_at) "
        "VALUES (1, '!r:x', 0, 1, '2026-01-01 00:00:00')"
    )
    con.execute(
        "INSERT INTO members (collective_id, user_id, joined, first_seen_at, changed_at) "
        "VALUES (1, '@a:x', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    con.execute(
        "INSERT INTO meetings (id, collective_id, started_by, started_at) "
        "VALUES (1, 1, '@a:x', '2026-01-01 00:00:00')"
    )
    con.execute(
        "INSERT INTO stack_entries (meeting_id, user_id, added_at) "
        "VALUES (1, '@b:x', '2026-01-01 00:00:00')"
    )
    con.commit()
    con.close()
    cfg = alembic_config()
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, "0009")  # rebuilds collectives and meetings on the way
    command.upgrade(cfg, "head")
    con = sqlite3.connect(tmp_path / "cli.db")
    assert con.execute("SELECT count(*) FROM members").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM stack_entries").fetchone()[0] == 1
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    con.close()


async def test_0015_blanks_what_was_erased_before_and_says_who_erased_it(db: Database) -> None:
    """Down to 0014, a note and a budget entry erased the old way (their text and amount
    kept), up again: both are blanked, and who seconded their erasure is kept."""
    when = datetime(2026, 1, 1)
    try:
        async with migration_connection(db.engine) as conn:
            await conn.run_sync(migrate, "0014")
            await conn.execute(
                text(
                    "INSERT INTO collectives (id, room_id, is_direct, joined, joined_at) "
                    "VALUES (1, '!r:x', false, true, :w)"
                ),
                {"w": when},
            )
            for number, deleted in ((1, when), (2, None)):
                await conn.execute(
                    text(
                        "INSERT INTO notes (id, collective_id, number, author, text, at, "
                        "deleted_at) VALUES (:n, 1, :n, '@a:x', :t, :w, :d)"
                    ),
                    {"n": number, "t": f"secret {number}", "w": when, "d": deleted},
                )
                await conn.execute(
                    text(
                        "INSERT INTO budget_entries (id, collective_id, number, kind, "
                        "amount_cents, currency, what, author, at, deleted_at) "
                        "VALUES (:n, 1, :n, 'spend', 4321, 'EUR', :t, '@a:x', :w, :d)"
                    ),
                    {"n": number, "t": f"lawyer {number}", "w": when, "d": deleted},
                )
            for number, action, seconder in (
                (1, "delete note", "@b:x"),
                (2, "delete budget entry", "@c:x"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO second_requests (collective_id, number, action, payload, "
                        "requested_by, requested_at, expires_at, seconded_by, seconded_at, "
                        "carried_out_at) VALUES (1, :n, :a, :p, '@a:x', :w, :w, :s, :w, :w)"
                    ),
                    {
                        "n": number,
                        "a": action,
                        "p": '{"id": 1, "number": 1}',
                        "s": seconder,
                        "w": when,
                    },
                )
    finally:
        await db.migrate()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        notes = (await conn.execute(text("SELECT number, text, deleted_by FROM notes"))).all()
        entries = (
            await conn.execute(
                text("SELECT number, amount_cents, what, deleted_by FROM budget_entries")
            )
        ).all()
    assert sorted(tuple(row) for row in notes) == [(1, "", "@b:x"), (2, "secret 2", None)]
    assert sorted(tuple(row) for row in entries) == [
        (1, 0, "", "@c:x"),
        (2, 4321, "lawyer 2", None),
    ]


async def test_0014_turns_old_audit_sentences_into_entries_that_name_members_by_id(
    db: Database,
) -> None:
    """Rows written as English sentences keep their words, but every user id in them moves
    to audit_members, so forgetting nulls an id and never rewrites text; the bot's own
    entries become automatic ones."""
    import json

    from storage.models import AuditEntry, AuditMember

    async with migration_connection(db.engine) as conn:
        await conn.run_sync(migrate, "0013")
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO collectives (room_id, is_direct, joined, joined_at) "
                    "VALUES ('!r:x', false, true, '2026-01-01 00:00:00')"
                )
            )
            for actor, action, detail in (
                ("@ana:x.org", "seconded", "request #1 from @bo:y.org:8448: note #1 is erased"),
                ("@bo:y.org", "asked", "request #2: erase note #1 (taken by Alice, Mon 02)"),
                ("@bo:y.org", "recorded spending", "#3: 40.00 EUR, bail fund"),
                ("rotation", "assigned role", "notes to @bo:y.org (drawn among @ana:x.org)"),
                (None, "forgot a member", "their personal records were erased"),
            ):
                await conn.execute(
                    text(
                        "INSERT INTO audit_log (collective_id, actor, action, detail, at) "
                        "VALUES (1, :actor, :action, :detail, '2026-01-01 00:00:00')"
                    ),
                    {"actor": actor, "action": action, "detail": detail},
                )
    finally:
        await db.migrate()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    async with db.transaction() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        members = (
            await session.execute(
                select(AuditMember.entry_id, AuditMember.role, AuditMember.user_id).order_by(
                    AuditMember.id
                )
            )
        ).all()
    assert [r.action for r in rows] == ["legacy"] * 5
    assert [(r.actor, r.automatic) for r in rows] == [
        ("@ana:x.org", False),
        ("@bo:y.org", False),
        ("@bo:y.org", False),
        (None, True),
        (None, False),
    ]
    parts = [json.loads(r.params)["parts"] for r in rows]
    # A quoted display name, an amount and what it was for do not outlive the migration.
    assert parts[:3] == [
        ["seconded request #1 from ", {"m": "m0"}],
        ["asked request #2"],
        ["recorded spending #3"],
    ]
    assert members == [
        (rows[0].id, "m0", "@bo:y.org:8448"),
        (rows[3].id, "m0", "@bo:y.org"),
        (rows[3].id, "m1", "@ana:x.org"),
    ]
    assert not any("@" in r.params for r in rows)
