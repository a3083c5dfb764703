"""Occurrences of scheduled jobs, keyed (job, collective, due time) for exactly-once runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy import exists as any_row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import JobAnchor, Occurrence


async def exists(session: AsyncSession, job: str, collective_id: int, due_at: datetime) -> bool:
    result = await session.execute(
        select(Occurrence.id).where(
            Occurrence.job == job,
            Occurrence.collective_id == collective_id,
            Occurrence.due_at == due_at,
        )
    )
    return result.first() is not None


async def record(
    session: AsyncSession, job: str, collective_id: int, due_at: datetime, now: datetime, late: bool
) -> None:
    """Insert the key; the unique constraint refuses a second run even from a racing process."""
    session.add(
        Occurrence(job=job, collective_id=collective_id, due_at=due_at, ran_at=now, late=late)
    )
    await session.flush()


async def latest(session: AsyncSession, job: str, collective_id: int) -> Occurrence | None:
    result = await session.execute(
        select(Occurrence)
        .where(Occurrence.job == job, Occurrence.collective_id == collective_id)
        .order_by(Occurrence.due_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def anchor(session: AsyncSession, job: str, collective_id: int, now: datetime) -> datetime:
    """The time this job began to apply to the collective, recorded the first time it is asked."""
    result = await session.execute(
        select(JobAnchor.since).where(
            JobAnchor.job == job, JobAnchor.collective_id == collective_id
        )
    )
    since = result.scalar_one_or_none()
    if since is None:
        session.add(JobAnchor(job=job, collective_id=collective_id, since=now))
        await session.flush()
        since = now
    return since


async def prune(session: AsyncSession, before: datetime) -> None:
    """Forget occurrences due before `before`, but never the latest of a job in a
    collective: that one is what the next run counts from (hourly jobs would otherwise
    add a row an hour, for ever)."""
    newer = aliased(Occurrence)
    await session.execute(
        delete(Occurrence).where(
            Occurrence.due_at < before,
            any_row().where(
                newer.job == Occurrence.job,
                newer.collective_id == Occurrence.collective_id,
                newer.due_at > Occurrence.due_at,
            ),
        )
    )
