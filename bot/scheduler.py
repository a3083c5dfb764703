"""Scheduled rituals: APScheduler only pulls the trigger; the database decides.

Each (job, collective) gets a cron trigger in the collective's time zone. When it
fires, or at start-up, `run_due` finds the latest due time, records the occurrence
under its unique key and runs the job in the same transaction, so a due time runs
once: late (and saying so) after downtime, never twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.database import Database
from bot.outgoing import QueuedOutgoing
from handlers.context import Clock, Context, Runtime
from handlers.registry import Job, Registry
from storage import collectives, occurrences

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.sender import Sender

log = logging.getLogger(__name__)

# A run that starts this long after its due time tells the room it is late.
LATE_AFTER = timedelta(minutes=5)


def trigger_for(cron: str, zone: object) -> CronTrigger:
    return CronTrigger.from_crontab(cron, timezone=zone)


def latest_due(trigger: CronTrigger, after: datetime, now: datetime) -> datetime | None:
    """The last fire time in (after, now], or None when there is none."""
    last = None
    t = trigger.get_next_fire_time(None, after.astimezone(UTC) + timedelta(microseconds=1))
    while t is not None and t <= now:
        last = t
        # Step in UTC: a fire time comes back in the collective's zone, and adding to it there
        # drops the fold, so in the hour repeated when summer time ends the step would go
        # back an hour and find the same fire time again, for ever.
        t = trigger.get_next_fire_time(t, t.astimezone(UTC) + timedelta(microseconds=1))
    return last


class Rituals:
    def __init__(
        self,
        *,
        db: Database,
        config: Config,
        registry: Registry,
        clock: Clock,
        runtime: Callable[[str], Runtime],
        sender: Sender | None,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.registry = registry
        self.clock = clock
        self.runtime = runtime
        self.sender = sender
        self.scheduler = scheduler

    def _job(self, name: str) -> Job:
        return next(j for j in self.registry.jobs if j.name == name)

    def trigger(self, job: Job, room_id: str) -> CronTrigger:
        settings = self.config.for_room(room_id)
        return trigger_for(job.schedule(settings), settings.timezone)

    async def start(self) -> None:
        """Schedule every joined collective, then run what was missed while down."""
        async with self.db.transaction() as session:
            rooms = [c.room_id for c in await collectives.joined(session) if not c.is_direct]
        for room_id in rooms:
            await self.add_collective(room_id)

    async def add_collective(self, room_id: str) -> None:
        for job in self.registry.jobs:
            if self.scheduler is not None:
                self.scheduler.add_job(
                    self.run_due,
                    self.trigger(job, room_id),
                    args=[job.name, room_id],
                    id=f"{job.name}|{room_id}",
                    replace_existing=True,
                    coalesce=True,
                    misfire_grace_time=None,
                )
            await self.run_due(job.name, room_id)

    def next_fire(self, job_name: str, room_id: str, after: datetime) -> datetime | None:
        """The first due time of the job at or after `after`, in this collective's schedule."""
        job = next((j for j in self.registry.jobs if j.name == job_name), None)
        if job is None:
            return None
        fire: datetime | None = self.trigger(job, room_id).get_next_fire_time(None, after)
        return fire

    def next_runs(self, room_id: str) -> dict[str, datetime]:
        if self.scheduler is None:
            return {}
        runs: dict[str, datetime] = {}
        for job in self.registry.jobs:
            scheduled = self.scheduler.get_job(f"{job.name}|{room_id}")
            if scheduled is not None and scheduled.next_run_time is not None:
                runs[job.name] = scheduled.next_run_time
        return runs

    async def run_due(self, job_name: str, room_id: str) -> bool:
        """Run the latest due occurrence if nobody has; True when this call ran it."""
        job = self._job(job_name)
        try:
            ran = await self._run(job, room_id)
        except IntegrityError:
            log.info("%s for %s already ran elsewhere", job_name, room_id)
            return False
        except Exception:
            log.exception("scheduled job %s failed for %s", job_name, room_id)
            return False
        if ran and self.sender is not None:
            await self.sender.drain()  # in the scheduler's own task, not the sync loop's
        return ran

    async def _run(self, job: Job, room_id: str) -> bool:
        async with self.db.transaction() as session:
            now = self.clock.now()
            collective = await collectives.by_room(session, room_id)
            if collective is None or not collective.joined or collective.is_direct:
                return False
            previous = await occurrences.latest(session, job.name, collective.id)
            # A job new to this collective (just joined, or added by an upgrade) owes nothing
            # from before it was first scheduled here.
            since = await occurrences.anchor(session, job.name, collective.id, now)
            after = max(collective.joined_at, since, previous.due_at if previous else since)
            due = latest_due(self.trigger(job, room_id), after, now)
            if due is None or await occurrences.exists(session, job.name, collective.id, due):
                return False
            late = now - due > LATE_AFTER
            await occurrences.record(session, job.name, collective.id, due, now, late)
            cause = f"{room_id}|job|{job.name}|{due.isoformat()}"
            ctx = Context(
                session=session,
                clock=self.clock,
                settings=self.config.for_room(room_id),
                collective=collective,
                outgoing=QueuedOutgoing(session, self.clock, cause),
                runtime=self.runtime(room_id),
                late_by=(now - due).total_seconds() if late else 0.0,
                due_at=due,
            )
            log.info(
                "running %s for %s (due %s%s)", job.name, room_id, due, ", late" if late else ""
            )
            await job.handler(ctx)
            return True
