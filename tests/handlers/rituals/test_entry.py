"""Entry sprints: a newcomer is welcomed with the circle question, is a collaborator (not in
rotation) until the group makes them a full member, and the sprint's end is looked back on."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.database import Database
from storage import roles
from storage.models import EntrySprint
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

DANA = "@dana:test.org"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def holders(bot: Harness) -> set[str | None]:
    async with bot.db.transaction() as session:
        terms = [await roles.current_term(session, r.id) for r in await roles.all_roles(session, 1)]
    return {t.user_id for t in terms if t is not None}


async def rotate(bot: Harness, when: datetime) -> str:
    bot.clock.set(when)
    before = len(bot.sent)
    assert await bot.rituals.run_due("rotation", ROOM)
    [text] = [s.body for s in bot.sent[before:] if s.body.startswith("**Role rotation**")]
    return text


async def test_members_there_when_the_bot_arrives_are_no_newcomers(bot: Harness) -> None:
    [intro] = bot.sent
    assert intro.body.startswith("Hello! I'm **Flattening**")
    async with bot.db.transaction() as session:
        assert (await session.execute(select(EntrySprint))).first() is None


async def test_a_newcomer_is_welcomed_and_not_rotated_until_a_full_member(bot: Harness) -> None:
    [welcome] = await bot.join(DANA, "Dana")
    assert welcome.content["msgtype"] == "m.text"
    assert welcome.content["m.mentions"] == {"user_ids": [DANA]}
    assert welcome.body.startswith(
        "Welcome, Dana! The circle question, to answer here when you are ready: what is your "
        "**intention** in joining, and how much **capacity** do you have (time, energy)?"
    )
    assert "For the next 14 days you are in an **entry sprint**" in welcome.body
    assert "On Mon 16 Mar 2026 10:00 we look back together" in welcome.body
    # A display name change is a join event too, but no second arrival.
    bot.members[ROOM][DANA] = "Dana K."
    assert await bot.join(DANA, "Dana K.") == []
    # Three roles, four members: rotation still leaves the collaborator out.
    await rotate(bot, MONDAY + timedelta(weeks=1))
    assert DANA not in await holders(bot)
    assert "Dana" not in (await bot.ask("!roles", ALICE)).split("next:", 1)[1]

    reply = await bot.ask("!member Dana", DANA)
    assert reply.startswith("The group decides this with you: another member answers `!member")
    asked = await bot.ask("!member Dana", BOB)
    assert asked.startswith(
        "Request **#1** from Bob: make Dana K. a full member, ending their entry sprint. "
        "Becoming a full member is the group's decision, so a second member confirms it: "
        "`!second 1` before"
    )
    assert "another member has to second it" in await bot.ask("!second 1", BOB)
    assert "is about Dana K." in await bot.ask("!second 1", DANA)  # not their own vote
    sent = await bot.send("!second 1", CAROL)
    made = next(s for s in sent if "full member now" in s.body)
    assert (
        made.body == "Dana K. is a full member now: in role rotation from the next one on. Welcome!"
    )
    assert made.content["msgtype"] == "m.text" and made.content["m.mentions"] == {
        "user_ids": [DANA]
    }
    assert "not in an entry sprint: already a full member" in await bot.ask("!member Dana", BOB)
    # Dana has never held a role: a newcomer enters the order in the middle, and is in it.
    for week in (2, 3, 4):
        await rotate(bot, MONDAY + timedelta(weeks=week))
        if DANA in await holders(bot):
            break
    assert DANA in await holders(bot)


async def test_the_end_of_a_sprint_is_looked_back_on_once(bot: Harness) -> None:
    await bot.join(DANA, "Dana")
    bot.clock.advance(days=2)
    await bot.ask("!task done flyers for the fair", DANA)
    await bot.ask("!learning database", DANA)
    bot.clock.set(MONDAY + timedelta(days=13, hours=23))
    await bot.rituals.run_due("entry-tick", ROOM)
    assert not [s for s in bot.sent if "**Entry sprint**" in s.body]
    bot.clock.set(MONDAY + timedelta(days=14, minutes=30))
    await bot.rituals.run_due("entry-tick", ROOM)
    [review] = [s for s in bot.sent if "**Entry sprint**" in s.body]
    assert review.body.startswith("**Entry sprint** of Dana (2026-03-02 to 2026-03-16) has ended.")
    assert "A mirror, not a score: it shows what was logged here" in review.body
    assert "- tasks logged: flyers for the fair (visible)" in review.body
    assert "- areas they know or are learning: database (learning)" in review.body
    assert "reflect together on fit and commitment" in review.body
    # The newcomer is asked, privately, how the fit feels; sharing is their choice.
    [asked] = [d for d in bot.dms(DANA) if "How does the fit feel to you" in d.body]
    assert "starting with `share:`" in asked.body
    [kept] = await bot.answer("it was fine, I think", DANA)
    assert "share:" in kept.body  # not taken: only a `share:` answer is posted
    before = len(bot.sent)
    await bot.answer("share: I felt welcome @room, and the meetings run long", DANA)
    [posted] = [s for s in bot.sent[before:] if s.room_id == ROOM]
    assert posted.body.startswith("Dana on how the fit feels after their entry sprint: “I felt")
    assert not re.search(r"@room\b", posted.body)  # the member's words cannot ping the room
    assert posted.content["m.mentions"] == {}
    assert f"`!member {DANA}` makes them a full member" in review.body
    assert review.content["m.mentions"] == {"user_ids": [DANA]}
    bot.clock.advance(hours=1)
    await bot.rituals.run_due("entry-tick", ROOM)
    assert len([s for s in bot.sent if "**Entry sprint**" in s.body]) == 1

    extended = await bot.ask("!extend Dana 1w", CAROL)
    assert extended == (
        "Carol extended the entry sprint of Dana by 1w: until Mon 23 Mar 2026 11:30, still a "
        "collaborator and not yet in role rotation."
    )
    assert "at most 1y at once" in await bot.ask("!extend Dana 2y", CAROL)
    assert "The group decides" in await bot.ask("!extend Dana 1w", DANA)
    assert "Usage: `!extend <@member> <duration e.g. 1w|2w>`" in await bot.ask("!extend Dana", BOB)
    bot.clock.set(MONDAY + timedelta(days=21, hours=3))
    await bot.rituals.run_due("entry-tick", ROOM)
    reviews = [s for s in bot.sent if "**Entry sprint**" in s.body]
    assert len(reviews) == 2 and "(2026-03-02 to 2026-03-23)" in reviews[1].body


async def test_no_sprint_when_they_are_turned_off_and_no_welcome_for_bots(
    db: Database, clock: FakeClock
) -> None:
    config = make_config(
        "[rituals]\nentry_sprint_days = 0\n"
        f'[collectives."{ROOM}".bot]\nbots = ["@helper:test.org"]\n'
    )
    bot = Harness(db, config, clock)
    await bot.start()
    [welcome] = await bot.join(DANA, "Dana")
    assert "entry sprint" not in welcome.body and "circle question" in welcome.body
    assert await bot.join("@helper:test.org", "Helper bot") == []
    assert "not in an entry sprint" in await bot.ask("!member Dana", ALICE)


async def test_the_welcome_suggests_a_starter_task_and_learning_finds_a_buddy(
    bot: Harness,
) -> None:
    await bot.ask("!task add book the hall", ALICE)
    await bot.ask("!knows database", CAROL)
    [welcome] = await bot.join(DANA, "Dana")
    assert "A task to start with: **book the hall** (`!task claim book the hall`)." in (
        welcome.body
    )
    assert "I suggest a buddy who knows it" in welcome.body
    [reply] = await bot.send("!learning database", DANA)
    assert reply.body.endswith(
        f"A buddy for your entry sprint: Carol, who knows it. Learn it together: "
        f"`!pair database {CAROL}`."
    )
    assert reply.content["msgtype"] == "m.text"
    assert reply.content["m.mentions"] == {"user_ids": [CAROL]}
    # A full member learning something gets no buddy suggestion.
    assert "buddy" not in await bot.ask("!learning database", BOB)


async def test_a_newcomers_block_counts_as_an_objection(bot: Harness) -> None:
    await bot.join(DANA, "Dana")
    await bot.ask("!propose we meet on thursdays", ALICE)
    reply = await bot.ask("!block 1 I work thursday evenings", DANA)
    assert reply.startswith(
        "Dana objects to proposal #1. Counts so far: 0 agree, 0 abstain, 1 object, 0 block;"
    )
    assert "your block counts as an objection" in reply
    shown = await bot.ask("!proposal 1", BOB)
    assert "Counts so far: 0 agree, 0 abstain, 1 object, 0 block." in shown
    async with bot.db.transaction() as session:
        from storage.models import DecisionAnswer

        [answer] = (await session.execute(select(DecisionAnswer))).scalars().all()
    assert (answer.user_id, answer.answer) == (DANA, "object")
    # A full member's block is a block.
    assert "A block stops the proposal" in await bot.ask("!block 1 no", BOB)
