"""The outbox loses nothing: failed sends stay queued, in order, until delivered."""

from __future__ import annotations

from bot.database import Database
from bot.events import Batch, Invite
from bot.matrix import SendOutcome
from handlers.context import Context, File
from handlers.registry import Practice
from tests.harness import ALICE, BOT, ROOM, FakeClock, Harness, make_config


async def test_transient_failure_keeps_the_message_and_its_txn_id(bot: Harness) -> None:
    bot.transport.script = [SendOutcome(False, retry=True, error="M_LIMIT_EXCEEDED")]
    replies = await bot.send("!ping")
    assert replies == []
    await bot.sender.drain()
    assert bot.last.body.startswith("pong")
    assert bot.transport.attempts >= 2


async def test_network_error_keeps_order(bot: Harness) -> None:
    bot.transport.script = [ConnectionError("homeserver down")]
    first = bot.message("!ping")
    second = bot.message("!privacy")
    await bot.process([first, second])
    assert [s.reply_to for s in bot.sent if s.reply_to] == []
    await bot.sender.drain()
    assert [s.reply_to for s in bot.sent if s.reply_to] == [first.event_id, second.event_id]


async def test_permanent_failure_is_dropped_not_blocking(bot: Harness) -> None:
    bot.transport.script = [SendOutcome(False, retry=False, error="M_FORBIDDEN")]
    first = bot.message("!ping")
    second = bot.message("!ping")
    await bot.process([first, second])
    assert [s.reply_to for s in bot.sent if s.reply_to] == [second.event_id]


async def test_replayed_cause_reuses_the_transaction_id(bot: Harness) -> None:
    """Same command event, same txn id: the homeserver deduplicates a resend after a crash."""
    from bot.outgoing import txn_id

    assert txn_id("room|$a", 1) == txn_id("room|$a", 1)
    assert txn_id("room|$a", 1) != txn_id("room|$b", 1)
    assert txn_id("room|$a", 1) != txn_id("room|$a", 2)
    [reply] = await bot.send("!ping")
    assert reply.txn_id.startswith("flat.")


async def test_a_stuck_room_does_not_hold_up_other_rooms(bot: Harness) -> None:
    other = "!other:test.org"
    bot.members[other] = {ALICE: "Alice"}
    await bot.process(invites=[Invite(other, ALICE)])
    await bot.process([bot.own_join()], room_id=other)
    stuck = bot.message("!ping")
    await bot.processor.process(
        Batch(
            next_batch="s-two", joined=[bot.room([stuck]), bot.room([bot.message("!ping")], other)]
        )
    )
    bot.transport.script = [SendOutcome(False, retry=True, error="M_UNKNOWN")]
    await bot.sender.drain()
    assert [s.room_id for s in bot.sent if s.reply_to] == [other]
    await bot.sender.drain()
    assert [s.reply_to for s in bot.sent if s.room_id == ROOM and s.reply_to] == [stuck.event_id]


async def test_messages_to_a_room_the_bot_left_are_dropped(bot: Harness) -> None:
    bot.transport.script = [ConnectionError("down")]
    await bot.send("!ping")
    await bot.processor.process(Batch(next_batch="s-left", left=[ROOM]))
    await bot.sender.drain()
    async with bot.db.transaction() as session:
        from storage import outbox

        assert await outbox.pending(session, BOT) == []
    assert not [s for s in bot.sent if s.body.startswith("pong")]


async def test_repeated_exceptions_end_in_a_drop_not_a_block(bot: Harness) -> None:
    from bot.sender import MAX_ATTEMPTS

    bot.transport.script = [RuntimeError("always")] * MAX_ATTEMPTS
    await bot.send("!ping")
    for _ in range(MAX_ATTEMPTS):
        await bot.sender.drain()
    [reply] = await bot.send("!privacy")
    assert "What Flattening keeps" in reply.body


files = Practice("Files")


@files.command("attach", summary="Attach a small Markdown file.")
async def attach(ctx: Context) -> None:
    await ctx.post_file(File(b"# Hello\n", "hello.md", "text/markdown"), "A greeting")


async def test_a_file_is_an_m_file_uploaded_when_sent(db: Database, clock: FakeClock) -> None:
    harness = Harness(db, make_config(), clock, extra_practices=[files])
    await harness.start()
    event = harness.message("!attach")
    await harness.process([event])
    sent = harness.last
    assert sent.content == {
        "msgtype": "m.file",
        "body": "hello.md",
        "filename": "hello.md",
        "info": {"mimetype": "text/markdown", "size": 8},
        "m.mentions": {},
        "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        "url": "mxc://test.org/1",
    }
    assert harness.transport.uploads == [(ROOM, b"# Hello\n", "text/markdown")]
    assert harness.transport.filenames == ["hello.md"]
    assert harness.transport.upload_of(sent) == b"# Hello\n"


async def test_a_file_in_an_encrypted_room_points_at_the_encrypted_upload(
    db: Database, clock: FakeClock
) -> None:
    harness = Harness(db, make_config(), clock, extra_practices=[files])
    harness.transport.encrypted_rooms.add(ROOM)
    await harness.start()
    [sent] = await harness.send("!attach")
    assert sent.content["msgtype"] == "m.file"
    assert "url" not in sent.content
    assert sent.content["file"]["url"] == "mxc://test.org/1"
    assert harness.transport.upload_of(sent) == b"# Hello\n"
