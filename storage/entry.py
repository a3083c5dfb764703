"""Entry sprints: a newcomer is a collaborator (not in rotation) until `!member`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EntrySprint


async def start(
    session: AsyncSession, collective_id: int, user_id: str, now: datetime, ends_at: datetime
) -> EntrySprint:
    row = EntrySprint(collective_id=collective_id, user_id=user_id, started_at=now, ends_at=ends_at)
    session.add(row)
    await session.flush()
    return row


async def current(session: AsyncSession, collective_id: int, user_id: str) -> EntrySprint | None:
    result = await session.execute(
        select(EntrySprint)
        .where(
            EntrySprint.collective_id == collective_id,
            EntrySprint.user_id == user_id,
            EntrySprint.ended_at.is_(None),
        )
        .order_by(EntrySprint.started_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def collaborators(session: AsyncSession, collective_id: int) -> set[str]:
    """Everyone whose entry sprint has not ended: not yet in role rotation."""
    result = await session.execute(
        select(EntrySprint.user_id).where(
            EntrySprint.collective_id == collective_id, EntrySprint.ended_at.is_(None)
        )
    )
    return set(result.scalars())


async def due_reviews(
    session: AsyncSession, collective_id: int, now: datetime
) -> list[EntrySprint]:
    result = await session.execute(
        select(EntrySprint)
        .where(
            EntrySprint.collective_id == collective_id,
            EntrySprint.ended_at.is_(None),
            EntrySprint.reviewed_at.is_(None),
            EntrySprint.ends_at <= now,
        )
        .order_by(EntrySprint.ends_at, EntrySprint.id)
    )
    return list(result.scalars())


async def of_user(session: AsyncSession, user_id: str) -> list[EntrySprint]:
    result = await session.execute(
        select(EntrySprint).where(EntrySprint.user_id == user_id).order_by(EntrySprint.started_at)
    )
    return list(result.scalars())


async def forget(session: AsyncSession, user_id: str, keep: Collection[int] = ()) -> int:
    """Their sprints, but those in collectives they are still in (`keep`): erasing one's
    own data must not make a collaborator a full member without the group's word."""
    query = delete(EntrySprint).where(EntrySprint.user_id == user_id)
    if keep:
        query = query.where(EntrySprint.collective_id.not_in(list(keep)))
    result = await session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)
