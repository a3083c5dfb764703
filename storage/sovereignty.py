"""The figures of shared sovereignty (who calls meetings, who shapes the agenda, who closes
decisions early, whose claims go nowhere), read from records other practices keep: counts of
the group only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.decisions import PROPOSAL
from storage.models import AgendaItem, AuditEntry, Decision, Meeting, MeetingCall, Task

LEFT_FOR = timedelta(days=30)  # a claimed task untouched this long is left unfinished
SAME_MEETING = timedelta(hours=3)  # a start this close to a called time is that meeting


@dataclass(frozen=True)
class Sovereignty:
    meetings: int  # meetings called ahead (not cancelled), or started without a call
    callers: int  # different members who called or started one
    closed: int  # proposals closed in the period (adopted, rejected, blocked...)
    closed_early: int  # proposals closed before their closing time
    closers: int  # different members who closed them early
    dropped: int  # claims dropped in the period
    stale: int  # tasks claimed and untouched for LEFT_FOR, now
    agenda_items: int = 0  # items members put forward (standing ones are nobody's)
    agenda_people: int = 0  # different members who put one forward


async def figures(
    session: AsyncSession, collective_id: int, since: datetime, until: datetime, now: datetime
) -> Sovereignty:
    started = (
        await session.execute(
            select(Meeting.started_by, Meeting.started_at).where(
                Meeting.collective_id == collective_id,
                Meeting.started_at >= since,
                Meeting.started_at < until,
            )
        )
    ).all()
    called = (
        await session.execute(
            select(MeetingCall.called_by, MeetingCall.starts_at).where(
                MeetingCall.collective_id == collective_id,
                MeetingCall.called_at >= since,
                MeetingCall.called_at < until,
                MeetingCall.cancelled_at.is_(None),
            )
        )
    ).all()
    # A meeting started near the time one was called for is that meeting, called by its
    # caller: counted once. Others were started without being called ahead.
    unplanned = [
        (who, at)
        for who, at in started
        if not any(abs(at - starts) <= SAME_MEETING for _by, starts in called)
    ]
    callers = {u for u, _at in (*called, *unplanned) if u is not None}
    agenda = (
        await session.execute(
            select(func.count(), func.count(func.distinct(AgendaItem.added_by))).where(
                AgendaItem.collective_id == collective_id,
                AgendaItem.standing.is_(False),
                AgendaItem.added_at >= since,
                AgendaItem.added_at < until,
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
        meetings=len(called) + len(unplanned),
        callers=len(callers),
        closed=int(closed or 0),
        closed_early=int(early[0]),
        closers=int(early[1]),
        dropped=int(dropped or 0),
        stale=int(stale or 0),
        agenda_items=int(agenda[0]),
        agenda_people=int(agenda[1]),
    )
