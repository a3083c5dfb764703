"""SQLite on the event loop: statements inline, commits in a thread, another writer waited
for without stopping the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_inline
from storage.engine import create_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield engine  # type: ignore[misc]
    await engine.dispose()


async def test_statements_run_on_the_event_loop_and_commits_in_a_worker(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []
    commits: list[int] = []
    original = sqlite3.Connection.commit

    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, sqlite_inline.Connection)
        real = driver._conn
        real.create_function("here", 0, lambda: seen.append(threading.get_ident()) or 1)
        await conn.execute(text("SELECT here()"))
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "a"})

        def commit() -> None:
            commits.append(threading.get_ident())
            original(real)

        monkeypatch.setattr(driver, "_connection", _Spy(real, commit))
        await conn.commit()
    assert seen == [loop_thread]
    assert len(commits) == 1 and commits[0] != loop_thread

    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t"))).scalars().all() == ["a"]


class _Spy:
    """A sqlite3 connection whose commit is watched (sqlite3's own type is immutable)."""

    def __init__(self, conn: sqlite3.Connection, commit: object) -> None:
        self._conn = conn
        self.commit = commit

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


async def test_another_writer_is_waited_for_without_stopping_the_loop(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "t.db", isolation_level=None)  # another process
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES ('theirs')")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('ours')"))

    ticker = asyncio.create_task(ticking())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()
    before = ticks
    other.execute("COMMIT")
    await asyncio.wait_for(writer, 5)
    ticker.cancel()
    other.close()
    assert before >= 10  # the loop went on while the write waited
    async with engine.connect() as conn:
        assert sorted((await conn.execute(text("SELECT v FROM t"))).scalars()) == [
            "ours",
            "theirs",
        ]


async def test_a_writer_that_never_lets_go_is_an_error_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    sqlite3.connect(path).execute("CREATE TABLE t (v TEXT)").connection.commit()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        conn_driver = sqlite_inline.Connection(str(path), timeout=0.3)
        await conn_driver
        cursor = conn_driver.cursor()
        start = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await cursor.execute("INSERT INTO t (v) VALUES ('x')")
        waited = time.monotonic() - start
        assert 0.15 <= waited < 2
        await conn_driver.close()
    finally:
        other.close()


async def test_errors_and_rollbacks_are_sqlalchemys_as_before(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (k, v) VALUES (1, 'a')"))
    with pytest.raises(sa_exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (k, v) VALUES (2, 'b')"))
            await conn.execute(text("INSERT INTO t (k, v) VALUES (1, 'again')"))
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT k, v FROM t"))).all()
    assert [tuple(r) for r in rows] == [(1, "a")]  # the failed transaction left nothing


async def test_many_rows_and_savepoints(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": str(i)} for i in range(500)]
        )
        nested = await conn.begin_nested()
        await conn.execute(text("DELETE FROM t"))
        await nested.rollback()
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
        streamed = [r async for r in await conn.stream(text("SELECT v FROM t ORDER BY k"))]
    assert count == 500
    assert [r[0] for r in streamed[:3]] == ["0", "1", "2"]
