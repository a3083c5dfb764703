"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a fake clock, a test bot."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from bot.database import Database
from storage.engine import alembic_config
from storage.models import Base
from tests.harness import FakeClock, Harness, make_config

POSTGRES_URL = os.environ.get(
    "FLATTENING_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def _postgres_answers(url: str) -> str | None:
    import asyncpg

    parsed = make_url(url)
    try:
        conn = await asyncio.wait_for(
            asyncpg.connect(
                host=parsed.host,
                port=parsed.port or 5432,
                user=parsed.username,
                password=parsed.password,
                database=parsed.database,
            ),
            5,
        )
    except Exception as exc:
        return repr(exc)
    await conn.close()
    return None


async def _admin(sql: str) -> None:
    import asyncpg

    parsed = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username,
        password=parsed.password, database=parsed.database,
    )  # fmt: skip
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that wait out wall-clock time first, then the other end-to-end ones: in
    parallel workers (`-n`), their waits overlap the rest instead of trailing it."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("e2e") else 2

    items.sort(key=rank)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server's admin URL; skipped when none answers, except under CI."""
    problem = asyncio.run(_postgres_answers(POSTGRES_URL))
    if problem is not None:
        message = f"PostgreSQL at {POSTGRES_URL} does not answer: {problem}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (required when CI=true)")
        pytest.skip(message)
    return POSTGRES_URL


@contextlib.contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_database(postgres_server: str) -> Iterator[str]:
    """One database for the unit tests of this session; tables are emptied between tests."""
    with fresh_postgres_database("flattening_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return "sqlite+aiosqlite://"
    url: str = request.getfixturevalue("postgres_database")
    return url


def _create_at_head(connection: Connection) -> None:
    """The models' schema, stamped as the newest revision: what the migrations build (so
    tests/storage/test_migrations.py proves), in a fraction of the time."""
    Base.metadata.create_all(connection)
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.stamp(cfg, "head")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    if database_url == "sqlite+aiosqlite://":  # a fresh in-memory database for each test
        async with database.engine.begin() as conn:
            await conn.run_sync(_create_at_head)
    else:
        await database.migrate()
    try:
        yield database
    finally:
        if database_url.startswith("postgresql"):
            async with database.engine.begin() as conn:
                tables = (
                    await conn.execute(
                        text(
                            "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                            "AND tablename <> 'alembic_version'"
                        )
                    )
                ).scalars()
                names = ", ".join(f'"{t}"' for t in tables)
                if names:
                    await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await database.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
async def bot(db: Database, clock: FakeClock) -> Harness:
    harness = Harness(db, make_config(), clock)
    await harness.start()
    return harness
