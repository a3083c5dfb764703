"""The knowledge map: who declared they know, or are learning, which area."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Member
from storage.types import UTCDateTime


class Knowledge(Base):
    """A member's declaration that they know, or are learning, an area."""

    __tablename__ = "knowledge"
    __table_args__ = (UniqueConstraint("collective_id", "user_id", "area"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    area: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))  # knows | learning
    since: Mapped[datetime] = mapped_column(UTCDateTime)


async def declaration(
    session: AsyncSession, collective_id: int, user_id: str, area: str
) -> Knowledge | None:
    result = await session.execute(
        select(Knowledge).where(
            Knowledge.collective_id == collective_id,
            Knowledge.user_id == user_id,
            Knowledge.area == area,
        )
    )
    return result.scalar_one_or_none()


async def declare(
    session: AsyncSession, collective_id: int, user_id: str, area: str, level: str, now: datetime
) -> str | None:
    """Set the member's level for the area; returns the previous level, if any."""
    found = await declaration(session, collective_id, user_id, area)
    if found is None:
        session.add(
            Knowledge(
                collective_id=collective_id, user_id=user_id, area=area, level=level, since=now
            )
        )
        await session.flush()
        return None
    previous = found.level
    if previous != level:
        found.level = level
        found.since = now
    return previous


async def withdraw(
    session: AsyncSession, collective_id: int, user_id: str, area: str
) -> str | None:
    found = await declaration(session, collective_id, user_id, area)
    if found is None:
        return None
    await session.delete(found)
    await session.flush()
    return found.level


async def for_area(session: AsyncSession, collective_id: int, area: str) -> list[Knowledge]:
    """Declarations for one area by current members, oldest first."""
    return await _current(session, collective_id, Knowledge.area == area)


async def all_current(session: AsyncSession, collective_id: int) -> list[Knowledge]:
    return await _current(session, collective_id)


async def _current(session: AsyncSession, collective_id: int, *where: object) -> list[Knowledge]:
    query = (
        select(Knowledge)
        .join(
            Member,
            (Member.collective_id == Knowledge.collective_id)
            & (Member.user_id == Knowledge.user_id),
        )
        .where(Knowledge.collective_id == collective_id, Member.joined.is_(True), *where)  # type: ignore[arg-type]
        .order_by(Knowledge.area, Knowledge.since, Knowledge.id)
    )
    return list((await session.execute(query)).scalars())
