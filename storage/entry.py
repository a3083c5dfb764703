"""Entry sprints: a newcomer is a collaborator (not in rotation) until `!member`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class EntrySprint(Base):
    """A newcomer's entry sprint: a collaborator, not yet in rotation, until `!member`."""

    __tablename__ = "entry_sprints"
    __table_args__ = (Index("ix_entry_sprints_collective_user", "collective_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


async def prune_in_left_rooms(
    session: AsyncSession, collective_ids: Collection[int], now: datetime
) -> int:
    """Rooms the bot has left: a sprint is deleted once it is over (ended, or past its
    end, when the group would have looked back on it; nobody can there). One still
    running stays until its end, in case the bot is invited back. Returns the sprints
    deleted."""
    if not collective_ids:
        return 0
    result = await session.execute(
        delete(EntrySprint).where(
            EntrySprint.collective_id.in_(list(collective_ids)),
            or_(EntrySprint.ended_at.is_not(None), EntrySprint.ends_at <= now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def latest_reviewed(
    session: AsyncSession, collective_id: int, user_id: str, since: datetime
) -> EntrySprint | None:
    """The member's sprint looked back on since `since` (their answer on fit is awaited)."""
    result = await session.execute(
        select(EntrySprint)
        .where(
            EntrySprint.collective_id == collective_id,
            EntrySprint.user_id == user_id,
            EntrySprint.reviewed_at >= since,
        )
        .order_by(EntrySprint.reviewed_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()
