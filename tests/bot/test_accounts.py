"""Two bot accounts, each its own process, on one database: each serves only its rooms,
schedules only their rituals, sends only what it queued, and a room both are in is
served by one of them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.config import parse
from bot.database import Database
from bot.events import Batch, Invite
from handlers.context import Context
from handlers.registry import Practice
from storage import collectives, direct
from storage.models import AirtimeDay, Collective, OutboxMessage
from tests.harness import ALICE, BASE_CONFIG, BOB, BOT, ROOM, FakeClock, Harness

OTHER = "@flattening2:test.org"
ROOM2 = "!second:test.org"


def ritual() -> Practice:
    practice = Practice("Test ritual")

    @practice.job("weekly-test", "rotation")
    async def weekly(ctx: Context) -> None:
        await ctx.say("Weekly ritual for {room}", room=ctx.room_id)

    return practice


def harness(db: Database, clock: FakeClock, account: str, prefix: str) -> Harness:
    config = parse(BASE_CONFIG.replace(BOT, account), Path("/etc/flattening/t.toml"), env={})
    h = Harness(db, config, clock, extra_practices=[ritual()])
    h.event_prefix = prefix
    return h


async def joined(h: Harness, room_id: str, *also: str) -> None:
    """The account is invited by Alice into `room_id` (where the accounts `also` are) and
    joins it."""
    h.members[room_id] = {ALICE: "Alice", BOB: "Bob", **dict.fromkeys(also)}
    await h.process(invites=[Invite(room_id, ALICE)])
    await h.process([h.own_join()], room_id=room_id)


async def two(db: Database, clock: FakeClock) -> tuple[Harness, Harness]:
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))  # a Sunday
    first, second = harness(db, clock, BOT, "$a"), harness(db, clock, OTHER, "$b")
    await joined(first, ROOM)
    await joined(second, ROOM2)
    return first, second


async def test_each_account_answers_in_its_own_rooms_only(db: Database, clock: FakeClock) -> None:
    first, second = await two(db, clock)
    assert (await first.ask("!ping")).startswith("pong")
    assert (await second.ask("!ping", room_id=ROOM2)).startswith("pong")
    assert {s.room_id for s in first.sent} == {ROOM}
    assert {s.room_id for s in second.sent} == {ROOM2}
    async with db.transaction() as session:
        owners = dict((await session.execute(select(Collective.room_id, Collective.account))).all())
        assert owners == {ROOM: BOT, ROOM2: OTHER}
        assert [c.room_id for c in await collectives.joined(session, BOT)] == [ROOM]
        assert [c.room_id for c in await collectives.joined(session, OTHER)] == [ROOM2]


async def test_a_sender_delivers_only_what_its_account_queued(
    db: Database, clock: FakeClock
) -> None:
    first, second = await two(db, clock)
    before = len(second.sent)
    await first.processor.process(Batch("t1", joined=[first.room([first.message("!ping")])]))
    await second.sender.drain()  # the other process drains first: it must not take it
    assert len(second.sent) == before
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    await first.sender.drain()
    assert first.sent[-1].body.startswith("pong") and first.sent[-1].room_id == ROOM


async def test_each_account_schedules_only_its_rooms_and_runs_each_once(
    db: Database, clock: FakeClock
) -> None:
    first, second = await two(db, clock)
    clock.set(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC))  # Monday 10:00:01 in Berlin
    await first.rituals.start()
    await second.rituals.start()
    # A job for the other account's room does nothing, even if asked directly.
    assert await first.rituals.run_due("weekly-test", ROOM2) is False
    assert await second.rituals.run_due("weekly-test", ROOM) is False
    assert [s.body for s in first.sent if "ritual" in s.body] == [f"Weekly ritual for {ROOM}"]
    assert [s.body for s in second.sent if "ritual" in s.body] == [f"Weekly ritual for {ROOM2}"]


async def test_a_room_both_accounts_are_in_is_served_by_the_first_until_it_leaves(
    db: Database, clock: FakeClock
) -> None:
    first, second = await two(db, clock)
    await joined(second, ROOM, BOT)  # invited into the first account's room too
    assert [s.body for s in second.sent if s.room_id == ROOM] == []  # no introduction
    await second.process([second.message("!ping"), second.message("hello there", BOB)])
    assert [s for s in second.sent if s.room_id == ROOM] == []
    await first.process([first.message("hello there", BOB)])
    async with db.transaction() as session:
        counted = await session.scalar(select(func.sum(AirtimeDay.messages)))
    assert counted == 1  # the silent account counted nothing
    # The first account leaves: the second takes the room over on its next sync of it.
    await first.processor.process(Batch("t9", left=[ROOM]))
    assert (await second.ask("!ping")).startswith("pong")
    async with db.transaction() as session:
        room = await collectives.by_room(session, ROOM)
        assert room is not None and room.account == OTHER and room.joined
    # ... and the first account's later queued messages to it are dropped, not sent.
    assert await first.rituals.run_due("weekly-test", ROOM) is False


async def test_each_account_keeps_its_own_direct_chat_with_a_person(
    db: Database, clock: FakeClock
) -> None:
    await two(db, clock)
    now = clock.now()
    async with db.transaction() as session:
        await direct.record(session, ALICE, "!dm-a:test.org", now, BOT)
        await direct.record(session, ALICE, "!dm-b:test.org", now, OTHER)
    async with db.transaction() as session:
        assert await direct.room_for(session, ALICE, BOT) == "!dm-a:test.org"
        assert await direct.room_for(session, ALICE, OTHER) == "!dm-b:test.org"
        assert len(await direct.chats(session, ALICE)) == 2
        mine = await collectives.memberships(session, ALICE, BOT)
        assert [c.room_id for c in mine] == [ROOM]
        assert len(await collectives.memberships(session, ALICE)) == 2


async def test_an_account_removed_while_its_process_is_down_is_replaced_at_once(
    db: Database, clock: FakeClock
) -> None:
    first, second = await two(db, clock)
    await joined(second, ROOM, BOT)
    # The first account was removed from the room; its process never saw it. The other
    # account sees the room without it and serves it from the next message on.
    second.members[ROOM] = {ALICE: "Alice", BOB: "Bob"}
    assert (await second.ask("!ping")).startswith("pong")
    async with db.transaction() as session:
        room = await collectives.by_room(session, ROOM)
        assert room is not None and room.account == OTHER
    assert await first.rituals.run_due("weekly-test", ROOM) is False
    # While the first account is still listed in the room, the room stays its own.
    await joined(first, ROOM2, OTHER)
    assert [s for s in first.sent if s.room_id == ROOM2] == []
