"""Decompression: campaigns, the check-in after one (asked by direct message, counts only in
the room, and only when enough answered), and the week for rest in which rotation leaves out
anyone who answered red, silently: nothing in the room ties that to their answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import roles
from storage.models import CheckinAnswer
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness, Sent

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin: the default rotation


def in_room(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.room_id == ROOM]


async def tick(bot: Harness) -> list[Sent]:
    before = len(bot.sent)
    await bot.rituals.run_due("checkin-tick", ROOM)
    return in_room(bot.sent[before:])


async def holders(bot: Harness) -> set[str | None]:
    async with bot.db.transaction() as session:
        terms = [await roles.current_term(session, r.id) for r in await roles.all_roles(session, 1)]
    return {t.user_id for t in terms if t is not None}


async def end_campaign_and_check_in(bot: Harness) -> None:
    reply = await bot.ask("!campaign start rent strike", ALICE)
    assert reply.startswith("Alice started the campaign **rent strike**.")
    assert "still on" in await bot.ask("!campaign start another", BOB)
    bot.clock.set(MONDAY + timedelta(days=1))
    ended, poll, decompression = await bot.send("!campaign end", BOB)
    reply = ended.body
    assert reply.startswith("Bob ended the campaign **rent strike**. The week until Tue 10 Mar")
    assert "The check-in comes on Fri 06 Mar 2026 10:00." in reply
    # Decompression that gathers people: a date poll, a care task, the rest week for all.
    assert poll.event_type == "org.matrix.msc3381.poll.start"
    start = poll.content["org.matrix.msc3381.poll.start"]
    assert start["question"]["org.matrix.msc1767.text"] == (
        "Which day for a decompression gathering after rent strike (a shared meal, a circle)?"
    )
    assert [a["org.matrix.msc1767.text"] for a in start["answers"]] == [
        "Wednesday 11 March",
        "Thursday 12 March",
        "Friday 13 March",
        "Saturday 14 March",
        "another time",
    ]
    assert decompression.content["msgtype"] == "m.text"
    assert "The rest week is for everyone who wants it" in decompression.body
    assert "`!away 1w` takes it" in decompression.body
    listed = await bot.ask("!task list", CAROL)
    assert "organise the decompression gathering" in listed and "care" in listed
    assert "No campaign is on." in await bot.ask("!campaign end", BOB)
    bot.clock.set(MONDAY + timedelta(days=3, hours=23))
    assert await tick(bot) == []  # not yet
    bot.clock.set(MONDAY + timedelta(days=4, minutes=1))
    [post] = await tick(bot)
    assert post.body.startswith("**Check-in** after the campaign **rent strike**: how much")
    assert "I have asked each of the 3 members in a direct message" in post.body


async def test_the_check_in_asks_everyone_privately_and_shows_counts_only(bot: Harness) -> None:
    await end_campaign_and_check_in(bot)
    for who in (ALICE, BOB, CAROL):
        [question] = bot.dms(who)
        assert question.content["msgtype"] == "m.text"
        assert "how much capacity do you have right now?" in question.body
        assert "- red: I need rest" in question.body
    [noted] = await bot.answer("RED", CAROL)
    assert noted.body.startswith("Noted **red** for the check-in of Test collective.")
    await bot.answer("green", BOB)
    [wrong] = await bot.answer("I'm tired", ALICE)
    assert wrong.body.startswith("That does not look like an answer to what is open for you")
    assert "- the check-in of Test collective: one word: green, yellow or red" in wrong.body
    await bot.answer("🟡", ALICE)
    await bot.answer("yellow", ALICE)  # answering again changes it
    assert "A check-in is open until" in await bot.ask("!checkin", BOB)
    bot.clock.set(MONDAY + timedelta(days=6, minutes=5))
    [counts] = await tick(bot)
    assert counts.body.startswith(
        "**Check-in** after the campaign **rent strike** closed: 1 green, 1 yellow, 1 red; "
        "0 did not answer. Counts only: nobody's answer is shown."
    )
    assert "Until Tue 10 Mar 2026 10:00 is a week for rest." in counts.body
    assert "A mirror of how the group is, not a score for anyone." in counts.body
    assert "red." not in counts.body.split("Counts only")[1]  # the rest week says no why
    assert counts.content["m.mentions"] == {}
    for name in ("Alice", "Bob", "Carol"):
        assert name not in counts.body
    [after] = await bot.answer("green", CAROL)  # closed: nothing waits any more
    assert after.body.startswith("Nothing is waiting for an answer from you right now")
    # Two weeks after it closed, only the counts are left.
    bot.clock.set(MONDAY + timedelta(days=21))
    await tick(bot)
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(CheckinAnswer)) == 0


async def test_a_red_answer_is_skipped_by_the_rotation_in_the_rest_week(bot: Harness) -> None:
    await end_campaign_and_check_in(bot)
    await bot.answer("red", CAROL)
    bot.clock.set(MONDAY + timedelta(weeks=1))
    before = len(bot.sent)
    assert await bot.rituals.run_due("rotation", ROOM)
    [announcement] = [s for s in bot.sent[before:] if s.body.startswith("**Role rotation**")]
    assert (
        "This is the week after the campaign **rent strike** ended, until Tue 10 Mar 2026 "
        "10:00: a week for rest." in announcement.body
    )
    # Nothing ties Carol's absence from the rotation to her answer: no why, no name.
    assert not re.search(r"\bred\b", announcement.body) and "check-in" not in announcement.body
    assert "Carol" not in announcement.body and CAROL not in announcement.body
    assert CAROL not in await holders(bot)
    assert await holders(bot) == {ALICE, BOB}
    # The week after is no rest week: Carol is in the rotation again.
    bot.clock.set(MONDAY + timedelta(weeks=2))
    before = len(bot.sent)
    assert await bot.rituals.run_due("rotation", ROOM)
    [announcement] = [s for s in bot.sent[before:] if s.body.startswith("**Role rotation**")]
    assert "week for rest" not in announcement.body
    assert CAROL in await holders(bot)


async def test_checkin_now_without_a_campaign(bot: Harness) -> None:
    sent = await bot.send("!checkin", BOB)
    [post] = in_room(sent)
    assert post.body.startswith(
        "Bob started a check-in. **Check-in**: how much capacity does everyone have now?"
    )
    assert len([s for s in sent if s.room_id != ROOM]) == 3
    await bot.answer("green", ALICE)
    await bot.answer("red", BOB)
    await bot.answer("green", CAROL)
    bot.clock.advance(days=2, hours=1)
    [counts] = await tick(bot)
    assert counts.body.startswith("**Check-in** closed: 2 green, 0 yellow, 1 red; 0 did not")
    assert "week for rest" not in counts.body


async def test_counts_are_shown_only_when_enough_members_answered(bot: Harness) -> None:
    """With one or two answers, counts would tell whose answer was which: the room hears
    only that too few answered (`reflection_min_answers`, at least 3)."""
    await bot.send("!checkin", BOB)
    await bot.answer("red", ALICE)
    await bot.answer("green", BOB)
    bot.clock.advance(days=2, hours=1)
    [closed] = await tick(bot)
    assert closed.body == (
        "**Check-in** closed: fewer than 3 members answered, too few to show the counts "
        "without revealing someone's answer."
    )
    assert not re.search(r"\b(red|yellow|green|[0-9])\b", closed.body.replace("3 members", ""))
    async with bot.db.transaction() as session:  # the counts are kept, as before
        answered = await session.scalar(
            select(func.count()).select_from(CheckinAnswer).where(CheckinAnswer.answer.is_not(None))
        )
    assert answered == 2


async def test_no_days_after_the_end_starts_the_check_in_at_once(db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import make_config

    bot = Harness(db, make_config("[rituals]\ncheckin_after_days = 0\n"), clock)
    await bot.start()
    await bot.ask("!campaign start march", ALICE)
    sent = await bot.send("!campaign end", ALICE)
    bodies = [s.body for s in in_room(sent)]
    assert "The check-in starts now." in bodies[0]
    assert bodies[1].startswith("Which day for a decompression gathering after march")
    assert bodies[2].startswith("**Decompression** after **march**")
    assert bodies[3].startswith("**Check-in** after the campaign **march**")
    assert await tick(bot) == []  # the tick does not start a second one
