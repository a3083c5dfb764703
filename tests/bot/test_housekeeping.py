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


async def test_rituals_of_a_room_the_bot_left_are_closed_and_pruned_on_schedule(
    db: Database, clock: FakeClock
) -> None:
    """No practice's job runs for a room the bot has left: the daily housekeeping closes
    its rituals when they are due, as anywhere else, posts nothing there, and keeps
    nothing of who answered what, who was asked, who put a dot or waited to speak."""
    from datetime import date

    from sqlalchemy import func, update

    from storage import checkins, entry, gallery, meetings, reflection
    from storage.models import (
        Checkin,
        CheckinAnswer,
        Collective,
        EntrySprint,
        GalleryMark,
        GalleryPattern,
        GalleryWalk,
        Meeting,
        OutboxMessage,
        ReflectionAnswer,
        ReflectionAsked,
        ReflectionRound,
        StackEntry,
    )
    from tests.harness import ALICE, BOB, CAROL

    h = Harness(db, make_config(), clock)
    await h.start()
    now = clock.now()
    people = (ALICE, BOB, CAROL)
    async with db.transaction() as session:
        cid = await session.scalar(select(Collective.id).where(Collective.room_id == ROOM))
        assert cid is not None
        round_ = await reflection.start(
            session, cid, ["how was it?"], now, now + timedelta(days=7), now, people
        )
        for n, who in enumerate((ALICE, BOB), start=1):
            asked = await reflection.asked(session, round_.id, who)
            assert asked is not None
            asked.parts = 1
            session.add(ReflectionAnswer(id=n, round_id=round_.id, sealed=b"\0" * 64))
        checkin = await checkins.start_checkin(
            session, cid, None, now, now + timedelta(days=2), people
        )
        for who, answer in ((ALICE, "red"), (BOB, "green")):
            row = await checkins.asked(session, checkin.id, who)
            assert row is not None
            row.answer = answer
        walk, [pattern] = await gallery.start(
            session, cid, by=ALICE, scheduled=False, first=date(2026, 2, 1),
            last=date(2026, 2, 28), now=now, ends_at=now + timedelta(minutes=20),
            patterns=[("airtime", "two members spoke half the time")],
        )  # fmt: skip
        await gallery.add_mark(session, pattern.id, BOB, "red", "$dot1")
        await gallery.add_mark(session, pattern.id, CAROL, "red", "$dot2")
        meeting = await meetings.start(session, cid, ALICE, now)
        await meetings.push(session, meeting.id, BOB, now)
        await entry.start(session, cid, "@dana:test.org", now, now + timedelta(days=14))
        await entry.start(session, cid, "@erin:test.org", now, now + timedelta(days=1))
        await session.execute(
            update(Collective).where(Collective.id == cid).values(joined=False, left_at=now)
        )
    sent_before = len(h.sent)

    async def count(model: type) -> int:
        async with db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    # Hours later the walk is due (it ran 20 minutes) and the meeting ends (it has no
    # schedule); the round and the check-in are not due yet, and nothing else changes.
    clock.advance(hours=2)
    await h.rituals.housekeeping()
    assert await count(StackEntry) == 0 and await count(GalleryMark) == 0
    async with db.transaction() as session:
        [ended] = list(await session.scalars(select(Meeting)))
        assert ended.ended_at == clock.now()
        assert (await session.get(ReflectionRound, round_.id)).closed_at is None  # type: ignore[union-attr]
        assert (await session.get(Checkin, checkin.id)).closed_at is None  # type: ignore[union-attr]
    assert await count(ReflectionAsked) == 3 and await count(ReflectionAnswer) == 2
    assert await count(CheckinAnswer) == 3
    assert await count(EntrySprint) == 2

    # A week later everything is due: closed as it would be anywhere, without posting.
    clock.advance(days=7)
    await h.rituals.housekeeping()
    async with db.transaction() as session:
        closed_round = await session.get(ReflectionRound, round_.id)
        assert closed_round is not None
        assert (closed_round.closed_at, closed_round.outcome) == (clock.now(), "discarded")
        assert closed_round.answered == 2
        closed_checkin = await session.get(Checkin, checkin.id)
        assert closed_checkin is not None and closed_checkin.closed_at == clock.now()
        counts = (closed_checkin.green, closed_checkin.yellow, closed_checkin.red)
        assert counts == (1, 0, 1) and closed_checkin.unanswered == 1
        ended_walk = await session.get(GalleryWalk, walk.id)
        kept_pattern = await session.get(GalleryPattern, pattern.id)
        assert ended_walk is not None and ended_walk.ended_at == now + timedelta(hours=2)
        assert ended_walk.reactors == 2
        assert kept_pattern is not None and kept_pattern.red == 2
        sprints = list(await session.scalars(select(EntrySprint.user_id)))
    assert await count(ReflectionAsked) == 0 and await count(ReflectionAnswer) == 0
    assert await count(CheckinAnswer) == 0 and await count(GalleryMark) == 0
    assert sprints == ["@dana:test.org"]  # still running: it stays until its end
    assert h.sent[sent_before:] == [] and await count(OutboxMessage) == 0

    clock.advance(days=7)
    await h.rituals.housekeeping()  # again, and past the last sprint's end: harmless
    assert await count(EntrySprint) == 0


async def test_rituals_of_a_joined_room_are_left_to_their_own_jobs(
    db: Database, clock: FakeClock
) -> None:
    from sqlalchemy import func

    from storage import checkins, meetings
    from storage.models import CheckinAnswer, Collective, StackEntry
    from tests.harness import ALICE, BOB

    h = Harness(db, make_config(), clock)
    await h.start()
    now = clock.now()
    async with db.transaction() as session:
        cid = await session.scalar(select(Collective.id).where(Collective.room_id == ROOM))
        assert cid is not None
        await checkins.start_checkin(session, cid, None, now, now + timedelta(days=2), [ALICE])
        meeting = await meetings.start(session, cid, ALICE, now)
        await meetings.push(session, meeting.id, BOB, now)
    clock.advance(days=8)
    await h.rituals.housekeeping()
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(CheckinAnswer)) == 1
        assert await session.scalar(select(func.count()).select_from(StackEntry)) == 1
        assert await meetings.running(session, cid) is not None
