"""Trust audit sprints: a named cycle of deliberately widened participation, from
`!sprint start` to `!sprint end` (at most one running per collective)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TrustSprint


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
