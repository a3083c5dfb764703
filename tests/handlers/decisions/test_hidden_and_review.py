"""Hidden answers (given in a direct chat, counts only in the room until the close) and
review dates (an adopted decision comes back as a proposal to keep it, once), through the
real dispatcher and scheduler on both databases; and `!help decide` defining the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot.database import Database
from storage import decisions
from storage.models import Collective, Decision
from tests.handlers.decisions.test_decisions import CLOSES, close_at, started
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

HIDDEN = '[decisions]\nanswers = "hidden"\n'
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def stored(bot: Harness, number: int) -> Decision:
    async with bot.db.transaction() as session:
        room = select(Collective.id).where(Collective.room_id == ROOM)
        found = await decisions.by_number(session, (await session.scalar(room)) or 0, number)
        assert found is not None
        return found


async def test_hidden_answers_are_given_in_private_and_shown_once_closed(
    db: Database, clock: FakeClock
) -> None:
    bot = await started(db, clock, HIDDEN)
    made = await bot.ask("!propose we buy a printer")
    assert made.endswith(
        "Answers are given in private, in your direct chat with me; the room sees only the "
        "counts until it closes, then who said what."
    )
    replies = await bot.send("!object 1 it is far too expensive", BOB)
    [room] = [r for r in replies if r.room_id == ROOM]
    assert room.body == (
        "Proposal #1 takes its answers in private: answer in your direct chat with me (I sent "
        "you a message there). Nothing was recorded here."
    )
    [dm] = bot.dms(BOB)
    assert dm.body.startswith("Proposal #1 (Test collective) takes its answers here, in private")
    assert "0 agree, 0 abstain, 0 object, 0 block" in await bot.ask("!proposal 1")
    [ack] = await bot.answer("!object 1 it is far too expensive", BOB)
    assert ack.room_id == bot.dm_room(BOB)
    assert ack.body.startswith("Bob objects to proposal #1. Counts so far: 0 agree, 0 abstain, 1")
    await bot.send("!agree 1", CAROL)
    [ack] = await bot.answer("!agree 1", CAROL)
    assert ack.body.startswith("Carol agrees to proposal #1.")
    [nothing] = await bot.answer("!agree 7", CAROL)
    assert nothing.body.startswith("None of your groups has an open proposal #7")
    shown = await bot.ask("!proposal 1")
    assert "Counts so far: 1 agree, 0 abstain, 1 object, 0 block." in shown
    assert "Answers to it are given in private, in a direct chat with me." in shown
    for secret in ("Bob", "Carol", "expensive"):
        assert secret not in shown
    [result] = await close_at(bot, CLOSES)
    assert "- Carol agrees\n- Bob objects: it is far too expensive" in result.body
    assert (await stored(bot, 1)).hidden


async def test_open_proposals_are_not_answered_in_a_direct_chat(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.send("!mydata", BOB)  # the bot opens a direct chat with Bob
    [reply] = await bot.answer("!agree 1", BOB)
    assert reply.body == (
        "None of your groups has an open proposal #1 answered in private. Other proposals "
        "are answered in the group's room."
    )
    assert (await stored(bot, 1)).status == "open"
    assert "0 agree" in await bot.ask("!proposal 1")


async def test_an_adopted_decision_comes_back_for_review_once(
    db: Database, clock: FakeClock
) -> None:
    bot = await started(db, clock)
    reply = await bot.ask("!propose we rotate the kitchen shifts review 3m")
    assert reply.endswith("Once adopted, it comes back 3m later as a proposal to keep it.")
    assert (await stored(bot, 1)).review_after == "3m"
    assert "Once adopted, it comes back for review 3m later." in await bot.ask("!proposal 1")
    for member in (ALICE, BOB, CAROL):
        await bot.ask("!agree 1", member)
    await bot.ask("!decide 1")
    due = NOW + relativedelta(months=3)
    bot.clock.set(due - timedelta(hours=1))
    await bot.rituals.run_due("decision-review", ROOM)
    assert not [s for s in bot.sent if s.body.startswith("**Decision #1**")]
    bot.clock.set(due)
    await bot.rituals.run_due("decision-review", ROOM)
    [review] = [s for s in bot.sent if s.body.startswith("**Decision #1**")]
    assert review.body.startswith(
        "**Decision #1** was adopted 2026-03-02 with a review after 3m: we rotate the kitchen "
        "shifts\nProposal **#2**: keep it? Open until Tue 09 Jun 2026 11:00, decided by consent"
    )
    kept = await stored(bot, 2)
    assert (kept.review_of, kept.text) == (1, "Keep decision #1: we rotate the kitchen shifts")
    assert (await stored(bot, 1)).reviewed_as == 2
    assert "Its review: proposal #2." in await bot.ask("!proposal 1")
    assert "It proposes to keep decision #1." in await bot.ask("!proposal 2")
    again = Harness(db, make_config(), bot.clock)
    await again.process([])
    bot.clock.advance(hours=1)
    await again.rituals.run_due("decision-review", ROOM)
    await bot.rituals.run_due("decision-review", ROOM)
    everything = [*bot.sent, *again.sent]
    assert len([s for s in everything if s.body.startswith("**Decision #1**")]) == 1
    assert "opened proposal #2 to keep decision #1" in await bot.ask("!audit 1")
    assert await bot.ask("!propose x review 5x") == (
        "`5x` is not a duration; write it like 7d, 2w, 1m or 1y. "
        "Usage: `!propose <text> [review <duration>]`"
    )


async def test_help_decide_defines_each_rule_in_one_sentence(bot: Harness) -> None:
    shown = await bot.ask("!help decide")
    for sentence in (
        "- consent: adopted when enough members answer to reach the quorum and nobody blocks",
        "- majority: adopted when the quorum is reached and more than half of those who "
        "answered agree.",
        "- unanimity: adopted only when every member who is not away agrees or stands aside; "
        "silence is not consent.",
        "otherwise it waits for a second member (`!second`).",
    ):
        assert sentence in shown
