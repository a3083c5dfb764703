"""The event-id guard: an event acted on once is never acted on again."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import bulk
from storage.models import ProcessedEvent

# session.info keys: the event ids of the batch being processed, and which of them were
# already processed when it began (plus those marked since, in this transaction).
BATCH = "events.batch"
_DONE = "events.done"
CHUNK = 500  # ids in one `IN (...)`: well under every database's limit on parameters


async def prefetch(session: AsyncSession, event_ids: Collection[str]) -> None:
    """Look the batch's events up in one statement (per 500), so `first_time` answers from
    memory for them: a backlog costs a statement per batch, not one or two per event."""
    ids = list(dict.fromkeys(event_ids))
    done: set[str] = session.info.setdefault(_DONE, set())
    batch: set[str] = session.info.setdefault(BATCH, set())
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        result = await session.execute(
            select(ProcessedEvent.event_id).where(ProcessedEvent.event_id.in_(chunk))
        )
        done.update(result.scalars())
        batch.update(chunk)


async def first_time(session: AsyncSession, event_id: str, now: datetime) -> bool:
    """Mark the event as processed; False when it already was."""
    if event_id in session.info.get(BATCH, ()):
        done: set[str] = session.info[_DONE]
        if event_id in done:
            return False
        done.add(event_id)
        # Written with the next flush, in one multi-row INSERT with the batch's others.
        session.add(ProcessedEvent(event_id=event_id, processed_at=now))
        return True
    inserted = await session.execute(
        bulk.insert_once(session, ProcessedEvent.__table__, "event_id"),
        {"event_id": event_id, "processed_at": now},
    )
    return inserted.first() is not None


async def prune(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(ProcessedEvent).where(ProcessedEvent.processed_at < before))
