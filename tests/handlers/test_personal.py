"""`!mydata` sends a member everything kept about them by direct message; `!forgetme`, once
confirmed, erases their personal records and leaves shared ones naming a former member."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.models import (
    AirtimeDay,
    AuditEntry,
    AuditMember,
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
        "- Airtime: 1 message and 5 words on 1 day",
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
    assert asked.startswith("This erases what I keep about you in the groups you are or were in")
    assert "- Erased: our direct chat (its room id); " in asked
    assert "what you know or are learning" in asked
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
        # Entries that concern her (she marked Carol, and unmarked her) keep no id of hers.
        assert await count(AuditMember, AuditMember.user_id == ALICE) == 0
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
    assert "a former member had their personal records erased at their request" in audit
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


async def test_the_audit_log_names_members_by_id_and_reads_with_todays_names(
    bot: Harness,
) -> None:
    await bot.ask("!note the hall is ours", ALICE)
    await bot.ask("!note delete 1", ALICE)
    await bot.ask("!second 1", BOB)
    async with bot.db.transaction() as session:
        concerned = (await session.execute(select(AuditMember.role, AuditMember.user_id))).all()
    assert ("asker", ALICE) in concerned
    assert "seconded request #1 from Alice" in await bot.ask("!audit", CAROL)
    # A new display name shows in the whole history: nothing stored her old one.
    await bot.join(ALICE, "Ali")
    audit = await bot.ask("!audit", CAROL)
    assert "Bob seconded request #1 from Ali (delete note)" in audit
    assert "Alice" not in audit
    await bot.send("!mydata", ALICE)
    [data] = bot.dms(ALICE)[-1:]
    assert "Bob seconded request #1 from Ali (delete note)" in data.body
    await bot.ask("!forgetme", ALICE)
    await bot.ask("!forgetme confirm", ALICE)
    audit = await bot.ask("!audit", CAROL)
    assert "seconded request #1 from a former member" in audit
    assert "Ali" not in audit.replace("a former member", "")


ROOM2 = "!other:test.org"


async def _second_group(bot: Harness, members: dict[str, str | None]) -> None:
    from bot.events import Invite

    bot.members[ROOM2] = members
    bot.room_names[ROOM2] = "Other group"
    await bot.process(invites=[Invite(ROOM2, next(iter(members)))])
    await bot.process([bot.own_join()], room_id=ROOM2)


async def test_mydata_and_forgetme_match_nothing_by_name_nor_in_other_groups(
    bot: Harness,
) -> None:
    """A member named like a word in another group's records ("fund", "EUR") neither
    receives those records nor rewrites them."""
    dana = "@dana:else.org"
    await _second_group(bot, {BOB: "Bob", dana: "Dana"})
    await bot.ask("!spend 40 bail fund for the arrested organiser", BOB, ROOM2)
    await bot.ask("!note EUR fund moved", dana, ROOM2)
    await bot.join(CAROL, "fund")
    await bot.send("!mydata", CAROL)
    [doc] = bot.dms(CAROL)[-1:]
    assert "bail" not in doc.body and "Other group" not in doc.body
    await bot.join(CAROL, "EUR")
    await bot.ask("!forgetme", CAROL)
    await bot.ask("!forgetme confirm", CAROL)
    assert "40.00 EUR" in await bot.ask("!budget log", BOB, ROOM2)
    assert "EUR fund moved" in await bot.ask("!notes", BOB, ROOM2)
    async with bot.db.transaction() as session:
        forgotten = (
            (
                await session.execute(
                    select(AuditEntry.collective_id).where(AuditEntry.action == "member.forgotten")
                )
            )
            .scalars()
            .all()
        )
    assert len(forgotten) == 1  # only the group she is in heard of it


async def test_forgetme_does_not_end_an_entry_sprint(bot: Harness) -> None:
    dana = "@dana:test.org"
    await bot.join(dana, "Dana")
    await bot.ask("!forgetme", dana)
    await bot.ask("!forgetme confirm", dana)
    reply = await bot.ask("!member Dana", BOB)
    assert "already a full member" not in reply and "Request **#1**" in reply


async def test_forgetme_takes_dots_out_of_an_open_walk_and_keeps_shared_rituals(
    bot: Harness,
) -> None:
    from handlers.context import MARKER
    from storage.models import Experiment, GalleryMark, GalleryWalk, TrustSprint

    await bot.ask("!experiment a speaking timekeeper", ALICE)
    await bot.ask("!sprint start open doors", ALICE)
    sent = await bot.send("!gallery", ALICE)
    assert sum(1 for s in sent if MARKER in s.content) == 7
    [(first, _), *_] = await bot.echo()
    await bot.process([bot.reaction(first, "🔴", ALICE), bot.reaction(first, "🔵", BOB)])
    await bot.send("!mydata", ALICE)
    [doc] = bot.dms(ALICE)
    for expected in (
        "- You started experiment #1 on Mon 02 Mar 2026 10:00: a speaking timekeeper",
        "- Trust audit sprint open doors, from Mon 02 Mar 2026 10:00, running: you started",
        "- A gallery walk of Mon 02 Mar 2026 10:00: you started or ended it.",
        "- A red dot you put in the gallery walk open until Mon 02 Mar 2026 10:20",
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


NAMES = st.lists(
    st.sampled_from(
        ["a", "E", "U", "R", " ", "\u200b", "\u202e", "\x00", "@", "#", "*", "`", "é", "fund"]
    ),
    min_size=1,
    max_size=12,
).map("".join)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=NAMES, words=NAMES)
async def test_any_name_leaves_others_records_alone_and_leaves_no_id_behind(
    bot: Harness, name: str, words: str
) -> None:
    """Whatever a member is called, `!mydata` shows only their own records and
    `!forgetme` leaves no id of theirs in any declared column and no other text changed."""
    from storage.personal_data import DECLARED

    n = bot.clock.now().timestamp()
    who = f"@fuzz{int(n)}x{len(bot.transport.sent)}:test.org"
    await bot.ask(f"!note {words} EUR fund, from Bob", BOB)
    await bot.join(who, name)
    await bot.ask(f"!task done {words} cleanup", who)
    await bot.ask("!knows fund", who)
    await bot.send("!mydata", who)
    [doc] = bot.dms(who)[-1:]
    assert "from Bob" not in doc.body
    await bot.ask("!forgetme", who)
    done = await bot.ask("!forgetme confirm", who)
    assert done.startswith("Done:")
    audit = await bot.ask("!audit 50", BOB)
    assert who not in audit
    notes = await bot.ask("!notes", BOB)
    assert "EUR fund, from Bob" in notes
    async with bot.db.transaction() as session:
        for holds in DECLARED:
            if holds.name in ("members.user_id", "entry_sprints.user_id"):
                continue  # still in the room, which shows them and keeps them a newcomer
            left = await session.scalar(
                select(func.count()).select_from(holds.model).where(holds.column == who)
            )
            assert not left, holds.name
    bot.clock.advance(minutes=1)
