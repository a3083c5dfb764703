"""Live meetings and their speaking stack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class Meeting(Base):
    """A live meeting: it scopes the speaking stack."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    turn_limit: Mapped[int | None] = mapped_column(Integer)  # minutes a turn may take (`!timer`)


class StackEntry(Base):
    """A member waiting to speak; `called_at` is set when `!next` gives them the floor."""

    __tablename__ = "stack_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the turn limit passed


async def running(session: AsyncSession, collective_id: int) -> Meeting | None:
    result = await session.execute(
        select(Meeting)
        .where(Meeting.collective_id == collective_id, Meeting.ended_at.is_(None))
        .order_by(Meeting.started_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def start(session: AsyncSession, collective_id: int, by: str, now: datetime) -> Meeting:
    meeting = Meeting(collective_id=collective_id, started_by=by, started_at=now)
    session.add(meeting)
    await session.flush()
    return meeting


async def entries(session: AsyncSession, meeting_id: int) -> list[StackEntry]:
    result = await session.execute(
        select(StackEntry).where(StackEntry.meeting_id == meeting_id).order_by(StackEntry.id)
    )
    return list(result.scalars())


async def push(session: AsyncSession, meeting_id: int, user_id: str, now: datetime) -> StackEntry:
    entry = StackEntry(meeting_id=meeting_id, user_id=user_id, added_at=now)
    session.add(entry)
    await session.flush()
    return entry


async def end_in_left_rooms(
    session: AsyncSession, collective_ids: Sequence[int], now: datetime
) -> int:
    """Rooms the bot has left: a meeting still running there ends now, and its speaking
    stack (who asked for the floor, when) is deleted. Returns the meetings ended."""
    if not collective_ids:
        return 0
    result = await session.execute(
        select(Meeting).where(Meeting.collective_id.in_(collective_ids), Meeting.ended_at.is_(None))
    )
    running_ = list(result.scalars())
    for meeting in running_:
        meeting.ended_at = now
    if running_:
        await session.execute(
            delete(StackEntry).where(StackEntry.meeting_id.in_([m.id for m in running_]))
        )
    await session.flush()
    return len(running_)
