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


async def test_sqlite_table_rebuilds_keep_child_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Batch mode drops and recreates tables; with foreign keys on, that would delete members."""
    from datetime import UTC, datetime

    from alembic.operations import Operations
    from sqlalchemy import func, select, text

    from storage.engine import migration_connection
    from storage.models import Collective, Member

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
