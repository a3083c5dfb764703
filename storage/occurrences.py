"""Occurrences of scheduled jobs, keyed (job, collective, due time) for exactly-once runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
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


async def starting_points(
    session: AsyncSession, wanted: list[tuple[str, int]], now: datetime
) -> dict[tuple[str, int], tuple[datetime, datetime | None]]:
    """For every (job, collective): its anchor and its latest due time, in two queries; a
    missing anchor is recorded as `now`, as `anchor` would. What start-up needs to know
    which rituals are due without a transaction per collective."""
    # All rows are read and filtered here: an IN list of thousands of ids is not portable.
    ids = {cid for _, cid in wanted}
    latest_due = {
        (job, cid): due
        for job, cid, due in (
            await session.execute(
                select(
                    Occurrence.job, Occurrence.collective_id, func.max(Occurrence.due_at)
                ).group_by(Occurrence.job, Occurrence.collective_id)
            )
        ).all()
        if cid in ids
    }
    anchors = {
        (job, cid): since
        for job, cid, since in (
            await session.execute(select(JobAnchor.job, JobAnchor.collective_id, JobAnchor.since))
        ).all()
        if cid in ids
    }
    missing = [key for key in wanted if key not in anchors]
    session.add_all(JobAnchor(job=job, collective_id=cid, since=now) for job, cid in missing)
    await session.flush()
    return {key: (anchors.get(key, now), latest_due.get(key)) for key in wanted}


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
