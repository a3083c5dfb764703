"""The event-id guard: an event acted on once is never acted on again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEvent


async def first_time(session: AsyncSession, event_id: str, now: datetime) -> bool:
    """Mark the event as processed; False when it already was."""
    if await session.get(ProcessedEvent, event_id) is not None:
        return False
    session.add(ProcessedEvent(event_id=event_id, processed_at=now))
    await session.flush()
    return True


async def prune(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(ProcessedEvent).where(ProcessedEvent.processed_at < before))
