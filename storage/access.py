"""The access register: who holds access to which of the collective's resources (a bank
account, a domain registrar, the space's keys). Names of resources and member ids only:
never a password, a key or a number (handlers/access.py refuses those before anything is
kept)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class AccessHolding(Base):
    """One member holding access to one resource, as a member recorded it."""

    __tablename__ = "access_holdings"
    __table_args__ = (UniqueConstraint("collective_id", "resource", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    resource: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(255))
    added_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


async def holding(
    session: AsyncSession, collective_id: int, resource: str, user_id: str
) -> AccessHolding | None:
    result = await session.execute(
        select(AccessHolding).where(
            AccessHolding.collective_id == collective_id,
            AccessHolding.resource == resource,
            AccessHolding.user_id == user_id,
        )
    )
    return result.scalar_one_or_none()


async def add(
    session: AsyncSession,
    collective_id: int,
    resource: str,
    user_id: str,
    added_by: str,
    now: datetime,
) -> bool:
    """Record that the member holds access; False when that was already recorded."""
    if await holding(session, collective_id, resource, user_id) is not None:
        return False
    session.add(
        AccessHolding(
            collective_id=collective_id,
            resource=resource,
            user_id=user_id,
            added_by=added_by,
            added_at=now,
        )
    )
    await session.flush()
    return True


async def drop(session: AsyncSession, collective_id: int, resource: str, user_id: str) -> bool:
    """Record that the member no longer holds access; False when they were not listed."""
    result = await session.execute(
        delete(AccessHolding).where(
            AccessHolding.collective_id == collective_id,
            AccessHolding.resource == resource,
            AccessHolding.user_id == user_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def register(session: AsyncSession, collective_id: int) -> dict[str, list[str]]:
    """Every resource with its holders' user ids, resources in name order, holders in the
    order they were recorded. Holders who left the room are kept: access they had is
    theirs until someone changes it, and the register should show that."""
    result = await session.execute(
        select(AccessHolding.resource, AccessHolding.user_id)
        .where(AccessHolding.collective_id == collective_id)
        .order_by(AccessHolding.resource, AccessHolding.added_at, AccessHolding.id)
    )
    held: dict[str, list[str]] = {}
    for resource, user_id in result.all():
        held.setdefault(resource, []).append(user_id)
    return held


async def holders(session: AsyncSession, collective_id: int, resource: str) -> list[str]:
    return (await register(session, collective_id)).get(resource, [])


async def holders_count(session: AsyncSession, collective_id: int) -> dict[str, int]:
    """How many resources each member holds access to, by user id (for the power map)."""
    result = await session.execute(
        select(AccessHolding.user_id, func.count())
        .where(AccessHolding.collective_id == collective_id)
        .group_by(AccessHolding.user_id)
    )
    return {user_id: int(n) for user_id, n in result.all()}


async def single_holders(session: AsyncSession, collective_id: int) -> list[tuple[str, str]]:
    """Single points of access: (resource, user id) for each resource exactly one member
    holds, in resource order."""
    return [
        (r, users[0])
        for r, users in (await register(session, collective_id)).items()
        if len(users) == 1
    ]
