"""SQLite on the event loop: statements inline, commits in a thread, another writer waited
for without stopping the loop."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
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


class Ticker:
    """Another task on the event loop: how often it got a turn, and its longest wait."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.ticks = 0
        self.longest = 0.0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.every)
            now = time.perf_counter()
            self.ticks += 1
            self.longest = max(self.longest, now - last)
            last = now

    def stop(self) -> None:
        self._task.cancel()


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

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('ours')"))

    ticker = Ticker(0.01)
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()
    before = ticker.ticks
    other.execute("COMMIT")
    await asyncio.wait_for(writer, 5)
    ticker.stop()
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


def _locked(code: int, name: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("database is locked")
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    return exc


def test_what_is_waited_for_is_what_sqlites_own_busy_handler_waits_for() -> None:
    assert sqlite_inline._busy(_locked(5, "SQLITE_BUSY"))
    assert sqlite_inline._busy(_locked(5 | 1 << 8, "SQLITE_BUSY_RECOVERY"))  # a crash recovered
    assert sqlite_inline._busy(_locked(5 | 3 << 8, "SQLITE_BUSY_TIMEOUT"))
    assert not sqlite_inline._busy(_locked(5 | 2 << 8, "SQLITE_BUSY_SNAPSHOT"))  # no wait cures
    assert not sqlite_inline._busy(_locked(6, "SQLITE_LOCKED"))
    assert not sqlite_inline._busy(_locked(8, "SQLITE_READONLY"))


async def test_a_savepoint_opening_a_transaction_does_not_commit_on_its_own(
    engine: AsyncEngine,
) -> None:
    """Python's sqlite3 begins a transaction only before a data change; one SQLite began
    with SAVEPOINT would be committed by the RELEASE, outside the outer transaction."""
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            async with conn.begin_nested():
                await conn.execute(text("INSERT INTO t (v) VALUES ('room 1')"))
            raise RuntimeError("the batch fails later")
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_a_task_cancelled_during_its_commit_neither_stalls_the_loop_nor_loses_it(
    engine: AsyncEngine,
) -> None:
    committing = asyncio.Event()
    event.listen(engine.sync_engine, "commit", lambda _conn: committing.set())

    async def writer() -> None:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO t (v) SELECT hex(randomblob(20000)) FROM (WITH RECURSIVE "
                    "c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500) "
                    "SELECT x FROM c)"
                )
            )

    task = asyncio.create_task(writer())
    await committing.wait()
    task.cancel()
    ticker = Ticker(0.001)
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0.1)
    ticker.stop()
    assert ticker.longest < 0.1  # the loop went on while the commit finished in its thread
    async with engine.connect() as conn:  # and the pool still works
        count = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
    assert count in (0, 1500)  # all of it or none, never a torn transaction


async def test_a_closed_driver_connection_is_a_disconnect_the_pool_recovers_from(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
    assert isinstance(driver, sqlite_inline.Connection)
    driver.stop()
    with contextlib.suppress(sa_exc.DBAPIError):
        async with engine.connect() as conn:  # this one may fail, as with aiosqlite
            await conn.execute(text("SELECT 1"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1


async def test_a_long_transaction_lets_the_rest_of_the_loop_run_now_and_then(
    engine: AsyncEngine,
) -> None:
    ticker = Ticker(0)
    await asyncio.sleep(0)
    before = ticker.ticks
    async with engine.begin() as conn:
        for i in range(256):
            await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": str(i)})
        during = ticker.ticks - before
    ticker.stop()
    assert during >= 3  # a turn every BREATHE_EVERY statements, not one at the commit
