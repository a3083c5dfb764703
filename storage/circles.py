"""Circles of shadows run as one session (`!circle start`): which step it is on and when
that step ends. The steps' own records are the gallery walk's and the experiments'."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime

GALLERY, GROUPS, EXPERIMENTS, AFFIRMATION = 1, 2, 3, 4
STEPS = 4


class Circle(Base):
    """One session: the gallery walk, small groups, experiments, the closing affirmation.
    Open while `ended_at` is None; one open circle per collective."""

    __tablename__ = "circles"
    __table_args__ = (Index("ix_circles_collective_ended", "collective_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: the schedule, or former
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    step: Mapped[int] = mapped_column(Integer, default=GALLERY)
    step_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(255))  # None: it ran to its end


async def open_circle(session: AsyncSession, collective_id: int) -> Circle | None:
    result = await session.execute(
        select(Circle)
        .where(Circle.collective_id == collective_id, Circle.ended_at.is_(None))
        .order_by(Circle.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def start(
    session: AsyncSession,
    collective_id: int,
    *,
    by: str | None,
    scheduled: bool,
    now: datetime,
    step_ends_at: datetime,
) -> Circle:
    circle = Circle(
        collective_id=collective_id,
        started_by=by,
        scheduled=scheduled,
        step=GALLERY,
        step_ends_at=step_ends_at,
        started_at=now,
    )
    session.add(circle)
    await session.flush()
    return circle


async def due(session: AsyncSession, collective_id: int, now: datetime) -> list[Circle]:
    """Open circles whose current step's time is up."""
    result = await session.execute(
        select(Circle).where(
            Circle.collective_id == collective_id,
            Circle.ended_at.is_(None),
            Circle.step_ends_at <= now,
        )
    )
    return list(result.scalars())
