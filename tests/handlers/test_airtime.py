"""Airtime counting is exact under replays and redactions, and never stores a body."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select

from bot.events import Batch, RoomEvent
from storage import sync_state
from storage.models import AirtimeDay, Base
from tests.harness import ALICE, BOB, BOT, CAROL, ROOM, Harness

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ts(hours: float = 0) -> int:
    return int((T.timestamp() + hours * 3600) * 1000)


def msg(
    bot: Harness, body: str, sender: str = ALICE, at: float = 0, **content: object
) -> RoomEvent:
    e = bot.message(body, sender, **content)
    return RoomEvent(e.event_id, e.sender, e.type, e.content, timestamp_ms=ts(at))


async def counts(bot: Harness) -> dict[tuple[str, str], tuple[int, int]]:
    async with bot.db.transaction() as session:
        rows = (await session.execute(select(AirtimeDay))).scalars().all()
    return {
        (r.user_id, r.day.isoformat()): (r.messages, r.words) for r in rows if r.messages or r.words
    }


async def test_counts_messages_and_words_per_member_per_local_day(bot: Harness) -> None:
    await bot.process(
        [
            msg(bot, "hello  all of you", ALICE),
            msg(bot, "hi", BOB),
            msg(bot, "waves", ALICE, msgtype="m.emote"),
            msg(bot, "late night thought", ALICE, at=14),  # 00:00+ on 3 March in Berlin
        ]
    )
    assert await counts(bot) == {
        (ALICE, "2026-03-02"): (2, 5),
        (BOB, "2026-03-02"): (1, 1),
        (ALICE, "2026-03-03"): (1, 3),
    }


async def test_commands_edits_notices_and_the_bot_are_not_counted(bot: Harness) -> None:
    await bot.process(
        [
            msg(bot, "!ping"),
            msg(
                bot, "* fixed typo", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}
            ),
            msg(bot, "a notice", msgtype="m.notice"),
            msg(bot, "I am the bot", BOT),
        ]
    )
    assert await counts(bot) == {}


async def test_redaction_uncounts(bot: Harness) -> None:
    kept, removed = msg(bot, "one two"), msg(bot, "three four five")
    await bot.process([kept, removed])
    redaction = RoomEvent(bot.event_id(), ALICE, "m.room.redaction", {"redacts": removed.event_id})
    await bot.process([redaction])
    await bot.process([redaction])  # delivered twice: still one uncount
    old_style = RoomEvent(bot.event_id(), ALICE, "m.room.redaction", {}, redacts=kept.event_id)
    await bot.process([old_style])
    assert await counts(bot) == {}


async def test_exact_under_crash_before_and_after_commit(bot: Harness) -> None:
    events = [msg(bot, "a b c"), msg(bot, "d", BOB)]
    batch = Batch(next_batch="s-air", joined=[bot.room(events)])
    original = sync_state.set_token

    async def crash(*args: object) -> None:
        raise RuntimeError("power cut before commit")

    sync_state.set_token = crash  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            await bot.processor.process(batch)
    finally:
        sync_state.set_token = original  # type: ignore[assignment]
    assert await counts(bot) == {}
    await bot.processor.process(batch)  # the replay
    await bot.processor.process(batch)  # a crash after commit, then a duplicate delivery
    assert await counts(bot) == {(ALICE, "2026-03-02"): (1, 3), (BOB, "2026-03-02"): (1, 1)}


async def test_no_table_can_hold_a_message_body(bot: Harness) -> None:
    """Privacy: count columns and ids only; the words themselves go nowhere."""
    await bot.process([msg(bot, "a secret plan to occupy the office")])
    async with bot.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            assert not any("secret plan" in str(row) for row in rows), table.name
    assert "body" not in {c.name for t in Base.metadata.sorted_tables for c in t.columns}
    assert inspect(AirtimeDay).columns.keys() == [
        "id",
        "collective_id",
        "user_id",
        "day",
        "messages",
        "words",
    ]


async def test_airtime_report_group_first_then_everyone_by_name(bot: Harness) -> None:
    await bot.process(
        [msg(bot, "one two three four five six seven eight", ALICE), msg(bot, "one two", BOB)]
    )
    bot.clock.set(T)
    [reply] = await bot.send("!airtime 7d", CAROL)
    body = reply.body
    assert body.startswith("**Airtime, the last 7 days** (2026-02-24 to 2026-03-02)")
    assert "2 messages, 10 words, from 2 of 3 members." in body
    assert "The most active fifth (1) wrote 80% of the words. Gini 0.53" in body
    assert "Silent: 1." in body
    assert body.index("Alice:") < body.index("Bob:") < body.index("Carol:")
    assert "- Carol: 0% of messages, 0% of words" in body
    assert "A mirror, not a score" in body
    assert reply.content["m.mentions"] == {}


async def test_airtime_periods_and_bad_input(bot: Harness) -> None:
    [reply] = await bot.send("!airtime month")
    assert "**Airtime, March 2026 so far** (2026-03-01 to 2026-03-02)" in reply.body
    assert "No messages were counted" in reply.body
    [reply] = await bot.send("!airtime year")
    assert "`year` is not one of: 7d, 30d, month" in reply.body
    assert ROOM


async def test_direct_chats_are_never_counted(bot: Harness) -> None:
    from bot.events import Invite

    dm = "!dm:test.org"
    bot.members[dm] = {ALICE: "Alice"}
    await bot.process(invites=[Invite(dm, ALICE, is_direct=True)])
    await bot.process([bot.own_join()], room_id=dm)
    e = msg(bot, "a private answer of several words")
    await bot.process([e], room_id=dm)
    assert await counts(bot) == {}


async def test_a_redaction_seen_before_its_message_still_wins(bot: Harness) -> None:
    later = msg(bot, "this will be redacted")
    redaction = RoomEvent(bot.event_id(), ALICE, "m.room.redaction", {"redacts": later.event_id})
    await bot.process([redaction, later])
    await bot.process([msg(bot, "kept")])
    assert await counts(bot) == {(ALICE, "2026-03-02"): (1, 1)}


async def test_only_the_sender_or_a_moderator_uncounts_and_only_in_its_room(bot: Harness) -> None:
    from bot.events import Batch, JoinedRoom

    mine = msg(bot, "one two three")
    await bot.process([mine])
    stranger = RoomEvent(bot.event_id(), BOB, "m.room.redaction", {"redacts": mine.event_id})
    await bot.process([stranger])  # Bob may not redact Alice's message
    assert await counts(bot) == {(ALICE, "2026-03-02"): (1, 3)}
    other_room = "!other:test.org"
    bot.members[other_room] = {ALICE: "Alice", BOB: "Bob"}
    own = RoomEvent(bot.event_id(), ALICE, "m.room.redaction", {"redacts": mine.event_id})
    await bot.process([own], room_id=other_room)  # the same id, redacted in another room
    assert await counts(bot) == {(ALICE, "2026-03-02"): (1, 3)}
    room = bot.room(
        [RoomEvent(bot.event_id(), BOB, "m.room.redaction", {"redacts": mine.event_id})]
    )
    levels = {"users": {BOB: 50}, "redact": 50}
    moderated = JoinedRoom(room.room_id, room.events, room.members, room.name, False, levels)
    await bot.processor.process(Batch(next_batch="s-mod", joined=[moderated]))
    assert await counts(bot) == {}
