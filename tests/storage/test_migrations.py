"""Migrations build exactly the schema the models describe, and re-running them is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from bot.database import Database
from storage.engine import current_revision, head_revision
from storage.models import Base


async def test_schema_matches_models_and_upgrade_is_idempotent(db: Database) -> None:
    assert await current_revision(db.engine) == head_revision()
    await db.migrate()  # a second start upgrades nothing and drops nothing

    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
