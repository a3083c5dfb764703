"""Scheduled work runs exactly once per due time: late after downtime, never twice."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.database import Database
from bot.scheduler import latest_due, trigger_for
from handlers.context import Context
from handlers.registry import Practice
from storage.models import Occurrence
from tests.harness import ROOM, FakeClock, Harness, make_config

BERLIN = ZoneInfo("Europe/Berlin")


def ritual() -> Practice:
    practice = Practice("Test ritual")

    @practice.job("weekly-test", "rotation")
    async def weekly(ctx: Context) -> None:
        late = " (late)" if ctx.late_by else ""
        await ctx.say("Weekly ritual for {room}{late}", room=ctx.room_id, late=late)

    return practice


async def make(db: Database, clock: FakeClock) -> Harness:
    harness = Harness(db, make_config(), clock, extra_practices=[ritual()])
    await harness.start()
    return harness


def posts(h: Harness) -> list[str]:
    return [s.body for s in h.sent if s.body.startswith("Weekly ritual")]


async def test_runs_once_at_due_time_and_not_again(db: Database, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))  # a Sunday; rotation is Monday 10:00 Berlin
    h = await make(db, clock)
    assert await h.rituals.run_due("weekly-test", ROOM) is False
    clock.set(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC))  # Monday 10:00:01 in Berlin (UTC+1)
    assert await h.rituals.run_due("weekly-test", ROOM) is True
    assert await h.rituals.run_due("weekly-test", ROOM) is False
    assert posts(h) == [f"Weekly ritual for {ROOM}"]


async def test_missed_occurrence_runs_once_late_after_downtime(
    db: Database, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    h = await make(db, clock)
    # Down across two Mondays; on restart only the latest missed one runs, saying it is late.
    clock.set(datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
    await h.rituals.start()
    await h.rituals.start()  # a second restart repeats nothing
    assert posts(h) == [f"Weekly ritual for {ROOM} (late)"]
    async with db.transaction() as session:
        rows = (
            (await session.execute(select(Occurrence).where(Occurrence.job == "weekly-test")))
            .scalars()
            .all()
        )
    assert [(r.due_at, r.late) for r in rows] == [(datetime(2026, 3, 9, 9, 0, tzinfo=UTC), True)]


async def test_two_processes_never_both_run(db: Database, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    h1 = await make(db, clock)
    h2 = Harness(db, make_config(), clock, extra_practices=[ritual()])
    clock.set(datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC))
    results = [
        await h1.rituals.run_due("weekly-test", ROOM),
        await h2.rituals.run_due("weekly-test", ROOM),
    ]
    assert sorted(results) == [False, True]
    async with db.transaction() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Occurrence).where(Occurrence.job == "weekly-test")
            )
            == 1
        )


async def test_nothing_from_before_the_bot_joined(db: Database, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))  # joins just after Monday's due time
    h = await make(db, clock)
    await h.rituals.start()
    assert posts(h) == []


def test_cron_keeps_local_hour_across_daylight_saving() -> None:
    trigger = trigger_for("0 10 * * SUN", BERLIN)
    # Europe/Berlin switches to summer time on 2026-03-29 and back on 2026-10-25.
    before = latest_due(
        trigger, datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 3, 23, tzinfo=UTC)
    )
    on_switch = latest_due(
        trigger, datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)
    )
    autumn = latest_due(
        trigger, datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC)
    )
    assert before == datetime(2026, 3, 22, 9, 0, tzinfo=UTC)
    assert on_switch == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert autumn == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    for due in (before, on_switch, autumn):
        assert due is not None and due.astimezone(BERLIN).hour == 10


def test_an_hourly_cron_gets_through_the_night_summer_time_ends() -> None:
    # Berlin repeats 02:00-03:00 on 2026-10-25; stepping on the local clock looped for ever.
    # A wall time shown twice runs once, the first time: 02:00 CEST (00:00 UTC), not again
    # at 02:00 CET (01:00 UTC).
    trigger = trigger_for("0 * * * *", BERLIN)
    due = latest_due(
        trigger,
        datetime(2026, 10, 24, 22, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 3, 30, tzinfo=UTC),
    )
    assert due is not None and due.astimezone(UTC) == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    second = latest_due(
        trigger, datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    )
    assert second is None


def test_latest_due_is_none_when_nothing_fell_due() -> None:
    trigger = trigger_for("0 18 1 * *", BERLIN)
    assert (
        latest_due(trigger, datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC))
        is None
    )


async def test_a_job_added_by_an_upgrade_owes_nothing_from_before(
    db: Database, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 2, 1, 12, 0, tzinfo=UTC))
    old = Harness(db, make_config(), clock)  # a version without the weekly test ritual
    await old.start()
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # weeks later, the upgrade starts
    upgraded = Harness(db, make_config(), clock, extra_practices=[ritual()])
    await upgraded.rituals.start()
    assert posts(upgraded) == []
    clock.set(datetime(2026, 3, 9, 9, 0, 1, tzinfo=UTC))  # its first Monday after the upgrade
    assert await upgraded.rituals.run_due("weekly-test", ROOM)
    assert posts(upgraded) == [f"Weekly ritual for {ROOM}"]


async def test_start_up_finds_what_is_due_in_a_few_statements_whatever_the_collectives(
    db: Database, clock: FakeClock
) -> None:
    """Start-up asks once for every collective's anchors and latest runs; a collective with
    nothing due costs no statement of its own, one with something due runs it once."""
    from sqlalchemy import event

    from bot.events import Invite

    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    h = await make(db, clock)
    for i in range(12):
        room = f"!more{i}:test.org"
        h.members[room] = dict(h.members[ROOM])
        await h.process(invites=[Invite(room, "@alice:test.org")])
        await h.process([h.own_join()], room_id=room)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await h.rituals.start()  # nothing due: Sunday afternoon
        quiet = len(statements)
        clock.set(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC))  # every collective's rotation
        await h.rituals.start()
        await h.rituals.start()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert quiet <= 8, "\n".join(statements)
    assert len(posts(h)) == 13  # once in each of the 13 collectives, not again
