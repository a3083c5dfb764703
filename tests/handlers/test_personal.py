"""`!mydata` sends a member everything kept about them by direct message; `!forgetme`, once
confirmed, erases their personal records and leaves shared ones naming a former member."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import (
    AirtimeDay,
    AuditEntry,
    BudgetEntry,
    CheckinAnswer,
    Knowledge,
    Member,
    Note,
    ReflectionAsked,
    RoleTerm,
    SecondRequest,
    TaskCompletion,
)
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness


async def busy_alice(bot: Harness) -> None:
    await bot.send("hello everyone, long meeting today", ALICE)  # counted as airtime
    await bot.ask("!task done flyers for the fair", ALICE)
    await bot.ask("!knows database", ALICE)
    await bot.ask("!note the hall is booked", ALICE)
    await bot.ask("!spend 12,50 flyers", ALICE)
    await bot.ask("!role claim notes", ALICE)
    await bot.ask("!bot @carol:test.org", ALICE)
    await bot.ask("!notbot @carol:test.org", ALICE)


async def test_mydata_answers_by_direct_message(bot: Harness) -> None:
    await busy_alice(bot)
    sent = await bot.send("!mydata", ALICE)
    reply = next(s for s in sent if s.room_id == ROOM)
    assert reply.body == "I sent Alice what I keep about them in a direct message."
    [doc] = bot.dms(ALICE)
    assert doc.content["msgtype"] == "m.text"
    for expected in (
        "# What Flattening keeps about @alice:test.org",
        "## Test collective (!collective:test.org)",
        "- You: Alice, a member, first seen",
        "- Airtime: 1 messages and 5 words on 1 days",
        "- Knowledge: database (knows)",
        "- Work logged: ",
        "flyers for the fair (visible)",
        "- Role notes: from ",
        "- Note #1, ",
        "the hall is booked",
        "- Budget entry #1, ",
        "- Audit log, ",
        "Not here, because nothing links them to you: your reflection answers.",
    ):
        assert expected in doc.body, expected
    assert "Bob" not in doc.body  # only about her
    # In the direct chat itself, the answer comes right there.
    [again] = await bot.answer("!mydata", ALICE)
    assert again.room_id == bot.dm_room(ALICE) and again.reply_to is not None


async def test_a_long_mydata_comes_as_a_markdown_file(bot: Harness) -> None:
    for n in range(60):
        await bot.ask(f"!task done a task with a rather long name number {n}", BOB)
    await bot.send("!mydata", BOB)
    [file] = bot.dms(BOB)
    assert file.content["msgtype"] == "m.file"
    assert file.content["info"]["mimetype"] == "text/markdown"
    data = bot.transport.upload_of(file).decode()
    assert data.startswith("# What Flattening keeps about @bob:test.org\n")
    assert data.count("- Work logged: ") == 60


async def test_forgetme_erases_personal_records_after_confirmation(bot: Harness) -> None:
    await busy_alice(bot)
    await bot.ask("!note delete 1", ALICE)  # a request waiting for a second member
    await bot.send("!checkin", BOB)
    await bot.answer("red", ALICE)
    await bot.send("!reflect", BOB)
    await bot.answer("my anonymous thought", ALICE)
    assert "Nothing to confirm" in await bot.ask("!forgetme confirm", ALICE)
    asked = await bot.ask("!forgetme", ALICE)
    assert asked.startswith("This erases what I keep about you in every group I serve")
    assert "Your reflection answers cannot be found or deleted" in asked
    assert "answer `!forgetme confirm` before Mon 02 Mar 2026 10:10" in asked
    assert "Nothing to confirm" in await bot.ask("!forgetme confirm", BOB)
    done = await bot.ask("!forgetme confirm", ALICE)
    assert done.startswith("Done: I erased what I kept about you (")
    async with bot.db.transaction() as session:

        async def count(model: type, *where: object) -> int:
            q = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
            return int(await session.scalar(q) or 0)

        # Personal records: gone.
        assert await count(AirtimeDay, AirtimeDay.user_id == ALICE) == 0
        assert await count(Knowledge, Knowledge.user_id == ALICE) == 0
        assert await count(CheckinAnswer, CheckinAnswer.user_id == ALICE) == 0
        assert await count(ReflectionAsked, ReflectionAsked.user_id == ALICE) == 0
        # She had answered in the open round: the count of who answered stays true.
        assert await count(ReflectionAsked, ReflectionAsked.parts > 0) == 1
        # Shared records: kept, with a former member.
        assert await count(TaskCompletion, TaskCompletion.user_id.is_(None)) == 1
        assert await count(Note, Note.author.is_(None)) == 1
        assert await count(BudgetEntry, BudgetEntry.author.is_(None)) == 1
        assert await count(RoleTerm, RoleTerm.user_id == ALICE) == 0
        assert (
            await count(RoleTerm, RoleTerm.user_id.is_(None), RoleTerm.ended_at.is_not(None)) == 1
        )
        assert await count(AuditEntry, AuditEntry.actor == ALICE) == 0
        # Their user id and display name leave the log's details too.
        assert await count(AuditEntry, AuditEntry.detail.contains("alice")) == 0
        request = (await session.execute(select(SecondRequest))).scalar_one()
        assert request.requested_by is None and request.lapsed_at is not None
        # She is still in the room, which shows her: her membership stays while she is.
        assert await count(Member, Member.user_id == ALICE, Member.joined.is_(True)) == 1
    assert "has lapsed; nothing changed" in await bot.ask("!second 1", BOB)
    notes = await bot.ask("!notes", BOB)
    assert "a former member: the hall is booked" in notes
    log = await bot.ask("!task log", BOB)
    assert "**flyers for the fair** (visible), a former member" in log
    assert "Vacant" in (await bot.ask("!roles", BOB)).split("**notes**", 1)[1].split("\n")[0]
    audit = await bot.ask("!audit 50", BOB)
    assert "a former member forgot a member their personal records were erased" in audit
    assert "alice" not in audit.casefold()
    mine = await bot.send("!mydata", ALICE)
    [doc] = [s for s in mine if s.room_id != ROOM]
    assert "Knowledge" not in doc.body and "Work logged" not in doc.body


async def test_forgetme_lapses_after_ten_minutes(bot: Harness) -> None:
    await bot.ask("!forgetme", CAROL)
    bot.clock.advance(minutes=10, seconds=1)
    assert await bot.ask("!forgetme confirm", CAROL) == (
        "Nothing to confirm: type `!forgetme` first; a request lasts 10 minutes."
    )


async def test_forgetme_scrubs_ids_followed_by_a_colon_and_mydata_lists_name_mentions(
    bot: Harness,
) -> None:
    from sqlalchemy import select

    from storage.models import AuditEntry

    await bot.ask("!note the hall is ours", ALICE)
    await bot.ask("!note delete 1", ALICE)
    await bot.ask("!second 1", BOB)  # audited as "request #1 from @alice:test.org: ..."
    await bot.send("!mydata", ALICE)
    [data] = bot.dms(ALICE)[-1:]
    assert "erase note \\#1 (taken by Alice" in data.body  # named by display name only
    await bot.ask("!forgetme", ALICE)
    await bot.ask("!forgetme confirm", ALICE)
    async with bot.db.transaction() as session:
        details = [e.detail for e in await session.scalars(select(AuditEntry))]
    assert not [d for d in details if ALICE in d], details


async def test_forgetme_does_not_end_an_entry_sprint(bot: Harness) -> None:
    dana = "@dana:test.org"
    await bot.join(dana, "Dana")
    await bot.ask("!forgetme", dana)
    await bot.ask("!forgetme confirm", dana)
    reply = await bot.ask("!member Dana", BOB)
    assert "already a full member" not in reply


async def test_forgetme_takes_dots_out_of_an_open_walk_and_keeps_shared_rituals(
    bot: Harness,
) -> None:
    from handlers.context import MARKER
    from storage.models import Experiment, GalleryMark, GalleryWalk, TrustSprint

    await bot.ask("!experiment a speaking timekeeper", ALICE)
    await bot.ask("!sprint start open doors", ALICE)
    sent = await bot.send("!gallery", ALICE)
    assert sum(1 for s in sent if MARKER in s.content) == 6
    [(first, _), *_] = await bot.echo()
    await bot.process([bot.reaction(first, "🔴", ALICE), bot.reaction(first, "🔵", BOB)])
    await bot.send("!mydata", ALICE)
    [doc] = bot.dms(ALICE)
    for expected in (
        "- You started experiment #1 on Mon 02 Mar 2026 10:00: a speaking timekeeper",
        "- Trust audit sprint open doors, from Mon 02 Mar 2026 10:00, running: you started",
        "- You started a gallery walk on Mon 02 Mar 2026 10:00.",
        "- In the gallery walk open until Mon 02 Mar 2026 10:20: 1 dot (a reaction) you put",
    ):
        assert expected in doc.body, expected
    await bot.ask("!forgetme", ALICE)
    await bot.ask("!forgetme confirm", ALICE)
    async with bot.db.transaction() as session:
        marks = (await session.execute(select(GalleryMark.user_id))).scalars().all()
        assert marks == [BOB]
        assert (await session.execute(select(Experiment.started_by))).scalar_one() is None
        assert (await session.execute(select(TrustSprint.started_by))).scalar_one() is None
        assert (await session.execute(select(GalleryWalk.started_by))).scalar_one() is None
    assert "(from a former member)" in await bot.ask("!experiments", BOB)
    [tally] = await bot.send("!gallery end", BOB)
    assert "- Pattern 1, Who is heard: 🔴 0 · 🔵 1 · 🟢 0" in tally.body
