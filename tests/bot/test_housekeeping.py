"""A bot that runs for months keeps event ids and counted-message keys for 30 days, no more:
they are pruned every day, not only at start-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from bot.database import Database
from bot.scheduler import Rituals
from storage.models import CountedMessage, ProcessedEvent
from tests.harness import ROOM, FakeClock, Harness, make_config


async def kept(db: Database) -> tuple[set[str], set[str]]:
    async with db.transaction() as session:
        processed = set(await session.scalars(select(ProcessedEvent.event_id)))
        counted = set(await session.scalars(select(CountedMessage.event_id)))
    return processed, counted


async def test_a_daily_job_prunes_what_is_older_than_thirty_days(
    db: Database, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    h = Harness(db, make_config(), clock)
    await h.start()
    scheduler = AsyncIOScheduler(timezone=UTC)  # never started: we pull its trigger by hand
    rituals = Rituals(
        db=db,
        config=h.config,
        registry=h.registry,
        clock=clock,
        runtime=h.runtime,
        sender=h.sender,
        scheduler=scheduler,
    )
    await rituals.start()
    job = scheduler.get_job("housekeeping")
    assert job is not None

    old = h.message("an early message")
    await h.process([old])
    clock.advance(days=20)
    recent = h.message("a later one")
    await h.process([recent])
    both = {old.event_id, recent.event_id}
    assert all(both <= ids for ids in await kept(db))

    # Day after day the job fires; nothing is dropped before its 30 days are up.
    fire = job.trigger.get_next_fire_time(None, clock.now())
    for _ in range(9):
        clock.set(fire)
        await job.func(*job.args)
        assert all(both <= ids for ids in await kept(db))
        following = job.trigger.get_next_fire_time(fire, clock.now())
        assert following - fire == timedelta(days=1)
        fire = following
    clock.set(fire + timedelta(days=1))  # past 30 days for the first, not for the second
    await job.func(*job.args)
    processed, counted = await kept(db)
    assert old.event_id not in processed and old.event_id not in counted
    assert recent.event_id in processed and recent.event_id in counted


async def test_start_up_prunes_too(db: Database, clock: FakeClock) -> None:
    h = Harness(db, make_config(), clock)
    await h.start()
    old = h.message("an early message")
    await h.process([old])
    clock.advance(days=31)
    await h.rituals.start()
    processed, counted = await kept(db)
    assert old.event_id not in processed and old.event_id not in counted


async def test_past_occurrences_are_pruned_but_the_latest_of_each_job_stays(
    db: Database, clock: FakeClock
) -> None:
    """Hourly jobs record a run an hour; only the latest of each is needed to count on."""
    from storage import occurrences
    from storage.models import Occurrence

    h = Harness(db, make_config(), clock)
    await h.start()
    hours = 40 * 24  # forty days of hourly ticks, as they would have run
    async with db.transaction() as session:
        for n in range(1, hours + 1):
            due = clock.now() + timedelta(hours=n)
            await occurrences.record(session, "reflection-tick", 1, due, due, False)
        await occurrences.record(session, "rotation", 1, clock.now(), clock.now(), False)
    clock.advance(hours=hours, minutes=1)
    await h.rituals.housekeeping()
    async with db.transaction() as session:
        kept_runs = list(await session.scalars(select(Occurrence)))
    ticks = [o for o in kept_runs if o.job == "reflection-tick"]
    assert len(ticks) == 30 * 24  # thirty days' worth, not forty
    # A weekly job's latest run stays even when it is older than thirty days.
    assert [o.job for o in kept_runs if o.job == "rotation"] == ["rotation"]
    # And nothing runs twice for being pruned.
    assert not await h.rituals.run_due("reflection-tick", ROOM)
