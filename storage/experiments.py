"""Structural experiments: trials of a change in how the group works, each reviewed by a
proposal "keep, change or drop" when its time is up, with the proposal's result kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import next_number
from storage.types import UTCDateTime


class Experiment(Base):
    """A structural experiment (`!experiment`), numbered per collective. When its time is
    up a proposal "keep, change or drop" opens (`review_number`); its result is kept here
    once that proposal closes."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(Text)
    duration: Mapped[str] = mapped_column(String(8))  # as typed: 2w, 1m
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_number: Mapped[int | None] = mapped_column(Integer)  # the proposal #N
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(16))  # adopted | rejected | withdrawn
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


async def start(
    session: AsyncSession,
    collective_id: int,
    change: str,
    duration: str,
    by: str | None,
    now: datetime,
    ends_at: datetime,
) -> Experiment:
    """Record experiment #N."""
    row = Experiment(
        collective_id=collective_id,
        number=await next_number(
            session, Experiment.number, Experiment.collective_id, collective_id
        ),
        change=change,
        duration=duration,
        started_by=by,
        started_at=now,
        ends_at=ends_at,
    )
    session.add(row)
    await session.flush()
    return row


async def every(session: AsyncSession, collective_id: int) -> list[Experiment]:
    """All of the collective's experiments, newest first."""
    result = await session.execute(
        select(Experiment)
        .where(Experiment.collective_id == collective_id)
        .order_by(Experiment.number.desc())
    )
    return list(result.scalars())


async def due_reviews(session: AsyncSession, collective_id: int, now: datetime) -> list[Experiment]:
    """Experiments whose time is up and whose review has not been opened."""
    result = await session.execute(
        select(Experiment)
        .where(
            Experiment.collective_id == collective_id,
            Experiment.review_number.is_(None),
            Experiment.ends_at <= now,
        )
        .order_by(Experiment.ends_at, Experiment.number)
    )
    return list(result.scalars())


async def under_review(session: AsyncSession, collective_id: int) -> list[Experiment]:
    """Experiments whose review proposal is open, as far as is recorded here."""
    result = await session.execute(
        select(Experiment)
        .where(
            Experiment.collective_id == collective_id,
            Experiment.review_number.is_not(None),
            Experiment.result.is_(None),
        )
        .order_by(Experiment.number)
    )
    return list(result.scalars())
