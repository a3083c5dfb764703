"""A read-only command (`!ping`, `!help`, ...) is answered before its batch commits,
without giving up the outbox: the reply is never lost (a failed early send leaves it
queued), never posted twice (a replay reuses the transaction id, and a row sent early is
deleted, not sent), and never ahead of what was queued earlier for the same room."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.database import Database
from bot.events import Batch
from bot.matrix import SendOutcome
from storage import outbox, sync_state
from storage.models import OutboxMessage
from tests.harness import ROOM, FakeClock, Harness, RecordingTransport, make_config


class CommitAware(RecordingTransport):
    """Records, for each send, how many transactions had committed by then."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.commits = 0
        self.at_send: list[int] = []
        db.committed.append(self._committed)

    def _committed(self, info: dict[str, Any] | None) -> None:
        if info is not None:
            self.commits += 1

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> SendOutcome:
        self.at_send.append(self.commits)
        return await super().send(room_id, event_type, content, txn_id)


@pytest.fixture
async def early(db: Database, clock: FakeClock) -> Harness:
    """A started bot whose processor sends read-only answers early, as the app's does."""
    bot = Harness(db, make_config(), clock)
    transport = CommitAware(db)
    transport.rooms = bot.members
    bot.transport = bot.sender.transport = transport
    bot.processor.early = bot.sender.send_early
    await bot.start()
    return bot


async def queued(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


def commands(bot: Harness, *lines: str) -> Batch:
    return Batch(next_batch=bot.token(), joined=[bot.room([bot.message(x) for x in lines])])


async def test_a_ping_is_answered_before_its_batch_commits(early: Harness) -> None:
    transport = early.transport
    assert isinstance(transport, CommitAware)
    before, sent = transport.commits, len(transport.sent)
    await early.processor.process(commands(early, "!ping"))
    await early.sender.idle()
    assert [s.body.split()[0] for s in transport.sent[sent:]] == ["pong"]
    assert transport.at_send[-1] == before  # sent while the batch was still open
    assert transport.commits == before + 1
    # The row was committed with the batch; the pass deletes it without a second send.
    assert len(await queued(early.db)) == 1
    assert await early.sender.drain() == 1
    assert len(transport.sent) == sent + 1 and transport.attempts == sent + 1
    assert await queued(early.db) == []


async def test_help_status_and_airtime_too_and_each_once(early: Harness) -> None:
    for line in ("!help", "!status", "!airtime", "!whohas database"):
        before = early.transport.attempts
        replies = await early.send(line)
        assert len(replies) == 1 and early.transport.attempts == before + 1, line
    assert await queued(early.db) == []


async def test_a_crash_before_the_commit_replays_with_the_same_txn_and_sends_once(
    early: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sync_state.set_token

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process dies before the commit")

    batch = commands(early, "!ping")
    sent = len(early.transport.sent)
    monkeypatch.setattr(sync_state, "set_token", crash)
    with pytest.raises(RuntimeError):
        await early.processor.process(batch)
    await early.sender.idle()
    assert len(early.transport.sent) == sent + 1  # the early send went out
    sent_txn = early.transport.sent[-1].txn_id
    assert await queued(early.db) == []  # nothing of the batch was committed

    monkeypatch.setattr(sync_state, "set_token", real)
    await early.processor.process(batch)  # the replay
    await early.sender.idle()
    rows = await queued(early.db)
    assert [r.txn_id for r in rows] == [sent_txn]  # the same transaction id
    await early.sender.drain()
    assert len(early.transport.sent) == sent + 1 and early.transport.attempts == sent + 1
    assert await queued(early.db) == []


async def test_a_replay_in_a_new_process_reuses_the_txn_id(
    early: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process knows nothing of the early send: it sends again, with the same
    transaction id, which the homeserver answers with the event it already has."""
    batch = commands(early, "!ping")
    sent = len(early.transport.sent)

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process dies before the commit")

    real = sync_state.set_token
    monkeypatch.setattr(sync_state, "set_token", crash)
    with pytest.raises(RuntimeError):
        await early.processor.process(batch)
    await early.sender.idle()
    monkeypatch.setattr(sync_state, "set_token", real)
    early.sender._early.clear()  # what a new process would not know
    await early.processor.process(batch)
    await early.sender.idle()
    await early.sender.drain()
    assert len(early.transport.sent) == sent + 2  # before the crash, and the replay's
    assert len({s.txn_id for s in early.transport.sent[sent:]}) == 1
    assert await queued(early.db) == []


async def test_a_failed_early_send_leaves_the_reply_queued_and_sent_after_commit(
    early: Harness,
) -> None:
    early.transport.script = [SendOutcome(False, retry=True, error="M_UNKNOWN: busy")]
    sent = len(early.transport.sent)
    await early.processor.process(commands(early, "!ping"))
    await early.sender.idle()
    assert early.transport.sent[sent:] == [] and early.transport.attempts == sent + 1
    rows = await queued(early.db)
    assert len(rows) == 1
    assert await early.sender.drain() == 1
    assert [s.txn_id for s in early.transport.sent[sent:]] == [rows[0].txn_id]
    assert await queued(early.db) == []


async def test_an_early_send_that_raises_is_sent_after_commit(early: Harness) -> None:
    early.transport.script = [ConnectionError("homeserver unreachable")]
    replies = await early.send("!ping")
    assert [r.body.split()[0] for r in replies] == ["pong"]
    assert await queued(early.db) == []


async def test_a_writing_command_is_not_answered_early(early: Harness) -> None:
    await early.send("!task add flyers")
    before = len(early.transport.sent)
    await early.processor.process(commands(early, "!task done flyers"))
    await early.sender.idle()
    assert early.transport.sent[before:] == []  # nothing before the drain
    assert len(await queued(early.db)) == 1
    assert await early.sender.drain() == 1


async def test_order_is_kept_behind_a_reply_queued_earlier_for_the_room(early: Harness) -> None:
    before = len(early.transport.sent)
    # Committed and handed over, not sent yet.
    await early.processor.process(commands(early, "!task add flyers"))
    await early.processor.process(commands(early, "!ping"))
    await early.sender.idle()
    assert early.transport.sent[before:] == []  # the ping waits for the task's reply
    await early.sender.drain()
    bodies = [s.body for s in early.transport.sent[before:]]
    assert len(bodies) == 2 and bodies[1].startswith("pong"), bodies


async def test_order_is_kept_behind_a_reply_queued_earlier_in_the_same_batch(
    early: Harness,
) -> None:
    before = len(early.transport.sent)
    await early.processor.process(commands(early, "!task add flyers", "!ping", "!ping"))
    await early.sender.idle()
    assert early.transport.sent[before:] == []
    await early.sender.drain()
    bodies = [s.body for s in early.transport.sent[before:]]
    assert len(bodies) == 3 and bodies[1].startswith("pong") and bodies[2].startswith("pong")


def held_at(gate: asyncio.Event, bot: Harness) -> RecordingTransport:
    """The bot's homeserver answers each send only once `gate` is set."""
    transport = bot.transport
    plain_send = transport.send

    async def held(room_id: str, event_type: str, content: dict[str, Any], txn: str) -> Any:
        await gate.wait()
        return await plain_send(room_id, event_type, content, txn)

    transport.send = held  # type: ignore[method-assign]
    return transport


async def test_order_is_kept_behind_an_early_send_still_in_flight(early: Harness) -> None:
    gate = asyncio.Event()
    transport = held_at(gate, early)
    await early.processor.process(commands(early, "!ping"))
    assert len(early.sender._early) == 1
    # The first answer is still on its way (its row not yet taken by a pass): the second
    # ping in the room is not sent early, or it could arrive first.
    await early.processor.process(commands(early, "!help"))
    assert len(early.sender._early) == 1
    gate.set()
    await early.sender.drain()
    bodies = [s.body for s in transport.sent]
    assert bodies[-2].startswith("pong") and bodies[-1].startswith("**Flattening commands**")
    assert await queued(early.db) == []


async def test_a_read_only_command_that_fails_sends_its_apology_once(
    early: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.general as general

    def broken(_: float) -> str:
        raise RuntimeError("bug")

    monkeypatch.setattr(general, "_ago", broken)
    replies = await early.send("!ping")
    assert len(replies) == 1 and replies[0].body.startswith("Sorry"), [r.body for r in replies]
    assert early.transport.attempts == len(early.transport.sent)
    assert await queued(early.db) == []


async def test_the_outbox_queue_function_returns_the_row(early: Harness) -> None:
    async with early.db.transaction() as session:
        first = await outbox.enqueue(session, ROOM, "t.1", {"body": "x"}, early.clock.now())
        again = await outbox.enqueue(session, ROOM, "t.1", {"body": "x"}, early.clock.now())
    assert first is not None and first.txn_id == "t.1" and again is None


async def test_nothing_goes_early_while_keys_are_pending(early: Harness) -> None:
    """nio has devices to look up: a message now could leave a new device without the
    room key, so the answer waits for the commit (and the app's key chores)."""
    early.sender.may_send_early = lambda: False
    before = len(early.transport.sent)
    await early.processor.process(commands(early, "!ping"))
    await early.sender.idle()
    assert early.transport.sent[before:] == []
    assert await early.sender.drain() == 1


READ_ONLY_LINES = {
    "help": "!help",
    "ping": "!ping",
    "status": "!status",
    "privacy": "!privacy",
    "audit": "!audit",
    "airtime": "!airtime",
    "whohas": "!whohas database",
    "spof": "!spof",
    "access": "!access",
    "polls": "!polls",
    "pairs": "!pairs",
    "meetings": "!meetings",
    "agenda": "!agenda",
    "minutes": "!minutes",
}


async def test_read_only_commands_write_nothing(early: Harness) -> None:
    """Every command declared read-only sends only reads to the database while it runs
    (its answer's outbox row is the batch's, written by the outgoing queue)."""
    flagged = {c.name for p in early.registry.practices for c in p.commands if c.read_only}
    assert flagged == set(READ_ONLY_LINES)
    await early.send("!knows database")
    await early.send("!task add flyers")
    running: list[bool] = [False]
    writes: list[str] = []
    reads: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        first = statement.lstrip().split(None, 1)[0].upper()
        if running[0] and first == "SELECT":
            reads.append(statement)
        if running[0] and first not in ("SELECT", "SAVEPOINT", "RELEASE", "WITH"):
            if "outbox" not in statement:
                writes.append(statement)

    # (The practices' commands are module-level: each handler is put back at the end.)
    originals = [(c, c.handler) for p in early.registry.practices for c in p.commands]
    for practice in early.registry.practices:
        for cmd in practice.commands:
            if not cmd.read_only:
                continue
            handler = cmd.handler

            async def wrapped(*args: Any, _handler: Any = handler, **kwargs: Any) -> None:
                running[0] = True
                try:
                    await _handler(*args, **kwargs)
                finally:
                    running[0] = False

            object.__setattr__(cmd, "handler", wrapped)
    event.listen(early.db.engine.sync_engine, "before_cursor_execute", watch)
    try:
        for line in READ_ONLY_LINES.values():
            assert await early.send(line), line
    finally:
        event.remove(early.db.engine.sync_engine, "before_cursor_execute", watch)
        for cmd, handler in originals:
            object.__setattr__(cmd, "handler", handler)
    assert reads  # the watch saw the handlers' statements
    assert writes == []
    assert len(reads) >= len(READ_ONLY_LINES) - 2  # ping and privacy read nothing


async def test_early_landed_waits_for_the_answer_in_flight_and_no_longer(
    early: Harness,
) -> None:
    """The sync loop waits for an early answer to land before asking for the next sync;
    a homeserver that never answers holds it up for the timeout only, and the send is
    not given up (nor the drain pass that takes the row, even after the wait)."""
    gate = asyncio.Event()
    transport = held_at(gate, early)
    before, attempts = len(transport.sent), transport.attempts
    await early.processor.process(commands(early, "!ping"))
    waiting = asyncio.create_task(early.sender.early_landed(5))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the answer is still on its way
    gate.set()
    await asyncio.wait_for(waiting, timeout=1)
    assert [s.body.split()[0] for s in transport.sent[before:]] == ["pong"]
    assert await early.sender.drain() == 1  # the pass takes the row sent early

    gate.clear()
    await early.processor.process(commands(early, "!ping"))
    started = asyncio.get_running_loop().time()
    await early.sender.early_landed(0.1)
    assert 0.09 <= asyncio.get_running_loop().time() - started < 1
    # Still held: the next sync does not wait for the same send again.
    started = asyncio.get_running_loop().time()
    await early.sender.early_landed(5)
    assert asyncio.get_running_loop().time() - started < 2  # not the 5 s again
    gate.set()
    await early.sender.drain()
    await early.sender.idle()
    assert [s.body.split()[0] for s in transport.sent[before:]] == ["pong", "pong"]
    assert transport.attempts == attempts + 2 and await queued(early.db) == []
    await early.sender.early_landed(5)  # nothing in flight: returns at once
