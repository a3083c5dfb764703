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
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
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
    """SQLITE_BUSY itself: another connection holds the lock, and waiting may help.
    (Not SQLITE_BUSY_SNAPSHOT, which no wait cures, and which SQLite's handler does not
    wait for either.)"""
    name = getattr(exc, "sqlite_errorname", None)
    if name is not None:
        return bool(name == "SQLITE_BUSY")
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
        await self._owner.patiently(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        rows = list(parameters)  # a retry needs them again
        await self._owner.patiently(self._cursor.executemany, sql, rows)
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


class Connection:
    def __init__(self, database: str, *, timeout: float = 5.0, **kwargs: Any) -> None:
        self._database = database
        self._kwargs = kwargs
        self._patience = timeout
        self._connection: sqlite3.Connection | None = None
        self._tx = _Inline()
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
            raise ValueError("no active connection")
        return self._connection

    async def patiently(self, call: Callable[..., T], *args: Any) -> T:
        """`call`, retried while another connection holds the lock, up to `timeout`."""
        deadline = time.monotonic() + self._patience
        pause = FIRST_PAUSE
        while True:
            try:
                return call(*args)
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
        deadline = time.monotonic() + self._patience
        pause = FIRST_PAUSE
        while True:
            try:
                await asyncio.to_thread(conn.commit)
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

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
