"""Reflection rounds: prompts by direct message, answers kept unlinkable, no count while
open, one reminder to everyone, published once in random order (across a restart), or
discarded when too few answered, and the room told why."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from bot.cli import quiet_libraries
from bot.database import Database
from handlers.rituals.reflection import MAX_ANSWER, storable
from storage.models import (
    AirtimeDay,
    Base,
    ReflectionAnswer,
    ReflectionAsked,
    ReflectionRound,
)
from storage.sealing import SEALED, Sealer
from tests.harness import (
    ALICE,
    BOB,
    CAROL,
    ROOM,
    TEST_SEALER,
    FakeClock,
    Harness,
    Sent,
    make_config,
)

DAVE = "@dave:test.org"
OPENED = "**Reflection round**: I have sent each of the 3 members the prompts"
KEPT = "Kept for the reflection round of Test collective, with no link to you."


def open_answer(bot: Harness, round_id: int, blob: bytes | None) -> str:
    assert blob is not None and len(blob) == SEALED
    return bot.sealer.open(blob, f"reflection round {round_id}".encode())


def in_room(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.room_id == ROOM]


async def start_round(bot: Harness) -> None:
    sent = await bot.send("!reflect", BOB)
    [post] = in_room(sent)
    assert post.body.startswith("Bob opened a reflection round.\n" + OPENED)
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
        assert columns == {"id", "round_id", "text", "sealed"}  # no user, no event, no time
        rows = (await session.execute(select(ReflectionAnswer.id, ReflectionAnswer.sealed))).all()
        assert await session.scalar(select(func.count(ReflectionAnswer.text))) == 0  # sealed
        keys = [k for k, _ in rows]
        round_id = (await session.execute(select(ReflectionRound.id))).scalar_one()
        opened = {k: open_answer(bot, round_id, blob) for k, blob in rows}
        assert sorted(opened.values()) == sorted(written)
        assert len(set(keys)) == 15 and min(abs(k) for k in keys) > 2**20  # drawn, not counted
        # In key order (the order the table keeps them in), not the order they came in.
        in_key_order = [opened[k] for k in sorted(keys)]
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
    from handlers.rituals.reflection import MAX_ANSWER, PACK, _packs, _weight

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


def database_files(path: Path) -> bytes:
    """What a copy of a SQLite database holds: its file, and its write-ahead log and
    rollback journal if there are any."""
    found = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]
    return b"".join(p.read_bytes() for p in found if p.exists())


async def test_no_text_of_an_answer_is_in_the_database_files_while_open(
    tmp_path: Path, clock: FakeClock
) -> None:
    """On SQLite, the file with its write-ahead log and journal, read after each answer:
    no answer's text, in any encoding a reader might try, until the round closes; the log
    of recent commits is emptied after every batch that took an answer too."""
    path = tmp_path / "f.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    bot = Harness(db, make_config(), clock)
    words = {who: f"unmistakable confession of {who.split(':')[0][1:]}" for who in (ALICE, BOB)}
    words[CAROL] = "Ünmistakable — 秘密 😀 confession of carol"
    try:
        await bot.start()
        await start_round(bot)
        for who in (CAROL, ALICE, BOB):
            await bot.answer(words[who], who)
            files = database_files(path)
            wal = path.with_name("f.db-wal")
            assert b"confession" not in (wal.read_bytes() if wal.exists() else b"")
            for each in words.values():
                for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                    assert each.encode(encoding) not in files, (who, each, encoding)
                assert b"confession" not in files and "秘密".encode() not in files
        async with db.transaction() as session:
            stored = (
                await session.execute(text("SELECT text, sealed FROM reflection_answers"))
            ).all()
        assert [t for t, _ in stored] == [None, None, None]
        assert {len(b) for _, b in stored} == {SEALED}
        bot.clock.advance(days=7, minutes=1)
        await bot.rituals.run_due("reflection-tick", ROOM)
        [_, listing] = in_room(bot.sent[-2:])
        assert sorted(listing.body.split("\n")[1:]) == sorted(f"- {w}" for w in words.values())
        # Published, they are the room's: kept as the text posted, nothing sealed is left.
        async with db.transaction() as session:
            stored = (
                await session.execute(text("SELECT text, sealed FROM reflection_answers"))
            ).all()
        assert sorted(t for t, _ in stored) == sorted(words.values())
        assert [b for _, b in stored] == [None, None, None]
    finally:
        await db.close()


async def all_rows(bot: Harness) -> tuple[str, list[bytes]]:
    """Every row of every table, as text (repr) and as the raw bytes values."""
    dumps, blobs = [], []
    async with bot.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = [tuple(row) for row in (await session.execute(select(table))).all()]
            dumps.append(f"{table.name}: {rows!r}")  # (a Row's own repr cuts long text)
            blobs += [v for row in rows for v in row if isinstance(v, bytes)]
    return "\n".join(dumps), blobs


async def test_no_table_holds_an_open_rounds_answer_nor_its_length(bot: Harness) -> None:
    """Whatever a copy of the database shows (every table, every bytes value): no text of
    an answer, and every sealed answer the same length, from one letter to the longest."""
    await start_round(bot)
    answers = {ALICE: "Zq7kW", BOB: "é" * 2000, CAROL: "😀" * 1600}  # 5, 4000, 6400 bytes
    lengths = []
    for who, words in answers.items():
        # The homeserver is down: the receipt waits in the outbox, read with the rest.
        bot.transport.script = [RuntimeError("homeserver down")] * 3
        await bot.answer(words, who)
        dump, blobs = await all_rows(bot)
        assert "Kept for the reflection round" in dump  # the receipt, queued
        for each in answers.values():
            assert each[:20] not in dump
            assert not any(each[:20].encode() in blob for blob in blobs)
        lengths.append(sorted(len(b) for b in blobs))
    assert lengths == [[SEALED], [SEALED] * 2, [SEALED] * 3]
    bot.transport.script = []
    await bot.sender.drain()
    for who, words in answers.items():  # nor did the receipts, once delivered
        [receipt] = [s for s in bot.dms(who) if s.body.startswith(KEPT)]
        assert words[:20] not in receipt.body
    # The key is nowhere in the database: it is a file of its own, readable by the bot only.
    key = bot.sealer.key_file.read_bytes()
    assert len(key) == 32 and stat.S_IMODE(bot.sealer.key_file.stat().st_mode) == 0o600
    assert not any(key in blob for blob in blobs)
    assert key.hex() not in dump


async def test_each_answer_seals_the_rounds_answers_anew(bot: Harness) -> None:
    """Two copies of the database taken before and after an answer share no sealed blob
    and no key: nothing tells which row is the new one."""
    await start_round(bot)
    await bot.answer("first", ALICE)
    await bot.answer("second", BOB)
    async with bot.db.transaction() as session:
        before = set(
            (await session.execute(select(ReflectionAnswer.id, ReflectionAnswer.sealed))).all()
        )
    await bot.answer("third", CAROL)
    async with bot.db.transaction() as session:
        after = set(
            (await session.execute(select(ReflectionAnswer.id, ReflectionAnswer.sealed))).all()
        )
    assert len(after) == 3
    assert not {k for k, _ in before} & {k for k, _ in after}
    assert not {b for _, b in before} & {b for _, b in after}


async def test_the_close_opens_shuffles_publishes_and_forgets_who(bot: Harness) -> None:
    await start_round(bot)
    written = []
    for part in range(5):
        for who in (ALICE, BOB, CAROL):
            written.append(f"part {part} of {who}")
            await bot.answer(written[-1], who)
    bot.clock.advance(days=7, minutes=1)
    before = len(bot.sent)
    await bot.rituals.run_due("reflection-tick", ROOM)
    head, listing = in_room(bot.sent[before:])
    assert "3 members answered." in head.body
    posted = [line.removeprefix("- ") for line in listing.body.split("\n")[1:]]
    assert sorted(posted) == sorted(written)
    assert posted != written  # not in the order they came in (1 in 15! by chance)
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReflectionAsked)) == 0
        found = (await session.execute(select(ReflectionRound))).scalar_one()
        assert (found.outcome, found.answered) == ("published", 3)
        rows = (await session.execute(select(ReflectionAnswer.text, ReflectionAnswer.sealed))).all()
        assert sorted(t for t, _ in rows) == sorted(written)
        assert all(b is None for _, b in rows)


async def lost_key_round(db: Database, clock: FakeClock, tmp_path: Path) -> Harness:
    bot = Harness(db, make_config(), clock, sealer=Sealer.in_store(tmp_path / "store"))
    await bot.start()
    await start_round(bot)
    for who in (ALICE, BOB, CAROL):
        await bot.answer(f"lost words of {who}", who)
    return bot


async def test_a_lost_key_closes_the_round_saying_its_answers_could_not_be_opened(
    db: Database, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await lost_key_round(db, clock, tmp_path)
    bot.sealer.key_file.unlink()  # the host lost it
    bot.clock.advance(days=7, minutes=1)
    before = len(bot.sent)
    await bot.rituals.run_due("reflection-tick", ROOM)
    [told] = bot.sent[before:]
    assert told.body.startswith("**Reflection round** of 2026-03-02 to 2026-03-09 closed.")
    assert "3 members answered, but **their answers could not be opened**" in told.body
    assert "deleted unread" in told.body and "lost words" not in told.body
    assert "could not be opened" in caplog.text and "lost words" not in caplog.text
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReflectionAnswer)) == 0
        assert await session.scalar(select(func.count()).select_from(ReflectionAsked)) == 0
        found = (await session.execute(select(ReflectionRound))).scalar_one()
        assert (found.outcome, found.answered) == ("unopenable", 3)
    # Once only, and the next round works with a new key.
    await bot.rituals.run_due("reflection-tick", ROOM)
    assert len(bot.sent) == before + 1
    await start_round(bot)
    assert (await bot.answer("a new round", ALICE))[0].body.startswith(KEPT)
    assert bot.sealer.key_file.exists()
    assert "answers could not be opened (the key was missing)" in await bot.ask("!audit 3")


async def test_a_key_replaced_mid_round_posts_none_of_its_answers(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    """The host lost the key while the round was open, and the next answer made a new
    one: the earlier answers cannot be opened, so none is posted (not just the newest,
    whose author would then be easy to guess), and the close says so."""
    bot = await lost_key_round(db, clock, tmp_path)
    bot.sealer.key_file.unlink()
    await bot.answer("after the loss", ALICE)
    sent = await bot.send("!reflect close", BOB)
    sent += await bot.send("!second 1", CAROL)
    bodies = [s.body for s in in_room(sent)]
    assert any("**their answers could not be opened**" in b for b in bodies)
    assert not any("after the loss" in b or "lost words" in b for b in bodies)
    assert bodies[-1].endswith("closed early and its answers deleted unread.")


async def test_answers_kept_in_plain_text_before_sealing_are_sealed_by_the_next(
    bot: Harness,
) -> None:
    """A round open across the upgrade (revision 0013 cannot reach the key): its plain
    answers stay readable until the next answer seals them all, and all are posted."""
    await start_round(bot)
    async with bot.db.transaction() as session:
        round_id = (await session.execute(select(ReflectionRound.id))).scalar_one()
        session.add(ReflectionAnswer(id=2**40, round_id=round_id, text="from before"))
        asked = (
            await session.execute(select(ReflectionAsked).where(ReflectionAsked.user_id == ALICE))
        ).scalar_one()
        asked.parts = 1
    await bot.answer("after the upgrade", BOB)
    async with bot.db.transaction() as session:
        rows = (await session.execute(select(ReflectionAnswer.text, ReflectionAnswer.sealed))).all()
    assert [t for t, _ in rows] == [None, None]
    assert sorted(open_answer(bot, round_id, b) for _, b in rows) == [
        "after the upgrade",
        "from before",
    ]
    await bot.answer("third", CAROL)
    bot.clock.advance(days=7, minutes=1)
    await bot.rituals.run_due("reflection-tick", ROOM)
    assert bot.last.body.startswith("Answers 1 to 3 of 3:")
    assert "- from before" in bot.last.body


async def test_half_of_a_utf16_pair_is_kept_as_a_replacement_character(
    bot: Harness,
) -> None:
    """Half of a UTF-16 pair (which PostgreSQL refuses in text, as it does a NUL, and which
    `bot/events.py` already drops) is kept, and posted, as U+FFFD."""
    await start_round(bot)
    await bot.answer("nul\x00 and \ud800 half", ALICE)
    await bot.answer("\u202eright to left\u202c", BOB)
    await bot.answer("plain", CAROL)
    bot.clock.advance(days=7, minutes=1)
    await bot.rituals.run_due("reflection-tick", ROOM)
    posted = bot.last.body.split("\n")[1:]
    assert "- nul and \ufffd half" in posted and "- plain" in posted
    assert any("right to left" in p for p in posted)  # (the formatter isolates bidi runs)
    assert storable("a\x00b\udfff") == "a\ufffdb\ufffd"


def test_the_longest_answer_fits_the_one_sealed_size() -> None:
    assert len(TEST_SEALER.seal("\U0010ffff" * MAX_ANSWER)) == SEALED
    assert len(TEST_SEALER.seal("")) == SEALED
