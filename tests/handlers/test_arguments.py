"""Declared arguments, converted with the context: members, roles, amounts, durations, dates.
And a fuzz of every declared command: any line gets exactly one answer, never an apology."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from bot.database import Database
from handlers.arguments import Amount, KeywordDuration, Member, Text
from handlers.context import MARKER, Context, Mention
from handlers.registry import Practice
from handlers.timeparse import Interval
from storage.models import Member as MemberRow
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

EVIL_BOB = "@aaa:evil.org"

# The README's "Adding a command" example: a declaration and a body with no parsing.
tips = Practice("Tips")


@tips.command("tip", Member("member"), Amount("amount"), summary="Thank a member with money.")
async def tip(ctx: Context, member: Mention, amount: Decimal) -> None:
    await ctx.reply("{who} tipped {member} {amount}.", who=ctx.author, member=member, amount=amount)


@tips.command(
    "trial", Text("change"), KeywordDuration("duration", optional=True), summary="A trial."
)
async def trial(ctx: Context, change: str, duration: Interval | None) -> None:
    await ctx.reply("{change} / {d}", change=change, d=duration.text if duration else "none")


@pytest.fixture
async def tipper(db: Database, clock: FakeClock) -> Harness:
    harness = Harness(db, make_config(), clock, extra_practices=[tips])
    harness.members[ROOM] = {ALICE: "Alice", BOB: "Bob Smith", CAROL: "Carol"}
    await harness.start()
    return harness


async def test_a_member_and_an_amount_need_no_parsing_in_the_body(tipper: Harness) -> None:
    assert await tipper.ask("!tip Bob Smith 12,5") == f"{ALICE} tipped Bob Smith 12.50."
    assert await tipper.ask(f"!tip {CAROL} 3") == f"{ALICE} tipped Carol 3.00."
    assert await tipper.ask("!tip @carol 0.99") == f"{ALICE} tipped Carol 0.99."
    assert await tipper.ask("!tip bob smith 1.1") == f"{ALICE} tipped Bob Smith 1.10."


@pytest.mark.parametrize("bad", ["1e3", "-5", "0", "0.00", "0.001", "12.345", "9" * 30, "1,000.00"])
async def test_amounts_are_exact_and_bounded(tipper: Harness, bad: str) -> None:
    reply = await tipper.ask(f"!tip Carol {bad}")
    assert f"`{bad[:40]}` is not an amount; write it like 12, 12.5, 12.50 or 12,50" in reply
    assert "Usage: `!tip <@member> <amount>`" in reply


async def test_a_name_nobody_has_names_the_nearest_member(tipper: Harness) -> None:
    reply = await tipper.ask("!tip Carl 5")
    assert reply.startswith(f"No current member matches `Carl`. Did you mean Carol ({CAROL})?")


async def test_a_lookalike_name_is_refused_unless_the_pill_settles_it(tipper: Harness) -> None:
    tipper.members[ROOM] = {ALICE: "Alice", BOB: "Bob", EVIL_BOB: "Bob", CAROL: "Carol"}
    await tipper.process([])
    reply = await tipper.ask("!tip Bob 5")
    assert f"`Bob` could be any of Bob ({EVIL_BOB}), Bob ({BOB}): write the user id" in reply
    # A client's mention pill says which Bob was meant.
    pill = tipper.message(
        "!tip Bob 5",
        ALICE,
        format="org.matrix.custom.html",
        formatted_body=f'!tip <a href="https://matrix.to/#/{BOB}">Bob</a> 5',
        **{"m.mentions": {"user_ids": [BOB]}},
    )
    before = len(tipper.sent)
    await tipper.process([pill])
    [reply_sent] = tipper.sent[before:]
    # Replies tell two members with one name apart by their user ids.
    assert reply_sent.body == f"{ALICE} tipped Bob ({BOB}) 5.00."
    assert await tipper.ask(f"!tip {EVIL_BOB} 1") == f"{ALICE} tipped Bob ({EVIL_BOB}) 1.00."


async def test_a_duration_after_a_keyword_is_read_from_the_right(tipper: Harness) -> None:
    assert await tipper.ask("!trial a speaking timekeeper for 2w") == "a speaking timekeeper / 2w"
    assert await tipper.ask("!trial a speaking timekeeper FOR  1M") == "a speaking timekeeper / 1m"
    assert (
        await tipper.ask("!trial random facilitation order") == "random facilitation order / none"
    )
    # Words that are not a duration after the keyword belong to the text.
    assert (
        await tipper.ask("!trial a timekeeper for meetings") == "a timekeeper for meetings / none"
    )
    assert await tipper.ask("!trial for 2w for 3d") == "for 2w / 3d"
    reply = await tipper.ask("!trial a timekeeper for 5x")
    assert reply.startswith("`5x` is not a duration; write it like 7d, 2w, 1m or 1y.")
    assert "Usage: `!trial <change> [for <duration>]`" in reply
    assert (await tipper.ask("!trial for 2w")).startswith("Missing change.")


async def test_roles_are_matched_longest_first_then_the_member(bot: Harness) -> None:
    await bot.ask("!role define press contact 2w talks to journalists")
    assert await bot.ask("!role claim Press  Contact") == (
        "Alice holds **press contact** until Mon 16 Mar 2026 10:00."
    )
    reply = await bot.ask("!role swap press contact Bob")
    assert reply.startswith("Bob: Alice asks to hand **press contact** over to you.")
    reply = await bot.ask("!role swap press contakt Bob")
    assert reply.startswith("There is no role `press`.")


async def test_since_and_member_in_either_order_of_presence(bot: Harness) -> None:
    await bot.ask("!task done flyers", BOB)
    assert "for Bob since 2026-02-28" in await bot.ask("!task log Bob 2026-02-28")
    assert "for Bob" in await bot.ask("!task log bob")
    assert "since 2026-02-23" in await bot.ask("!task log 7d")
    assert "`2026-13-45` is neither a date" in await bot.ask("!task log Bob 2026-13-45")


async def test_a_tag_that_is_no_kind_stays_in_the_name_and_says_so(bot: Harness) -> None:
    reply = await bot.ask("!task done update #frontpage")
    assert reply.startswith("Logged **update #frontpage** as visible labour by Alice.")
    assert "`#frontpage` is not a kind of labour (#visible, #invisible, #care)" in reply


async def test_mistyped_subcommand_suggests_the_nearest(bot: Harness) -> None:
    assert await bot.ask("!task dne flyers") == (
        "Unknown `!task` subcommand `dne`. Did you mean `!task done`?"
    )


LINES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60
) | st.sampled_from(["#care", "#invisble", "Bob", "@bob:test.org", "12,5", "2026-02-30", "7d"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
async def test_every_command_answers_any_arguments_once(bot: Harness, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(bot.registry.commands)))
    words = data.draw(st.lists(LINES, max_size=4))
    line = f"!{name} " + " ".join(words)
    bot.clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    # One bot serves every example: an earlier `!bot Bob` must not silence Bob in this one.
    async with bot.db.transaction() as session:
        await session.execute(
            update(MemberRow).where(MemberRow.user_id == BOB).values(marked=None, sent_notice=False)
        )
    # Answers in the room: what a command sends members by direct message is not a reply,
    # nor are the patterns a gallery walk posts one by one (marked, for their reactions).
    replies = [
        r
        for r in await bot.send(line, BOB)
        if r.content.get("msgtype") != "m.image" and r.room_id == ROOM and MARKER not in r.content
    ]
    assert len(replies) <= 2, [r.body for r in replies]
    assert replies, line
    assert all("Sorry, something went wrong" not in r.body for r in replies), line
