"""A database that refuses writes (read-only, disk full) is recognised, said once, and the
transaction's work is not committed; other errors pass through as they were."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from bot.database import Database
from storage import sync_state
from storage.engine import WritesRefused, refuses_writes
from storage.models import SyncToken

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _read_only(db: Database) -> None:
    """One transaction that the database refuses to write in."""
    sqlite = db.url.startswith("sqlite")
    try:
        async with db.transaction() as session:
            await session.execute(
                text("PRAGMA query_only=ON" if sqlite else "SET TRANSACTION READ ONLY")
            )
            await sync_state.set_token(session, "@bot:test.org", "s1", NOW)
            await session.flush()
    finally:
        if sqlite:  # the pragma outlives the transaction, on the one in-memory connection
            async with db.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA query_only=OFF")


async def test_a_refused_write_is_said_once_and_recovery_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.database")
    for _ in range(3):
        with pytest.raises(WritesRefused) as refused:
            await _read_only(db)
        assert refused.value.reason == "read-only"
        assert refuses_writes(refused.value.__cause__ or refused.value) == "read-only"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    line = warnings[0].getMessage()
    assert "refuses writes (read-only)" in line and "nothing is lost" in line
    assert "replayed" in line and db.where in line
    assert [r.levelno for r in caplog.records].count(logging.DEBUG) == 2
    assert db.refusing == "read-only"

    async with db.transaction() as session:  # writes work again
        await sync_state.set_token(session, "@bot:test.org", "s2", NOW)
    db.writes_work()
    db.writes_work()
    recovered = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(recovered) == 1 and "accepts writes again" in recovered[0]
    assert db.refusing is None
    async with db.transaction() as session:
        assert await sync_state.get_token(session, "@bot:test.org") == "s2"


async def test_a_read_only_sqlite_file_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    writable = Database(f"sqlite+aiosqlite:///{path}")
    await writable.migrate()
    await writable.close()

    read_only = Database(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    try:
        async with read_only.transaction() as session:  # reading works
            assert await sync_state.get_token(session, "@bot:test.org") is None
        with pytest.raises(WritesRefused, match="read-only"):
            async with read_only.transaction() as session:
                await sync_state.set_token(session, "@bot:test.org", "s1", NOW)
    finally:
        await read_only.close()


async def test_a_full_sqlite_database_refuses_writes(tmp_path: Path) -> None:
    """SQLite's own limit on its size stands in for a full disk: the same error code."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.migrate()
    try:
        with pytest.raises(WritesRefused, match="disk full"):
            async with db.transaction() as session:
                pages = (await session.execute(text("PRAGMA page_count"))).scalar_one()
                await session.execute(text(f"PRAGMA max_page_count={pages}"))
                for n in range(2000):
                    await sync_state.set_token(session, f"@bot{n}:test.org", "x" * 500, NOW)
                    if n % 100 == 0:
                        await session.flush()
        async with db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(SyncToken)) == 0
    finally:
        await db.close()


async def test_other_errors_pass_through_unchanged(db: Database) -> None:
    async with db.transaction() as session:
        await sync_state.set_token(session, "@bot:test.org", "s1", NOW)
    with pytest.raises(IntegrityError) as raised:
        async with db.transaction() as session:
            session.add(SyncToken(account="@bot:test.org", next_batch="s2", updated_at=NOW))
    assert refuses_writes(raised.value) is None
    assert refuses_writes(RuntimeError("attempt to write a readonly database")) is None
    assert db.refusing is None


async def test_the_write_ahead_log_is_cleared_once_another_processs_reader_lets_go(
    tmp_path: Path,
) -> None:
    """A reader in another process (an export, say) holds the log back; clearing it waits
    for that reader instead of giving up, and the event loop goes on meanwhile."""
    import asyncio
    import sqlite3

    path = tmp_path / "f.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    try:
        async with db.transaction() as session:
            await sync_state.set_token(session, "@bot:test.org", "s1", NOW)
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sync_tokens").fetchall()
        async with db.transaction() as session:  # a commit the reader has not seen
            await sync_state.set_token(session, "@bot:test.org", "s2", NOW)
        scrub = asyncio.create_task(db.scrub())
        await asyncio.sleep(0.3)
        assert not scrub.done()  # waiting for the reader, not blocking the loop
        reader.execute("COMMIT")
        reader.close()
        await asyncio.wait_for(scrub, 5)
        assert path.with_name("f.db-wal").stat().st_size == 0
    finally:
        await db.close()
