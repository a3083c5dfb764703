"""SQLite for the event loop: statements run inline, only a commit's fsync in a thread.

aiosqlite runs every call in a thread of its own, so one statement costs four trips
between the event loop and that thread (cursor, execute, fetch, close), each waiting for
the thread to be scheduled: on a busy two-core host a `!ping` batch of seven statements
spent most of its 10 ms in those trips. SQLite answers a statement on a small file in
microseconds, so here the statements run on the event loop itself; the commit, which
waits for the disk, goes to a worker thread.

Nothing may block the loop on another writer, so connections are opened with no busy
timeout and a statement told SQLITE_BUSY is retried after an `asyncio.sleep`, up to the
engine's `timeout` (what SQLite's own busy handler would have done, without stopping
every other task). In this process writers queue behind `Database`'s lock, so that wait
only happens with another process on the same file (`flattening export`, say).

This module plays the part of the `aiosqlite` package for SQLAlchemy's aiosqlite
dialect (`dbapi()` is passed as the engine's `module`): the URL a host writes stays
`sqlite+aiosqlite://...`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from sqlite3 import (  # noqa: F401  (the names SQLAlchemy's adapter copies from its driver)
    DatabaseError,
    Error,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    sqlite_version,
    sqlite_version_info,
)
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

__version__ = "1"
T = TypeVar("T")
FIRST_PAUSE = 0.002
LONGEST_PAUSE = 0.1


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or a variant that SQLite's own busy handler waits out (another process
    recovering the write-ahead log after a crash, say); not SQLITE_BUSY_SNAPSHOT, which no
    wait cures (the transaction read a snapshot another writer has since replaced)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY) and (
            getattr(exc, "sqlite_errorname", "") != "SQLITE_BUSY_SNAPSHOT"
        )
    return "database is locked" in str(exc)


class Cursor:
    __slots__ = ("_cursor", "_owner")

    def __init__(self, owner: Connection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        await self._owner.opening(sql)
        await self._owner.patiently(self._cursor.execute, sql, parameters)
        await self._owner.breathe()
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        rows = list(parameters)  # a retry needs them again
        await self._owner.opening(sql)
        await self._owner.patiently(self._cursor.executemany, sql, rows)
        await self._owner.breathe()
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Inline:
    """Stands in for aiosqlite's queue to its thread, which SQLAlchemy's adapter uses to
    set the isolation level: the function runs at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


# Commits and checkpoints wait for the disk here, one at a time (writers queue behind
# `Database`'s lock anyway), never behind renders or lookups in asyncio's default pool.
_DISK = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-disk")
BREATHE_EVERY = 64  # statements between two turns given to the rest of the event loop


class Connection:
    def __init__(self, database: str, *, timeout: float = 5.0, **kwargs: Any) -> None:
        self._database = database
        self._kwargs = kwargs
        self._patience = timeout
        self._connection: sqlite3.Connection | None = None
        self._tx = _Inline()
        self._statements = 0
        self._on_disk: asyncio.Future[Any] | None = None  # a commit or checkpoint under way
        # An in-memory database writes no file: its commit has no disk to wait for.
        self._in_memory = database in ("", ":memory:") or "mode=memory" in database

    def __await__(self) -> Any:
        return self._connect().__await__()

    async def _connect(self) -> Connection:
        kwargs = {**self._kwargs, "timeout": 0, "check_same_thread": False}
        self._connection = sqlite3.connect(self._database, **kwargs)
        return self

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            # (an OperationalError, as aiosqlite's comes out: the pool then reconnects)
            raise sqlite3.OperationalError("no active connection")
        return self._connection

    async def opening(self, sql: str) -> None:
        """A savepoint opening a transaction gets a BEGIN first: Python's sqlite3 begins
        one only before a data change, and a transaction that SQLite began with SAVEPOINT
        is committed by its RELEASE, which would let part of a batch commit alone."""
        if sql[:9].upper() == "SAVEPOINT" and not self._conn.in_transaction:
            await self.patiently(self._conn.execute, "BEGIN")

    async def breathe(self) -> None:
        """A long transaction (a backlog of thousands of events) lets the event loop's
        other tasks (sends under way, timers) run now and then."""
        self._statements += 1
        if self._statements % BREATHE_EVERY == 0:
            await asyncio.sleep(0)

    async def _on_disk_thread(self, call: Callable[..., T], *args: Any) -> T:
        """`call` in the disk thread. If the awaiting task is cancelled meanwhile, the
        call still finishes there, and `close` waits for it before closing the connection
        (closing under a commit would stall the loop, or free what the thread uses)."""
        future = asyncio.get_running_loop().run_in_executor(_DISK, call, *args)
        self._on_disk = future
        try:
            return await asyncio.shield(future)
        finally:
            if future.done():
                self._on_disk = None

    async def _settled(self) -> None:
        if self._on_disk is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait({self._on_disk})
            self._on_disk = None

    async def patiently(self, call: Callable[..., T], *args: Any) -> T:
        """`call` on the event loop, retried while another connection holds the lock."""

        async def inline() -> T:
            return call(*args)

        return await self._waiting_out_locks(inline)

    async def _waiting_out_locks(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """`attempt` again after a pause while SQLite says another connection holds the
        lock, up to `timeout`: SQLite's busy handler, without stopping the event loop."""
        deadline = time.monotonic() + self._patience
        pause = FIRST_PAUSE
        while True:
            try:
                return await attempt()
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    def cursor(self) -> Cursor:
        return Cursor(self, self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        conn = self._conn
        if self._in_memory or not conn.in_transaction:
            conn.commit()  # nothing waits for a disk: no trip to a thread
            return
        await self._waiting_out_locks(lambda: self._on_disk_thread(conn.commit))

    async def checkpoint(self) -> tuple[int, int, int] | None:
        """`PRAGMA wal_checkpoint(TRUNCATE)` in the disk thread: (busy, log pages,
        checkpointed pages); busy when a reader in another process holds the log."""
        conn = self._conn

        def run() -> tuple[int, int, int] | None:
            row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return (int(row[0]), int(row[1]), int(row[2])) if row else None

        return await self._on_disk_thread(run)

    async def rollback(self) -> None:
        await self._settled()
        self._conn.rollback()

    async def close(self) -> None:
        await self._settled()
        conn, self._connection = self._connection, None
        if conn is None:
            return
        if self._in_memory:
            conn.close()
        else:  # the last connection to close checkpoints the log: a wait for the disk
            await self._on_disk_thread(conn.close)

    def stop(self) -> None:
        """Closing without waiting (SQLAlchemy's last resort, or garbage collection); a
        commit still under way in the disk thread is left to finish and close it."""
        conn, pending = self._connection, self._on_disk
        self._connection = None
        if conn is None:
            return
        if pending is not None and not pending.done():
            pending.add_done_callback(lambda _f: conn.close())
        else:
            conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value  # type: ignore[assignment]

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def connect(database: str, **kwargs: Any) -> Connection:
    return Connection(database, **kwargs)


class _Module(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> AsyncAdapt_aiosqlite_connection:
        # (aiosqlite's version marks its thread a daemon; there is no thread here)
        return AsyncAdapt_aiosqlite_connection(self, await_(connect(*args, **kwargs)))


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI module for `create_async_engine(url, module=...)`."""
    return _Module(sys.modules[__name__], sqlite3)
