"""Cross-training pairs: a member learning an area from a member who holds it. Member ids,
the area's name and dates only; a pair is open until it is done or dropped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime

OPEN, DONE, DROPPED = "open", "done", "dropped"


class Pair(Base):
    """One learner, one holder, one area: "cross training is an equality practice"."""

    __tablename__ = "pairs"
    __table_args__ = (Index("ix_pairs_collective_status", "collective_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    area: Mapped[str] = mapped_column(String(100))
    learner_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    holder_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)  # open | done | dropped
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


async def start(
    session: AsyncSession, collective_id: int, area: str, learner: str, holder: str, now: datetime
) -> Pair:
    pair = Pair(
        collective_id=collective_id,
        area=area,
        learner_id=learner,
        holder_id=holder,
        status=OPEN,
        started_at=now,
    )
    session.add(pair)
    await session.flush()
    return pair


async def open_pairs(
    session: AsyncSession, collective_id: int, area: str | None = None
) -> list[Pair]:
    """Pairs in progress, oldest first (one area's, or all)."""
    query = select(Pair).where(Pair.collective_id == collective_id, Pair.status == OPEN)
    if area is not None:
        query = query.where(func.lower(Pair.area) == area.casefold())
    return list((await session.execute(query.order_by(Pair.started_at, Pair.id))).scalars())


async def mine(session: AsyncSession, collective_id: int, area: str, user_id: str) -> list[Pair]:
    """The open pairs in an area the member is in, as learner or as holder."""
    return [
        p
        for p in await open_pairs(session, collective_id, area)
        if user_id in (p.learner_id, p.holder_id)
    ]


async def trained(session: AsyncSession, collective_id: int, area: str) -> list[Pair]:
    """Pairs completed in an area, oldest first: their learners are holders in training."""
    query = select(Pair).where(
        Pair.collective_id == collective_id,
        Pair.status == DONE,
        func.lower(Pair.area) == area.casefold(),
    )
    return list((await session.execute(query.order_by(Pair.ended_at, Pair.id))).scalars())


async def due_reminders(session: AsyncSession, collective_id: int, before: datetime) -> list[Pair]:
    """Open pairs started before `before` and not yet reminded."""
    query = select(Pair).where(
        Pair.collective_id == collective_id,
        Pair.status == OPEN,
        Pair.reminded_at.is_(None),
        Pair.started_at <= before,
    )
    return list((await session.execute(query.order_by(Pair.started_at, Pair.id))).scalars())


async def completed_between(
    session: AsyncSession, collective_id: int, since: datetime, until: datetime
) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Pair)
            .where(
                Pair.collective_id == collective_id,
                Pair.status == DONE,
                Pair.ended_at >= since,
                Pair.ended_at < until,
            )
        )
        or 0
    )
