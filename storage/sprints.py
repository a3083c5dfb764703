"""Trust audit sprints: a named cycle of deliberately widened participation, from
`!sprint start` to `!sprint end` (at most one running per collective)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class TrustSprint(Base):
    """A trust audit sprint (`!sprint start` / `!sprint end`): a cycle of deliberately
    widened participation, compared at its end with the equal period before it."""

    __tablename__ = "trust_sprints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(255))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


async def current(session: AsyncSession, collective_id: int) -> TrustSprint | None:
    return await session.scalar(
        select(TrustSprint)
        .where(TrustSprint.collective_id == collective_id, TrustSprint.ended_at.is_(None))
        .order_by(TrustSprint.id)
        .limit(1)
    )


async def start(
    session: AsyncSession, collective_id: int, name: str, by: str | None, now: datetime
) -> TrustSprint:
    row = TrustSprint(collective_id=collective_id, name=name, started_by=by, started_at=now)
    session.add(row)
    await session.flush()
    return row
