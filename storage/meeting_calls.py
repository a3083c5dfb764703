"""Called meetings: `!meeting call <when> [topic]` keeps when, the topic, who called it, the
UID its calendar file carries, and whether its one reminder went out. Numbered #N per
collective; a cancelled call keeps its row (who called and who cancelled stay on record)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import next_number
from storage.types import UTCDateTime


class MeetingCall(Base):
    """A meeting called for a time ahead; `reminded_at` is set in the transaction that
    queues its reminder, so the reminder goes out once."""

    __tablename__ = "meeting_calls"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uid: Mapped[str] = mapped_column(String(100))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(255))


async def call(
    session: AsyncSession,
    collective_id: int,
    starts_at: datetime,
    topic: str | None,
    by: str,
    now: datetime,
    uid: str,
) -> MeetingCall:
    row = MeetingCall(
        collective_id=collective_id,
        number=await next_number(
            session, MeetingCall.number, MeetingCall.collective_id, collective_id
        ),
        topic=topic,
        starts_at=starts_at,
        called_by=by,
        called_at=now,
        uid=uid,
    )
    session.add(row)
    await session.flush()
    return row


async def by_number(session: AsyncSession, collective_id: int, number: int) -> MeetingCall | None:
    result = await session.execute(
        select(MeetingCall).where(
            MeetingCall.collective_id == collective_id, MeetingCall.number == number
        )
    )
    return result.scalar_one_or_none()


async def coming(session: AsyncSession, collective_id: int, now: datetime) -> list[MeetingCall]:
    """Called meetings not cancelled whose time is still ahead, soonest first."""
    result = await session.execute(
        select(MeetingCall)
        .where(
            MeetingCall.collective_id == collective_id,
            MeetingCall.cancelled_at.is_(None),
            MeetingCall.starts_at > now,
        )
        .order_by(MeetingCall.starts_at, MeetingCall.number)
    )
    return list(result.scalars())


async def to_remind(
    session: AsyncSession, collective_id: int, now: datetime, before: datetime
) -> list[MeetingCall]:
    """Coming meetings starting by `before` whose reminder has not gone out."""
    result = await session.execute(
        select(MeetingCall)
        .where(
            MeetingCall.collective_id == collective_id,
            MeetingCall.cancelled_at.is_(None),
            MeetingCall.reminded_at.is_(None),
            MeetingCall.starts_at > now,
            MeetingCall.starts_at <= before,
        )
        .order_by(MeetingCall.starts_at)
    )
    return list(result.scalars())
