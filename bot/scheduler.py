"""Scheduled rituals: APScheduler only pulls the trigger; the database decides.

Each (job, collective) gets a cron trigger in the collective's time zone. When it
fires, or at start-up, `run_due` finds the latest due time, records the occurrence
under its unique key and runs the job in the same transaction, so a due time runs
once: late (and saying so) after downtime, never twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.database import Database
from bot.outgoing import QueuedOutgoing
from handlers import i18n
from handlers.context import Clock, Context, Message, Runtime
from handlers.i18n import _, ngettext
from handlers.job_names import job_word
from handlers.registry import Job, Registry
from storage import airtime, collectives, events, left_rooms, occurrences
from storage.engine import WritesRefused
from storage.models import Collective

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.sender import Sender

log = logging.getLogger(__name__)

# A run that starts this long after its due time tells the room it is late.
LATE_AFTER = timedelta(minutes=5)
# Processed event ids and counted-message keys are kept this long (README, !privacy),
# pruned at start-up and every day at this time (UTC), off the hour.
RETENTION = timedelta(days=30)
HOUSEKEEPING = "17 4 * * *"
# A ritual that failed is tried again after 10, 20, 30 ... minutes, five times.
RETRY_AFTER = timedelta(minutes=10)
MAX_RETRIES = 5


# Bounds on every walk over fire times, so no schedule can hold up the event loop.
MAX_SKIPS = 5_000  # candidate wall times passed over in one search (a fold is at most a day)
MAX_WALK = 100_000  # fire times walked through to find the latest due one
# How far back `latest_due` looks first; the walk starts at the first window holding a fire.
WINDOWS = tuple(timedelta(days=d) for d in (1 / 24, 1, 8, 32, 367, 3000))
_TICK = timedelta(microseconds=1)


class LocalCron(BaseTrigger):  # type: ignore[misc]  # APScheduler is untyped
    """A 5-field cron read on the collective's wall clock.

    Matching wall times are found on a plain calendar (APScheduler's cron in UTC, where
    no clock ever changes), then placed in the zone: a wall time the clocks show twice
    fires once, the first time; one they skip fires once, the moment they jump past it.
    Steps and comparisons are made in UTC, and every answer lies strictly after the
    previous fire time, so APScheduler's own loop and ours always make progress.
    (APScheduler's CronTrigger, asked for the fire time after the second 02:30 of a night
    the clocks go back, answers that same 02:30 again, forever.)
    """

    def __init__(self, cron: str, zone: tzinfo) -> None:
        self.cron = cron
        self.zone = zone
        self._walls = CronTrigger.from_crontab(cron, timezone=UTC)

    def __str__(self) -> str:
        return f"cron[{self.cron}] in {self.zone}"

    def __repr__(self) -> str:
        return f"<LocalCron {self.cron!r} {self.zone}>"

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            return self.first_at_or_after(now)
        return self.next_after(previous_fire_time)

    def next_after(self, instant: datetime) -> datetime | None:
        """The first fire time strictly after `instant`."""
        # Step in UTC: a step on a local time in a fold would drop the fold and go back.
        return self.first_at_or_after(instant.astimezone(UTC) + _TICK)

    def first_at_or_after(self, start: datetime) -> datetime | None:
        """The first fire time at or after `start`, in the zone (so calendar steps from it,
        like a term of `1w`, keep the local hour)."""
        found = self._first(start.astimezone(UTC))
        return None if found is None else found.astimezone(self.zone)

    def _first(self, start: datetime) -> datetime | None:
        """`first_at_or_after` in UTC, where comparisons never depend on a fold."""
        # Placing wall times in the zone never moves them back past an earlier one, so the
        # answer is the first matching wall time from here whose instant is not too early
        # (a fold's second pass and a gap just jumped are passed over, a bounded few).
        local = self._wall(start - _TICK)
        for _skip in range(MAX_SKIPS):
            candidate = self._walls.get_next_fire_time(None, local.replace(tzinfo=UTC))
            if candidate is None:
                return None
            local = candidate.replace(tzinfo=None)
            instant = self._instant(local)
            if instant >= start:
                return instant
            local += timedelta(seconds=1)
        log.error("no fire time for %s found near %s; giving up", self, start)
        return None

    def _wall(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone).replace(tzinfo=None)

    def _instant(self, local: datetime) -> datetime:
        """When the zone's clocks show `local`: the first time if twice, else the jump past it."""
        first = local.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        if self._wall(first) == local:
            return first
        # Skipped by a jump forward: between the two readings of `local` (with the offset
        # before and after the jump) lies the instant the clocks pass it; find it exactly.
        second = local.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        lo, hi = min(first, second), max(first, second)
        for _halving in range(64):
            if hi - lo <= timedelta(seconds=1):
                break
            mid = (lo + (hi - lo) / 2).replace(microsecond=0)
            if self._wall(mid) > local:
                hi = mid
            else:
                lo = mid
        return hi


def trigger_for(cron: str, zone: tzinfo) -> LocalCron:
    return LocalCron(cron, zone)


def latest_due(trigger: LocalCron, after: datetime, now: datetime) -> datetime | None:
    """The last fire time in (after, now], or None when there is none.

    The walk starts in the shortest recent window that holds a fire time, so a frequent
    cron after a long downtime costs a few steps, not one per missed minute.
    """
    after, now = after.astimezone(UTC), now.astimezone(UTC)
    if now <= after:
        return None
    for window in (*WINDOWS, None):
        start = after if window is None else max(after, now - window)
        first = trigger.next_after(start)
        if first is None or first.astimezone(UTC) > now:
            if start == after:
                return None
            continue
        last = first
        for _step in range(MAX_WALK):
            following = trigger.next_after(last)
            if following is None or following.astimezone(UTC) > now:
                return last
            last = following
        log.error("%s fires too often to walk to %s; running %s", trigger, now, last)
        return last
    return None


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
        deliver_in_background: bool = False,
    ) -> None:
        """`deliver_in_background`: a run queues its messages and returns, and the sender
        delivers them in its own task (the running bot); otherwise a run returns once they
        are delivered (tests read what was sent right away)."""
        self.db = db
        self.config = config
        self.registry = registry
        self.clock = clock
        self.runtime = runtime
        self.sender = sender
        self.scheduler = scheduler
        self.deliver_in_background = deliver_in_background
        self.account = config.matrix.user_id
        # (job, room) -> (failures in a row, the last reason); kept while the bot runs.
        self.failures: dict[tuple[str, str], tuple[int, str]] = {}

    def _job(self, name: str) -> Job:
        return next(j for j in self.registry.jobs if j.name == name)

    def enabled(self, job: Job, room_id: str) -> bool:
        """An empty cron (such as `[schedule] gallery = ""`) turns the ritual off."""
        return bool(job.schedule(self.config.for_room(room_id)).strip())

    def trigger(self, job: Job, room_id: str) -> LocalCron:
        settings = self.config.for_room(room_id)
        return trigger_for(job.schedule(settings), settings.timezone)

    async def start(self) -> None:
        """Prune and schedule the daily pruning; schedule every joined collective, then run
        what was missed while down."""
        await self.housekeeping()
        if self.scheduler is not None:
            self.scheduler.add_job(
                self.housekeeping,
                trigger_for(HOUSEKEEPING, UTC),
                id="housekeeping",
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=None,
            )
        async with self.db.transaction() as session:
            served = [c for c in await collectives.joined(session, self.account) if not c.is_direct]
        try:
            due = await self._due_at_start(served)
        except Exception as exc:  # e.g. another process adding the same anchors
            log.warning("finding the due rituals at once failed (%r); looking at each", exc)
            due = {c.room_id: None for c in served}
        for collective in served:
            await self.add_collective(collective.room_id, due=due[collective.room_id])

    async def _due_at_start(self, served: list[Collective]) -> dict[str, set[str] | None]:
        """Which jobs are due in each collective, from one transaction (not one per
        collective and job); a fire time passing while start-up goes on counts too."""
        now = self.clock.now()
        jobs = self.registry.jobs
        enabled = {c.id: [j for j in jobs if self.enabled(j, c.room_id)] for c in served}
        async with self.db.transaction() as session:
            points = await occurrences.starting_points(
                session, [(j.name, cid) for cid, jobs in enabled.items() for j in jobs], now
            )
        due: dict[str, set[str] | None] = {}
        for collective in served:
            names = due[collective.room_id] = set()
            for job in enabled[collective.id]:
                trigger = self.trigger(job, collective.room_id)
                since, previous = points[(job.name, collective.id)]
                after = max(collective.joined_at, since, previous or since)
                when = latest_due(trigger, after, now)
                if when is not None and (previous is None or when > previous):
                    names.add(job.name)
                elif latest_due(trigger, now, self.clock.now()) is not None:
                    names.add(job.name)  # fell due while start-up went on
        return due

    async def add_collective(self, room_id: str, due: set[str] | None = None) -> None:
        """Schedule the collective's rituals and run what is due (`due`: the jobs known to
        be due; None: look at each)."""
        for job in self.registry.jobs:
            if not self.enabled(job, room_id):
                continue
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
            if due is None or job.name in due:
                await self.run_due(job.name, room_id)

    async def housekeeping(self) -> None:
        """Forget event ids, counted-message keys and past occurrences of scheduled jobs
        (all but the latest of each) older than RETENTION; close and prune the rituals of
        rooms the bot has left (`storage/left_rooms.py`), whose own jobs no longer run.

        Not a practice's ritual: nothing is posted, and running it twice does no harm."""
        try:
            async with self.db.transaction() as session:
                cutoff = self.clock.now() - RETENTION
                await events.prune(session, cutoff)
                await airtime.prune_counted(session, cutoff)
                await occurrences.prune(session, cutoff)
        except Exception:
            log.exception("pruning old event ids failed; will retry tomorrow")
        try:
            async with self.db.transaction() as session:
                closed = await left_rooms.close_rituals(session, self.clock.now())
            done = ", ".join(f"{n} {what}" for what, n in closed.items() if n)
            if done:
                log.info("in rooms the bot has left: %s", done)
        except Exception:
            log.exception("closing the rituals of rooms the bot left failed; will retry tomorrow")

    def next_fire(self, job_name: str, room_id: str, after: datetime) -> datetime | None:
        """The first due time of the job at or after `after`, in this collective's schedule."""
        job = next((j for j in self.registry.jobs if j.name == job_name), None)
        if job is None or not self.enabled(job, room_id):
            return None
        return self.trigger(job, room_id).first_at_or_after(after)

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
        if not self.enabled(job, room_id):
            return False
        try:
            ran = await self._run(job, room_id)
        except IntegrityError:
            log.info("%s for %s already ran elsewhere", job_name, room_id)
            return False
        except WritesRefused as exc:  # said once by the database; tried again a little later
            await self._failed(job, room_id, exc, count=False)
            return False
        except Exception as exc:
            log.exception("scheduled job %s failed for %s", job_name, room_id)
            await self._failed(job, room_id, exc)
            return False
        self.failures.pop((job_name, room_id), None)
        if ran and self.sender is not None:
            if self.deliver_in_background:
                # The outbox holds the messages until the homeserver takes them; a chart to
                # render or a 429 to wait out must not hold up start-up or the sync loop.
                self.sender.kick()
            else:
                await self.sender.drain()
        return ran

    async def _failed(self, job: Job, room_id: str, exc: Exception, *, count: bool = True) -> None:
        """Tell the room once that a ritual could not run, and try again a little later.

        `count=False`: the host's fault (a database refusing writes), retried for as long
        as it lasts rather than given up after MAX_RETRIES."""
        tries = self.failures.get((job.name, room_id), (0, ""))[0] + 1
        wait = RETRY_AFTER * min(tries, MAX_RETRIES)
        retry = self.clock.now() + wait if tries <= MAX_RETRIES or not count else None
        reason = f"{type(exc).__name__}: {str(exc)[:120]}"
        self.failures[(job.name, room_id)] = (tries, reason)
        if retry is not None and self.scheduler is not None:
            self.scheduler.add_job(
                self.run_due,
                DateTrigger(run_date=retry),
                args=[job.name, room_id],
                id=f"retry|{job.name}|{room_id}",
                replace_existing=True,
                misfire_grace_time=None,
            )
        if tries > 1:
            return  # the room was told at the first failure
        try:
            async with self.db.transaction() as session:
                collective = await collectives.by_room(session, room_id)
                if collective is None or not collectives.serves(collective, self.account):
                    return
                settings = self.config.for_room(room_id)
                outgoing = QueuedOutgoing(
                    session, self.clock, f"{room_id}|failed|{job.name}", self.account
                )
                with i18n.speaking(settings.language):
                    when = i18n.moment(retry.astimezone(settings.timezone)) if retry else None
                    await outgoing.post(
                        Message(
                            room_id,
                            _("The {job} could not run: {reason}.")
                            + " "
                            + (
                                _("It will try again at {when}.")
                                if when
                                else _("It will run at its next time.")
                            ),
                            {
                                "job": job_word(job.name),
                                "reason": reason,
                                "when": when or "",
                            },
                        )
                    )
        except WritesRefused:
            pass  # said once by the database
        except Exception:
            log.exception("could not tell %s that %s failed", room_id, job.name)
        if self.sender is not None:
            self.sender.kick()

    def problems(self, room_id: str) -> list[str]:
        """Rituals that failed here and have not run since, for `!status`."""
        return [
            ngettext(
                "the {job} failed {n} time: {reason}",
                "the {job} failed {n} times: {reason}",
                tries,
            ).format(job=job_word(job), n=tries, reason=reason)
            for (job, room), (tries, reason) in self.failures.items()
            if room == room_id
        ]

    async def _run(self, job: Job, room_id: str) -> bool:
        async with self.db.transaction() as session:
            now = self.clock.now()
            collective = await collectives.by_room(session, room_id)
            if collective is None or not collective.joined or collective.is_direct:
                return False
            if not collectives.serves(collective, self.account):
                return False  # another bot account of the host serves the room now
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
                outgoing=QueuedOutgoing(session, self.clock, cause, self.account),
                runtime=self.runtime(room_id),
                late_by=(now - due).total_seconds() if late else 0.0,
                due_at=due,
            )
            log.info(
                "running %s for %s (due %s%s)", job.name, room_id, due, ", late" if late else ""
            )
            await job.handler(ctx)
            return True
