"""Trust audit sprints: a named cycle of deliberately widened participation, from
`!sprint start` to `!sprint end` (at most one running per collective)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TrustSprint
from storage.numbering import rowcount


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


async def of_user(session: AsyncSession, user_id: str) -> list[TrustSprint]:
    result = await session.execute(
        select(TrustSprint)
        .where(or_(TrustSprint.started_by == user_id, TrustSprint.ended_by == user_id))
        .order_by(TrustSprint.id)
    )
    return list(result.scalars())


async def forget(session: AsyncSession, user_id: str) -> int:
    """`!forgetme`: sprints they started or ended stay, with a former member."""
    changed = 0
    for statement in (
        update(TrustSprint).where(TrustSprint.started_by == user_id).values(started_by=None),
        update(TrustSprint).where(TrustSprint.ended_by == user_id).values(ended_by=None),
    ):
        result = await session.execute(statement.execution_options(synchronize_session="fetch"))
        changed += rowcount(result)
    return changed
