"""Reflection rounds: prompts by direct message, answers kept unlinkable, no count while
open, one reminder to everyone, published once in random order (across a restart), or
discarded when too few answered, and the room told why."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text

from bot.cli import quiet_libraries
from bot.database import Database
from storage.models import AirtimeDay, ReflectionAnswer, ReflectionAsked, ReflectionRound
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, Sent, make_config

DAVE = "@dave:test.org"
OPENED = "**Reflection round**: I have sent each of the 3 members the prompts"
KEPT = "Kept for the reflection round of Test collective, with no link to you."


def in_room(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.room_id == ROOM]


async def start_round(bot: Harness) -> None:
    sent = await bot.send("!reflect", BOB)
    [post] = in_room(sent)
    assert post.body.startswith(OPENED)
    assert post.content["msgtype"] == "m.text" and post.reply_to is not None


async def test_everyone_gets_the_prompts_by_direct_message(bot: Harness) -> None:
    await start_round(bot)
    for who in (ALICE, BOB, CAROL):
        [prompt] = bot.dms(who)
        assert prompt.content["msgtype"] == "m.text"  # it must reach them: a notification
        assert prompt.body.startswith("**Reflection round** in Test collective, open until")
        assert "Name one imbalance you feel complicit in sustaining" in prompt.body
        assert "Name a moment this month where you felt agency." in prompt.body
        assert "kept with **no link to you**" in prompt.body
    # One direct chat per person, each opened once and listed in the bot's m.direct.
    assert sorted(u for u, _ in bot.transport.opened) == sorted([ALICE, BOB, CAROL])
    assert bot.transport.direct == {u: r for u, r in bot.transport.opened}
    reply = await bot.ask("!reflect", CAROL)
    assert reply.startswith("A reflection round is open until Mon 09 Mar 2026 10:00")


async def test_answers_get_a_private_receipt_and_the_room_sees_no_count(bot: Harness) -> None:
    await start_round(bot)
    before = len(bot.sent)
    [receipt] = await bot.answer("I take the minutes so nobody else learns how", ALICE)
    assert receipt.room_id == bot.dm_room(ALICE)
    assert receipt.body.startswith(KEPT) and "You may send 4 more." in receipt.body
    assert receipt.content["msgtype"] == "m.notice"
    await bot.answer("I spoke first at every meeting", BOB)
    assert in_room(bot.sent[before:]) == []  # nothing in the room while the round is open
    assert "answered" not in await bot.ask("!reflect", CAROL)


async def test_answers_are_kept_with_no_link_to_who_wrote_them(bot: Harness) -> None:
    await start_round(bot)
    written = []
    for part in range(5):
        for who in (ALICE, BOB, CAROL):
            written.append(f"{who} part {part}")
            await bot.answer(written[-1], who)
    async with bot.db.transaction() as session:
        conn = await session.connection()
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("reflection_answers")}
        )
        assert columns == {"id", "round_id", "text"}  # no user, no event, no time
        rows = (await session.execute(select(ReflectionAnswer.id, ReflectionAnswer.text))).all()
        keys = [k for k, _ in rows]
        assert sorted(t for _, t in rows) == sorted(written)
        assert len(set(keys)) == 15 and min(abs(k) for k in keys) > 2**20  # drawn, not counted
        # In key order (the order the table keeps them in), not the order they came in.
        in_key_order = [t for _, t in sorted(rows)]
        assert in_key_order != written
        if conn.dialect.name == "sqlite":  # the key is the row id: no hidden insertion order
            rowids = (await session.execute(text("SELECT rowid, id FROM reflection_answers"))).all()
            assert all(r == k for r, k in rowids)
        # Who answered is kept apart, and says nothing about which answer.
        asked = (
            await session.execute(select(ReflectionAsked.user_id, ReflectionAsked.parts))
        ).all()
        assert sorted(asked) == [(ALICE, 5), (BOB, 5), (CAROL, 5)]
        # Direct chats are never talk: nothing was counted as airtime.
        assert await session.scalar(select(func.count()).select_from(AirtimeDay)) == 0


async def test_a_sixth_message_is_refused_and_a_long_one_is_not_kept(bot: Harness) -> None:
    await start_round(bot)
    for n in range(4):
        await bot.answer(f"part {n}", ALICE)
    [last] = await bot.answer("part 4", ALICE)
    assert "That was your last one for this round." in last.body
    [sixth] = await bot.answer("part 5", ALICE)
    assert sixth.body.startswith("Nothing is waiting for an answer from you right now")
    [long] = await bot.answer("x" * 2001, BOB)
    assert long.body.startswith("That is 2001 characters; an answer holds at most 2000 (fewer")
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReflectionAnswer)) == 5


async def test_a_replayed_answer_is_kept_once(bot: Harness) -> None:
    await start_round(bot)
    await bot.answer("first words", ALICE)
    event = bot.message("said once, delivered twice", ALICE)
    room = bot.dm_room(ALICE)
    await bot.process([event], room_id=room)
    await bot.process([event], room_id=room)  # the homeserver sends it again
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReflectionAnswer)) == 2


async def test_one_reminder_to_everyone_before_the_close(bot: Harness) -> None:
    await start_round(bot)
    await bot.answer("answered already", ALICE)
    bot.clock.advance(days=5, hours=23)  # the reminder is due a day before the close
    before = len(bot.sent)
    await bot.rituals.run_due("reflection-tick", ROOM)
    assert bot.sent[before:] == []
    for _ in range(6):  # hourly, for the rest of the round but the last hour
        bot.clock.advance(hours=4)
        await bot.rituals.run_due("reflection-tick", ROOM)
    [reminder] = bot.sent[before:]
    assert reminder.room_id == ROOM and reminder.content["msgtype"] == "m.text"
    assert reminder.body.startswith("Reminder: the **reflection round** closes Mon 09 Mar 2026")
    assert "Everyone gets this reminder" in reminder.body
    assert reminder.content["m.mentions"] == {}  # not only to those who did not answer


async def test_a_restart_across_the_close_publishes_once(db: Database, clock: FakeClock) -> None:
    first = Harness(db, make_config(), clock)
    await first.start()
    await start_round(first)
    answers = {ALICE: "I hold the bank password", BOB: "I felt agency at the picket", CAROL: "x"}
    for who, words in answers.items():
        await first.answer(words, who)
    # The bot is down over the close and starts again two days later.
    clock.advance(days=9)
    restarted = Harness(db, make_config(), clock)
    await restarted.rituals.start()

    def reflection_posts(sent: list[Sent]) -> list[Sent]:
        return [s for s in in_room(sent) if s.body.startswith(("**Reflection", "Answers"))]

    published = reflection_posts(restarted.sent)
    head, listing = published
    assert head.body.startswith("**Reflection round** of 2026-03-02 to 2026-03-11 closed.")
    assert "It was due to close Mon 09 Mar 2026 10:00, while the bot was offline." in head.body
    assert "3 members answered." in head.body and "in random order" in head.body
    assert listing.body.startswith("Answers 1 to 3 of 3:\n")
    assert sorted(listing.body.split("\n")[1:]) == sorted(f"- {w}" for w in answers.values())
    # Never again: not on the next tick, not after another restart.
    clock.advance(hours=1)
    await restarted.rituals.run_due("reflection-tick", ROOM)
    again = Harness(db, make_config(), clock)
    await again.rituals.start()
    assert reflection_posts(restarted.sent + again.sent) == published
    async with db.transaction() as session:
        found = (await session.execute(select(ReflectionRound))).scalar_one()
        assert (found.outcome, found.answered) == ("published", 3)
        # Who answered is forgotten once the round is closed.
        assert await session.scalar(select(func.count()).select_from(ReflectionAsked)) == 0


async def test_too_few_answers_are_discarded_and_the_room_told_why(bot: Harness) -> None:
    await start_round(bot)
    await bot.answer("only me", ALICE)
    await bot.answer("and me", BOB)
    bot.clock.advance(days=7, minutes=1)
    before = len(bot.sent)
    await bot.rituals.run_due("reflection-tick", ROOM)
    [told] = bot.sent[before:]
    assert told.body.startswith("**Reflection round** of 2026-03-02 to 2026-03-09 closed.")
    assert "Fewer than 3 members answered (2), so the answers were deleted unread" in told.body
    assert "only me" not in told.body
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReflectionAnswer)) == 0
        assert (await session.execute(select(ReflectionRound.outcome))).scalar_one() == "discarded"
    # An answer after the close is not kept anywhere.
    [late] = await bot.answer("too late", CAROL)
    assert late.body.startswith("Nothing is waiting for an answer from you right now")


async def test_closing_early_takes_a_second_member(bot: Harness) -> None:
    await start_round(bot)
    for who in (ALICE, BOB, CAROL):
        await bot.answer(f"words of {who}", who)
    asked = await bot.ask("!reflect close", ALICE)
    assert asked.startswith("Request **#1** from Alice: close the reflection round now")
    assert "it waits for a second member: `!second 1`" in asked
    assert "seconded" not in await bot.ask("!second 1", ALICE)
    sent = await bot.send("!second 1", BOB)
    bodies = [s.body for s in in_room(sent)]
    assert bodies[0].startswith("**Reflection round** of 2026-03-02 to 2026-03-02 closed.")
    assert bodies[1].startswith("Answers 1 to 3 of 3:")
    assert bodies[2] == (
        "Bob seconded request #1 from Alice: the reflection round was closed early and its "
        "answers posted."
    )
    assert "No reflection round is open." in await bot.ask("!reflect close", CAROL)


async def test_the_scheduled_round_opens_on_its_cron(db: Database) -> None:
    clock = FakeClock(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    bot = Harness(db, make_config('[schedule]\nreflection = "0 18 1 * *"\n'), clock)
    await bot.start()
    clock.set(datetime(2026, 4, 1, 16, 0, 30, tzinfo=UTC))  # 18:00:30 in Berlin (summer)
    assert await bot.rituals.run_due("reflection", ROOM)
    assert not await bot.rituals.run_due("reflection", ROOM)
    [post] = in_room(bot.sent[1:])
    assert post.body.startswith(OPENED) and post.reply_to is None
    assert len(bot.dms(ALICE)) == 1
    assert "open until Wed 08 Apr 2026 18:00" in bot.dms(ALICE)[0].body


async def test_a_newcomer_who_was_not_asked_cannot_answer(bot: Harness) -> None:
    await start_round(bot)
    await bot.join(DAVE, "Dave")  # while the round is open
    await bot.send("!task done flyers", DAVE)  # Dave is a member now
    bot.transport.direct[DAVE] = "!dm-dave:test.org"
    [reply] = await bot.answer("let me in", DAVE)
    assert reply.body.startswith("Nothing is waiting for an answer from you right now")


async def test_answers_are_never_logged(bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """Not by the bot, and not by a database driver, even with `--log-level DEBUG`."""
    caplog.set_level(logging.DEBUG)
    quiet_libraries()  # as `flattening run` sets up its logging
    await start_round(bot)
    secret = "my unmistakable secret confession"
    await bot.answer(secret, ALICE)
    for who in (BOB, CAROL):
        await bot.answer(secret + " too", who)
    bot.clock.advance(days=8)
    await bot.rituals.run_due("reflection-tick", ROOM)
    assert "unmistakable" not in caplog.text


def test_no_answer_is_ever_cut_from_what_is_published() -> None:
    """Packs are weighed as sent: a long answer of emoji (12 bytes each in JSON, twice)
    must not push the others out of the published messages."""
    from bot.formatter import MAX_EVENT, content, size
    from handlers.context import Rows
    from handlers.reflection import MAX_ANSWER, PACK, _packs, _weight

    heavy = "😀" * 1600
    assert _weight(heavy) <= PACK < _weight("😀" * (MAX_ANSWER - 1))  # the latter is refused
    texts = [heavy, "honest answer from Bob", "<b>Carol</b> & co", "é" * MAX_ANSWER, heavy]
    packs = _packs(texts)
    assert [t for _, _, chunk in packs for t in chunk] == texts
    for first, last, chunk in packs:
        sent = content(
            "Answers {a} to {b}:\n{answers}",
            {"a": first, "b": last, "answers": Rows("- {item}", chunk)},
        )
        assert size(sent) <= MAX_EVENT
        assert "cut" not in sent["body"] and "… and" not in sent["body"]


async def test_no_write_ahead_history_is_left_beside_the_file(
    tmp_path,
    clock: FakeClock,  # type: ignore[no-untyped-def]
) -> None:
    """On SQLite, the log of recent commits would keep each answer's commit next to the
    commit that noted who answered; it is emptied after every batch that took an answer,
    and every answer of the round is rewritten, so physical order tells nothing."""
    path = tmp_path / "f.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    bot = Harness(db, make_config(), clock)
    try:
        await bot.start()
        await start_round(bot)
        for who in (CAROL, ALICE, BOB):
            await bot.answer(f"answer from {who}", who)
            wal = path.with_name("f.db-wal")
            assert b"answer from" not in (wal.read_bytes() if wal.exists() else b"")
        async with db.transaction() as session:
            physical = [
                r[0]
                for r in (await session.execute(text("SELECT text FROM reflection_answers"))).all()
            ]
        assert sorted(physical) == sorted(f"answer from {w}" for w in (ALICE, BOB, CAROL))
    finally:
        await db.close()
