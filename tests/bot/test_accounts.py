"""Two bot accounts, each its own process, on one database: each serves only its rooms,
schedules only their rituals, sends only what it queued, and a room both are in is
served by one of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.config import parse
from bot.database import Database
from bot.events import Batch, Invite, JoinedRoom, RoomEvent
from handlers.context import Context
from handlers.registry import Practice, Said
from storage import collectives, direct, occurrences
from storage.models import AirtimeDay, Collective, OutboxMessage
from tests.conftest import fresh_postgres_database
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


async def test_a_ritual_due_during_a_hand_over_runs_late_rather_than_never(
    db: Database, clock: FakeClock
) -> None:
    first, second = await two(db, clock)
    await joined(second, ROOM, BOT)
    clock.set(datetime(2026, 3, 2, 8, 59, 50, tzinfo=UTC))  # Monday 09:59:50 in Berlin
    await first.processor.process(Batch("t9", left=[ROOM]))  # the old account is removed
    clock.set(datetime(2026, 3, 2, 9, 0, 20, tzinfo=UTC))  # the new one sees it after 10:00
    second.members[ROOM] = {ALICE: "Alice", BOB: "Bob"}
    await second.process([second.message("hello", BOB)])
    assert [s.body for s in second.sent if "ritual" in s.body] == [f"Weekly ritual for {ROOM}"]


async def test_rooms_and_messages_from_before_accounts_are_claimed_by_the_account_in_them(
    db: Database, clock: FakeClock
) -> None:
    """Rows the migration could not give an account (no token, or two): nobody schedules
    or sends for them until an account finds itself in the room; then its queued
    messages go out with it."""
    first, second = await two(db, clock)
    await first.processor.process(Batch("t1", joined=[first.room([first.message("!ping")])]))
    async with db.transaction() as session:
        await session.execute(update(OutboxMessage).values(account=None))
        await session.execute(update(Collective).values(account=None))
    clock.set(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC))  # Monday 10:00:01 in Berlin
    await second.rituals.start()  # OTHER was never in ROOM: it must not run it
    await second.sender.drain()
    assert [s for s in second.sent if s.room_id == ROOM] == []
    await first.process([first.message("back again", BOB)])  # ROOM claimed by BOT
    assert any(s.body.startswith("pong") and s.room_id == ROOM for s in first.sent)
    await first.rituals.start()
    assert [s.body for s in first.sent if "ritual" in s.body] == [f"Weekly ritual for {ROOM}"]


async def test_start_up_falls_back_to_each_collective_when_the_one_look_fails(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = await two(db, clock)

    async def fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("another process added the same anchors")

    monkeypatch.setattr(occurrences, "starting_points", fails)
    clock.set(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC))
    await first.rituals.start()
    assert [s.body for s in first.sent if "ritual" in s.body] == [f"Weekly ritual for {ROOM}"]


async def test_a_ritual_falling_due_while_start_up_runs_is_run(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = await two(db, clock)
    clock.set(datetime(2026, 3, 2, 8, 59, 58, tzinfo=UTC))  # Monday 09:59:58 in Berlin
    real = occurrences.starting_points

    async def slow(*args: Any, **kwargs: Any) -> Any:
        found = await real(*args, **kwargs)
        clock.set(datetime(2026, 3, 2, 9, 0, 3, tzinfo=UTC))  # start-up took 5 s
        return found

    monkeypatch.setattr(occurrences, "starting_points", slow)
    await first.rituals.start()
    assert [s.body for s in first.sent if "ritual" in s.body] == [f"Weekly ritual for {ROOM}"]


# Two processes for real: two Database objects (two connection pools) on one PostgreSQL,
# one holding its batch's transaction open while the other decides about the same room.


def holding(gate: asyncio.Event, who: str | None, on: str) -> Practice:
    """Holds `who`'s batch transaction open (at its introduction or at a message) until
    the gate opens."""
    practice = Practice("hold")

    async def hold(ctx: Context) -> None:
        if who in (None, ctx.runtime.user_id) and not gate.is_set():
            await asyncio.wait_for(gate.wait(), 10)

    if on == "join":
        practice.on_join(hold)
    else:

        @practice.on_message
        async def said(ctx: Context, _said: Said) -> None:
            await hold(ctx)

    return practice


@pytest.fixture
def shared_url(postgres_server: str) -> Iterator[str]:
    with fresh_postgres_database("flattening_two_pools") as url:
        yield url


@pytest.fixture
async def two_pools(shared_url: str) -> AsyncIterator[tuple[Database, Database]]:
    first, second = Database(shared_url), Database(shared_url)
    await first.migrate()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def process_of(db: Database, clock: FakeClock, account: str, hold: Practice) -> Harness:
    config = parse(BASE_CONFIG.replace(BOT, account), Path("/etc/flattening/t.toml"), env={})
    h = Harness(db, config, clock, extra_practices=[hold])
    h.event_prefix = f"${account[1:6]}"
    return h


async def released_after(gate: asyncio.Event, seconds: float) -> None:
    await asyncio.sleep(seconds)
    gate.set()


async def test_two_processes_joining_one_room_at_once_agree_who_serves_it(
    two_pools: tuple[Database, Database], clock: FakeClock
) -> None:
    """Whichever decides first holds its transaction open (at its introduction) while the
    other decides: the other sees the room served, and stays silent."""
    gate = asyncio.Event()
    first = process_of(two_pools[0], clock, BOT, holding(gate, None, "join"))
    second = process_of(two_pools[1], clock, OTHER, holding(gate, None, "join"))
    everyone = {ALICE: "Alice", BOB: "Bob", BOT: None, OTHER: None}
    ping = RoomEvent("$ping", ALICE, "m.room.message", {"msgtype": "m.text", "body": "!ping"})
    batches = []
    for h in (first, second):
        h.members[ROOM] = dict(everyone)
        await h.processor.process(Batch(h.token(), invites=[Invite(ROOM, ALICE)]))
        batches.append(Batch(h.token(), joined=[JoinedRoom(ROOM, [h.own_join(), ping], everyone)]))
    await asyncio.gather(
        first.processor.process(batches[0]),
        second.processor.process(batches[1]),
        released_after(gate, 1.0),
    )
    await first.sender.drain()
    await second.sender.drain()
    async with two_pools[0].transaction() as session:
        room = await collectives.by_room(session, ROOM)
    assert room is not None and room.joined
    serving, silent = (first, second) if room.account == BOT else (second, first)
    assert room.account == serving.bot_id
    assert sorted(s.body[:4] for s in serving.sent) == ["Hell", "pong"]  # introduction, answer
    assert silent.sent == []


async def test_a_hand_over_seen_by_both_processes_at_once_leaves_the_room_served(
    two_pools: tuple[Database, Database], clock: FakeClock
) -> None:
    gate = asyncio.Event()
    first = process_of(two_pools[0], clock, BOT, holding(gate, OTHER, "message"))
    second = process_of(two_pools[1], clock, OTHER, holding(gate, OTHER, "message"))
    await joined(first, ROOM)
    await joined(second, ROOM, BOT)
    # BOT is removed: its process gets the room as left while OTHER's process, which saw
    # it gone, is in the middle of a batch in the room.
    second.members[ROOM] = {ALICE: "Alice", BOB: "Bob"}
    talk = RoomEvent("$talk", ALICE, "m.room.message", {"msgtype": "m.text", "body": "hi"})

    async def old_owner_sees_it() -> None:
        await asyncio.sleep(0.3)
        await first.processor.process(Batch("left", left=[ROOM]))

    await asyncio.gather(
        second.processor.process(
            Batch("kick", joined=[JoinedRoom(ROOM, [talk], dict(second.members[ROOM]))])
        ),
        old_owner_sees_it(),
        released_after(gate, 1.0),
    )
    async with two_pools[1].transaction() as session:
        room = await collectives.by_room(session, ROOM)
        assert room is not None and (room.account, room.joined) == (OTHER, True)
    assert (await second.ask("!ping")).startswith("pong")
