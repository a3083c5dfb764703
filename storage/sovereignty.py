"""The figures of shared sovereignty (who calls meetings, who closes decisions early, whose
claims go nowhere), read from records other practices keep: counts of the group only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.decisions import PROPOSAL
from storage.models import AuditEntry, Decision, Meeting, Task

LEFT_FOR = timedelta(days=30)  # a claimed task untouched this long is left unfinished


@dataclass(frozen=True)
class Sovereignty:
    meetings: int  # meetings started in the period
    callers: int  # different members who started them
    closed: int  # proposals closed in the period (adopted, rejected, blocked...)
    closed_early: int  # proposals closed before their closing time
    closers: int  # different members who closed them early
    dropped: int  # claims dropped in the period
    stale: int  # tasks claimed and untouched for LEFT_FOR, now


async def figures(
    session: AsyncSession, collective_id: int, since: datetime, until: datetime, now: datetime
) -> Sovereignty:
    met = (
        await session.execute(
            select(func.count(), func.count(func.distinct(Meeting.started_by))).where(
                Meeting.collective_id == collective_id,
                Meeting.started_at >= since,
                Meeting.started_at < until,
            )
        )
    ).one()
    closed = await session.scalar(
        select(func.count())
        .select_from(Decision)
        .where(
            Decision.collective_id == collective_id,
            Decision.kind == PROPOSAL,
            Decision.closed_at >= since,
            Decision.closed_at < until,
        )
    )
    early = (
        await session.execute(
            select(func.count(), func.count(func.distinct(Decision.closed_by))).where(
                Decision.collective_id == collective_id,
                Decision.closed_early.is_(True),
                Decision.closed_at >= since,
                Decision.closed_at < until,
            )
        )
    ).one()
    dropped = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.collective_id == collective_id,
            AuditEntry.action == "task.dropped",
            AuditEntry.at >= since,
            AuditEntry.at < until,
        )
    )
    stale = await session.scalar(
        select(func.count())
        .select_from(Task)
        .where(
            Task.collective_id == collective_id,
            Task.status == "claimed",
            Task.updated_at < now - LEFT_FOR,
        )
    )
    return Sovereignty(
        meetings=int(met[0]),
        callers=int(met[1]),
        closed=int(closed or 0),
        closed_early=int(early[0]),
        closers=int(early[1]),
        dropped=int(dropped or 0),
        stale=int(stale or 0),
    )
