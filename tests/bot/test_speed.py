"""A batch's work in few statements, and its replies handed to the sender as it commits,
without giving up the outbox: a reply is committed with its cause, sent once, and deleted
only after the homeserver accepted it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event, func, select

from bot.database import Database
from bot.events import Batch, Invite
from bot.outgoing import QueuedOutgoing
from bot.sender import Sender
from handlers.context import Context, Message
from handlers.registry import Practice
from handlers.renderers import RENDERERS
from storage import airtime, collectives, outbox
from storage.models import AirtimeDay, Member, OutboxMessage, ProcessedEvent
from tests.harness import ALICE, BOB, BOT, ROOM, FakeClock, Harness, RecordingTransport, make_config


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements the database is sent while inside."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement.split(None, 1)[0] + " " + statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


def reads_of_the_outbox(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and "FROM outbox" in s]


async def test_a_ping_batch_takes_few_statements_and_no_read_back(bot: Harness) -> None:
    await bot.send("!ping")  # Alice has sent a text before: nothing to note about her
    batch = Batch(next_batch=bot.token(), joined=[bot.room([bot.message("!ping")])])
    with statements(bot.db) as seen:
        await bot.processor.process(batch)
    # collective, members, processed event, savepoint, outbox row, release, token
    assert len(seen) <= 7, seen
    with statements(bot.db) as seen:
        assert await bot.sender.drain() == 1
    assert bot.last.body.startswith("pong")
    assert reads_of_the_outbox(seen) == []  # handed over at the commit
    assert len([s for s in seen if s.startswith("DELETE")]) == 1


async def test_a_backlog_costs_statements_per_batch_not_per_event(bot: Harness) -> None:
    talk = [bot.message(f"plain talk number {i}", ALICE if i % 2 else BOB) for i in range(200)]
    commands = [bot.message("!ping") for _ in range(3)]
    batch = Batch(next_batch=bot.token(), joined=[bot.room([*talk, *commands])])
    with statements(bot.db) as seen:
        await bot.processor.process(batch)
    assert len(seen) <= 30, seen
    with statements(bot.db) as seen:
        assert await bot.sender.drain() == 3
    assert reads_of_the_outbox(seen) == []
    async with bot.db.transaction() as session:
        days = (await session.execute(select(AirtimeDay))).scalars().all()
        assert sorted((d.user_id, d.messages) for d in days) == [(ALICE, 100), (BOB, 100)]
        assert sum(d.words for d in days) == 800
        processed = await session.scalar(select(func.count()).select_from(ProcessedEvent))
        assert processed is not None and processed >= 203
        texts = (await session.execute(select(Member.user_id).where(Member.sent_text))).all()
        assert {ALICE, BOB} <= {t for (t,) in texts}


async def test_a_backlog_in_several_rooms_too(bot: Harness) -> None:
    rooms = [ROOM, "!second:test.org", "!third:test.org"]
    for room in rooms[1:]:
        bot.members[room] = {ALICE: "Alice", BOB: "Bob"}
        await bot.process(invites=[Invite(room, ALICE)])
        await bot.process([bot.own_join()], room_id=room)
    joined = [bot.room([bot.message(f"talk {i}") for i in range(100)], room) for room in rooms]
    with statements(bot.db) as seen:
        await bot.processor.process(Batch(next_batch=bot.token(), joined=joined))
    assert len(seen) <= 3 * 12, "\n".join(s[:50] for s in seen)
    async with bot.db.transaction() as session:
        days = (await session.execute(select(AirtimeDay))).scalars().all()
        assert [d.messages for d in days] == [100, 100, 100]


async def test_a_replayed_backlog_counts_nothing_twice(bot: Harness) -> None:
    talk = [bot.message(f"talk {i}") for i in range(50)]
    ping = bot.message("!ping")
    await bot.process([*talk, ping])
    again = Batch(next_batch=bot.token(), joined=[bot.room([*talk, ping])])
    await bot.processor.process(again)
    await bot.sender.drain()
    assert [s.reply_to for s in bot.sent if s.reply_to] == [ping.event_id]
    async with bot.db.transaction() as session:
        collective = await collectives.by_room(session, ROOM)
        assert collective is not None
        ever = (date(1970, 1, 1), date(2100, 1, 1))
        assert await airtime.totals(session, collective.id, *ever) == {ALICE: (50, 100)}


async def test_a_crash_after_the_commit_before_the_send_delivers_once(
    db: Database, clock: FakeClock
) -> None:
    bot = Harness(db, make_config(), clock)
    await bot.start()
    ping = bot.message("!ping")
    await bot.processor.process(Batch(next_batch=bot.token(), joined=[bot.room([ping])]))
    # The process dies here: committed, handed over, never sent. A new one starts.
    transport = RecordingTransport()
    restarted = Sender(db, transport, RENDERERS, clock, account=BOT)
    db.committed.remove(bot.sender._committed)
    assert await restarted.drain() == 1
    assert [s.reply_to for s in transport.sent] == [ping.event_id]
    assert await restarted.drain() == 0
    async with db.transaction() as session:
        assert await outbox.pending(session, BOT) == []
    assert [s.reply_to for s in transport.sent] == [ping.event_id]


async def test_a_crash_after_the_send_before_the_delete_resends_with_the_same_txn_id(
    bot: Harness,
) -> None:
    ping = bot.message("!ping")
    await bot.processor.process(Batch(next_batch=bot.token(), joined=[bot.room([ping])]))

    async def crash(*_args: Any) -> None:
        raise RuntimeError("killed")

    settle = bot.sender._settle_all
    bot.sender._settle_all = crash  # type: ignore[method-assign]
    try:
        await bot.sender.drain()
    except RuntimeError:
        pass
    bot.sender._settle_all = settle  # type: ignore[method-assign]
    transport = RecordingTransport()
    restarted = Sender(bot.db, transport, RENDERERS, bot.clock, account=BOT)
    assert await restarted.drain() == 1
    [first, *_] = [s for s in bot.sent if s.reply_to == ping.event_id]
    assert [s.txn_id for s in transport.sent] == [first.txn_id]  # the homeserver dedupes


boom = Practice("Boom")


@boom.command("boom", summary="Queue a message, then fail.")
async def explode(ctx: Context) -> None:
    await ctx.reply("this is never sent")
    raise RuntimeError("the handler broke after queueing")


async def test_what_a_failed_command_queued_is_not_handed_over(
    db: Database, clock: FakeClock
) -> None:
    bot = Harness(db, make_config(), clock, extra_practices=[boom])
    await bot.start()
    event_ = bot.message("!boom")
    await bot.processor.process(Batch(next_batch=bot.token(), joined=[bot.room([event_])]))
    await bot.sender.drain()
    replies = [s for s in bot.sent if s.reply_to == event_.event_id]
    assert [r.body for r in replies] == [replies[0].body]
    assert replies[0].body.startswith("Sorry, something went wrong")
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_a_failed_transaction_makes_the_sender_read_the_outbox(bot: Harness) -> None:
    """A commit that raised may have been written all the same (a connection lost while
    committing): what it queued is then only in the database."""
    await bot.send("!ping")
    async with bot.db.transaction() as session:
        message = Message(ROOM, "hello", {})
        await QueuedOutgoing(session, bot.clock, f"{ROOM}|test", BOT).post(message)
    bot.sender._handed.clear()  # as if this commit had raised, and so not been handed over
    try:
        async with bot.db.transaction():
            raise ConnectionError("lost while committing")
    except ConnectionError:
        pass
    with statements(bot.db) as seen:
        assert await bot.sender.drain() == 1
    assert reads_of_the_outbox(seen) != []
    assert bot.last.body == "hello"


async def test_a_room_left_after_its_reply_was_queued_gets_nothing(bot: Harness) -> None:
    await bot.send("!ping")
    await bot.processor.process(
        Batch(next_batch=bot.token(), joined=[bot.room([bot.message("!ping")])])
    )
    await bot.processor.process(Batch(next_batch=bot.token(), left=[ROOM]))
    before = len(bot.sent)
    await bot.sender.drain()
    assert bot.sent[before:] == []
    async with bot.db.transaction() as session:
        assert await outbox.pending(session, BOT) == []


async def test_delivered_messages_are_deleted_together(bot: Harness) -> None:
    batch = Batch(
        next_batch=bot.token(), joined=[bot.room([bot.message("!ping") for _ in range(5)])]
    )
    await bot.processor.process(batch)
    with statements(bot.db) as seen:
        assert await bot.sender.drain() == 5
    assert len([s for s in seen if s.startswith("DELETE")]) == 1


class SlowTransport(RecordingTransport):
    """Takes a while for each send, and notes how many were under way at once."""

    def __init__(self) -> None:
        super().__init__()
        self.under_way = 0
        self.most = 0

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> Any:
        self.under_way += 1
        self.most = max(self.most, self.under_way)
        await asyncio.sleep(0.01)
        self.under_way -= 1
        return await super().send(room_id, event_type, content, txn_id)


async def test_rooms_are_answered_side_by_side_each_in_order(
    db: Database, clock: FakeClock
) -> None:
    bot = Harness(db, make_config(), clock)
    rooms = [ROOM, "!second:test.org", "!third:test.org"]
    for room in rooms[1:]:
        bot.members[room] = {ALICE: "Alice", BOB: "Bob"}
        await bot.process(invites=[Invite(room, ALICE)])
        await bot.process([bot.own_join()], room_id=room)
    await bot.start()
    slow = SlowTransport()
    bot.sender.transport = slow
    asked = {room: [bot.message("!ping"), bot.message("!privacy")] for room in rooms}
    joined = [bot.room(events, room) for room, events in asked.items()]
    await bot.processor.process(Batch(next_batch=bot.token(), joined=joined))
    assert await bot.sender.drain() == 6
    assert slow.most > 1
    for room, events in asked.items():
        got = [s.reply_to for s in slow.sent if s.room_id == room]
        assert got == [e.event_id for e in events]
