"""One writer at a time: a sync batch or a scheduled run is one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import create_engine, sessionmaker, upgrade


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = sessionmaker(self.engine)
        self._lock = asyncio.Lock()
        # Told, after each commit and still holding the lock, what the transaction noted in
        # its `session.info` (the outbox rows it queued): the sender's hand-off. Told None
        # when a transaction failed, as a failed commit may have been written all the same.
        self.committed: list[Callable[[dict[str, Any] | None], None]] = []

    async def migrate(self) -> None:
        await upgrade(self.engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Commit everything done inside, or nothing; writers queue behind one lock."""
        async with self._lock, self._sessions() as session:
            try:
                async with session.begin():
                    yield session
            except BaseException:
                for listener in self.committed:
                    listener(None)
                raise
            if session.info:
                for listener in self.committed:
                    listener(session.info)

    async def scrub(self) -> None:
        """Leave no history of recent writes beside the database file: SQLite's write-ahead
        log keeps each commit's pages in order until a checkpoint, and that order could tie
        an anonymous answer to the record of who answered. PostgreSQL's own log is the
        server's, outside the bot's reach (README says so)."""
        if not self.url.startswith("sqlite"):
            return
        async with self._lock, self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        await self.engine.dispose()
