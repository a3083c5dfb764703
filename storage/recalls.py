"""Recalls of role holders (`!recall`): a proposal to end one term early, tied to that term,
with its outcome kept once the proposal closes (the role's history shows both)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class RoleRecall(Base):
    """A recall of the holder of one term: proposal #`proposal_number` decides it. The
    holder is kept by id (the term may have ended, or changed hands, by the time it
    closes); `result` is the proposal's status once it closed and the recall was settled."""

    __tablename__ = "role_recalls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    term_id: Mapped[int | None] = mapped_column(
        ForeignKey("role_terms.id", ondelete="SET NULL"), index=True
    )
    holder: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    asked_by: Mapped[str | None] = mapped_column(String(255))
    proposal_number: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(16))  # adopted | rejected | withdrawn
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_holder: Mapped[str | None] = mapped_column(String(255))  # who rotation picked


async def add(
    session: AsyncSession,
    collective_id: int,
    role_id: int,
    term_id: int,
    holder: str | None,
    asked_by: str | None,
    proposal_number: int,
    now: datetime,
) -> RoleRecall:
    row = RoleRecall(
        collective_id=collective_id,
        role_id=role_id,
        term_id=term_id,
        holder=holder,
        asked_by=asked_by,
        proposal_number=proposal_number,
        opened_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def of_term(session: AsyncSession, term_id: int) -> list[RoleRecall]:
    """Every recall of one term, oldest first."""
    result = await session.execute(
        select(RoleRecall).where(RoleRecall.term_id == term_id).order_by(RoleRecall.id)
    )
    return list(result.scalars())


async def unsettled(session: AsyncSession, collective_id: int) -> list[RoleRecall]:
    """Recalls whose outcome is not recorded yet (their proposal may have closed)."""
    result = await session.execute(
        select(RoleRecall)
        .where(RoleRecall.collective_id == collective_id, RoleRecall.result.is_(None))
        .order_by(RoleRecall.id)
    )
    return list(result.scalars())


async def of_role(session: AsyncSession, role_id: int) -> list[RoleRecall]:
    """Every recall of a role's holders, newest first."""
    result = await session.execute(
        select(RoleRecall).where(RoleRecall.role_id == role_id).order_by(RoleRecall.id.desc())
    )
    return list(result.scalars())
