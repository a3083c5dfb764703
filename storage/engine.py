"""Engine and session set-up by URL, and schema upgrades through Alembic."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from storage import sqlite_inline

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class StorageError(RuntimeError):
    """The database URL or schema cannot be used."""


# SQLSTATEs of a PostgreSQL that refuses writes: a read-only transaction (a standby, or
# default_transaction_read_only), the disk full, an I/O error.
_PG_REFUSALS = {"25006": "read-only", "53100": "disk full", "58030": "disk I/O error"}
# SQLite's result codes (Python 3.11 names them) and, for older drivers, their messages.
_SQLITE_REFUSALS = {
    "SQLITE_READONLY": "read-only",
    "SQLITE_FULL": "disk full",
    "SQLITE_IOERR": "disk I/O error",
}
_SQLITE_MESSAGES = {
    "readonly database": "read-only",
    "database or disk is full": "disk full",
    "disk i/o error": "disk I/O error",
}


def refuses_writes(exc: BaseException) -> str | None:
    """Why the database refused a write ("read-only", "disk full", "disk I/O error"), when
    that is what `exc` (SQLAlchemy's or the driver's) says; None for any other error.

    Such a refusal is the host's, not the data's: the same write works once writes return.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(state, str) and state in _PG_REFUSALS:
            return _PG_REFUSALS[state]
        if isinstance(err, sqlite3.Error):
            name = getattr(err, "sqlite_errorname", "") or ""
            for code, why in _SQLITE_REFUSALS.items():
                if name == code or name.startswith(code + "_"):
                    return why
            text = str(err).lower()
            for words, why in _SQLITE_MESSAGES.items():
                if words in text:
                    return why
        orig = getattr(err, "orig", None)  # SQLAlchemy's wrapper around the driver's error
        todo.extend([orig if isinstance(orig, BaseException) else None, err.__cause__])
    return None


class WritesRefused(RuntimeError):
    """The database refused a write (read-only, disk full): nothing of the transaction was
    committed, and the same work succeeds once writes return."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the database refuses writes ({reason})")
        self.reason = reason


def check_url(url: str) -> None:
    """Refuse a URL we cannot serve before anything connects."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StorageError("is not a database URL (driver://user:password@host/name)") from exc
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise StorageError(
            f"unsupported database driver {parsed.drivername!r}; "
            f"use one of {', '.join(SUPPORTED_DRIVERS)}"
        )


def create_engine(url: str) -> AsyncEngine:
    check_url(url)
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_async_engine(
            url,
            poolclass=StaticPool if in_memory else None,
            connect_args={"timeout": 30},  # how long a statement waits for another writer
            module=sqlite_inline.dbapi(),  # statements on the event loop, no thread trips
            hide_parameters=True,  # an error logged never carries what a member wrote
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
            cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted rows are overwritten, not left in free pages (anonymous answers).
            cursor.execute("PRAGMA secure_delete=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # Not NORMAL: a power cut could then lose the last commits with their sync
                # token, and their replayed replies and rituals post again once the
                # homeserver has forgotten their transaction ids (README, "Performance").
                cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False)


MIGRATION_LOCK = 0x466C6174  # any fixed number: one migrating process at a time


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(connection: Connection) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@asynccontextmanager
async def migration_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for schema changes, committed at the end.

    On SQLite, foreign keys are off while migrating: Alembic's batch mode rebuilds
    a table by dropping it, and with them on that drop would cascade-delete child
    rows. Integrity is checked before they are turned back on.
    """
    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:  # bot processes of several accounts may start together on one PostgreSQL
            await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        try:
            yield conn
            await conn.commit()
            if sqlite:
                broken = (await conn.exec_driver_sql("PRAGMA foreign_key_check")).fetchall()
                if broken:
                    raise StorageError(f"migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                await conn.rollback()
                await conn.exec_driver_sql("PRAGMA foreign_keys=ON")


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; migrations only ever add.

    A database already there (every start but the first after an upgrade) is told so by
    one query: Alembic, its scripts and the integrity check after a migration are not
    loaded at all, which a restart after a crash, with a backlog waiting, feels."""
    if await _stored_revision(engine) == newest_migration():
        return
    async with migration_connection(engine) as conn:
        await conn.run_sync(_upgrade)


def newest_migration() -> str:
    """The head revision, from the migrations' file names (`0012_accounts.py` holds
    revision "0012"; a test holds this to Alembic's own answer), without loading them."""
    names = (MIGRATIONS / "versions").glob("[0-9]*_*.py")
    return max((p.name.split("_", 1)[0] for p in names), default="")


async def _stored_revision(engine: AsyncEngine) -> str | None:
    """The database's revision; None when it has none, or cannot say (a new database, one
    out of reach: the full upgrade then says why)."""
    try:
        async with engine.connect() as conn:
            rows = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).all()
    except Exception:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
