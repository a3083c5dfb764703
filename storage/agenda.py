"""The agenda: items members put forward for the next meeting (`meeting_id` empty until a
meeting starts and takes them), and, once it runs, the meeting's own, with when each was
taken up and closed and whether its 80% and 100% notices went out. Who put an item forward
is kept (the sovereignty lens counts how many members shape agendas); a standing item from
the configuration has nobody's name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))  # short, like a task name
    planned_minutes: Mapped[int | None] = mapped_column(Integer)
    standing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    added_by: Mapped[str | None] = mapped_column(String(255))  # None: standing, or forgotten
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dropped_by: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_most_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the 80% notice
    warned_full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the 100% notice


async def add(
    session: AsyncSession,
    collective_id: int,
    text: str,
    minutes: int | None,
    by: str | None,
    now: datetime,
    *,
    meeting_id: int | None = None,
    standing: bool = False,
) -> AgendaItem:
    item = AgendaItem(
        collective_id=collective_id,
        meeting_id=meeting_id,
        title=text,
        planned_minutes=minutes,
        standing=standing,
        added_by=by,
        added_at=now,
    )
    session.add(item)
    await session.flush()
    return item


async def items(
    session: AsyncSession, collective_id: int, meeting_id: int | None
) -> list[AgendaItem]:
    """The live items (not dropped) of a meeting, or those waiting for the next one (None):
    standing items first, then in the order they were put forward."""
    column = AgendaItem.meeting_id
    where = column.is_(None) if meeting_id is None else column == meeting_id
    result = await session.execute(
        select(AgendaItem)
        .where(AgendaItem.collective_id == collective_id, where, AgendaItem.dropped_at.is_(None))
        .order_by(AgendaItem.standing.desc(), AgendaItem.id)
    )
    return list(result.scalars())


async def take_up(session: AsyncSession, collective_id: int, meeting_id: int) -> int:
    """A meeting starts: the waiting items become its agenda. Returns how many."""
    result = await session.execute(
        update(AgendaItem)
        .where(
            AgendaItem.collective_id == collective_id,
            AgendaItem.meeting_id.is_(None),
            AgendaItem.dropped_at.is_(None),
        )
        .values(meeting_id=meeting_id)
    )
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


async def running_items(session: AsyncSession, collective_id: int) -> list[AgendaItem]:
    """Items being discussed now (taken up, not closed), for the time notices."""
    result = await session.execute(
        select(AgendaItem).where(
            AgendaItem.collective_id == collective_id,
            AgendaItem.started_at.is_not(None),
            AgendaItem.ended_at.is_(None),
            AgendaItem.dropped_at.is_(None),
        )
    )
    return list(result.scalars())
