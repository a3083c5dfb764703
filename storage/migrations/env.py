"""Alembic environment: runs on a connection handed in by `storage.engine.upgrade`,
or on `sqlalchemy.url` when invoked from the alembic command line."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.engine import create_engine, migration_connection
from storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_url(url: str) -> None:
    engine = create_engine(url)  # the bot's own set-up: its SQLite driver and pragmas
    try:
        # As `upgrade` does: foreign keys off on SQLite while tables are rebuilt (with them
        # on, dropping a table would delete its children's rows), the lock on PostgreSQL.
        async with migration_connection(engine) as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_from_url(context.config.get_main_option("sqlalchemy.url") or ""))
