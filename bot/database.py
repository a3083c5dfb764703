"""One writer at a time: a sync batch or a scheduled run is one transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from storage import sqlite_inline
from storage.engine import WritesRefused, create_engine, refuses_writes, sessionmaker, upgrade

log = logging.getLogger(__name__)
SCRUB_PATIENCE = 30.0  # seconds a checkpoint waits for another process's reader


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = sessionmaker(self.engine)
        self._lock = asyncio.Lock()
        # Why the database refuses writes (read-only, disk full), from the first refusal
        # until a sync batch commits again; said in the log once per outage.
        self.refusing: str | None = None
        # Told, after each commit and still holding the lock, what the transaction noted in
        # its `session.info` (the outbox rows it queued): the sender's hand-off. Told None
        # when a transaction failed, as a failed commit may have been written all the same.
        self.committed: list[Callable[[dict[str, Any] | None], None]] = []

    @property
    def where(self) -> str:
        """The database's URL without its password, for the log."""
        return make_url(self.url).render_as_string(hide_password=True)

    async def migrate(self) -> None:
        await upgrade(self.engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Commit everything done inside, or nothing; writers queue behind one lock.

        A write the database refuses (read-only, disk full) raises `WritesRefused`, said
        in the log once per outage: nothing was committed, and the caller tries later."""
        async with self._lock:
            try:
                async with self._sessions() as session:
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
            except Exception as exc:
                reason = refuses_writes(exc)
                if reason is None:
                    raise
                self._refused(reason, exc)
                if self.engine.url.database not in (None, "", ":memory:"):
                    # A connection opened while writes were refused may stay read-only
                    # (a PostgreSQL session's default, a SQLite file opened read-only):
                    # the next try opens fresh ones.
                    await self.engine.dispose()
                raise WritesRefused(reason) from exc

    def _refused(self, reason: str, exc: Exception) -> None:
        if self.refusing is None:
            log.warning(
                "the database %s refuses writes (%s); nothing is lost: sync batches are not "
                "committed (the sync token stays) and each will be replayed once it accepts "
                "writes again, and until then nothing new is answered or scheduled",
                self.where,
                reason,
            )
        else:
            log.debug("the database still refuses writes (%s): %r", reason, exc)
        self.refusing = reason

    def writes_work(self) -> None:
        """A sync batch committed: if writes had been refused, say once that they work."""
        if self.refusing is not None:
            log.info("the database %s accepts writes again; going on", self.where)
            self.refusing = None

    async def scrub(self) -> None:
        """Leave no history of recent writes beside the database file: SQLite's write-ahead
        log keeps each commit's pages in order until a checkpoint, and that order could tie
        an anonymous answer to the record of who answered. PostgreSQL's own log is the
        server's, outside the bot's reach (README says so)."""
        if not self.url.startswith("sqlite"):
            return
        async with self._lock, self.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert isinstance(driver, sqlite_inline.Connection)
            deadline = time.monotonic() + SCRUB_PATIENCE
            while True:
                # A reader in another process (`flattening export`) holds the log back:
                # SQLite says so in the first column rather than waiting (nothing waits on
                # the event loop, `storage/sqlite_inline.py`), so the wait is here.
                busy = await driver.checkpoint()
                if not busy or not busy[0] or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            if busy and busy[0]:
                log.warning("the write-ahead log could not be cleared: a reader holds it")

    async def close(self) -> None:
        await self.engine.dispose()
