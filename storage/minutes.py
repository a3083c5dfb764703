"""What a meeting's minutes are made of, read from the records other practices keep (the
meeting, its stack, its agenda, its notes, decisions and the audit log): minutes are never
stored as text, so they are written in whatever language they are read in, and a member
who is forgotten is forgotten in them too."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Decision, Meeting


async def ended(session: AsyncSession, collective_id: int) -> list[Meeting]:
    """The collective's ended meetings, oldest first: meeting N is the Nth of them."""
    result = await session.execute(
        select(Meeting)
        .where(Meeting.collective_id == collective_id, Meeting.ended_at.is_not(None))
        .order_by(Meeting.started_at, Meeting.id)
    )
    return list(result.scalars())


async def decisions_between(
    session: AsyncSession, collective_id: int, start: datetime, end: datetime
) -> list[Decision]:
    """Proposals made, decisions recorded, and proposals closed in [start, end]."""
    result = await session.execute(
        select(Decision)
        .where(
            Decision.collective_id == collective_id,
            or_(
                and_(Decision.opened_at >= start, Decision.opened_at <= end),
                and_(Decision.closed_at >= start, Decision.closed_at <= end),
            ),
        )
        .order_by(Decision.number)
    )
    return list(result.scalars())


async def task_actions_between(
    session: AsyncSession, collective_id: int, start: datetime, end: datetime
) -> list[tuple[str, str, str | None]]:
    """Tasks added or claimed in [start, end], from the audit log: (action, task, who)."""
    result = await session.execute(
        select(AuditEntry.action, AuditEntry.params, AuditEntry.actor)
        .where(
            AuditEntry.collective_id == collective_id,
            AuditEntry.action.in_(("task.added", "task.claimed")),
            AuditEntry.at >= start,
            AuditEntry.at <= end,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    found = []
    for action, params, actor in result.all():
        task = json.loads(params or "{}").get("task")
        if isinstance(task, str):
            found.append((str(action), task, actor))
    return found
