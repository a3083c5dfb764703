"""Cross-training pairs: a learner pairs with a holder, both are reminded once, a completed
pair lists the learner as a holder in training, and `!spof` and the power map count them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.models import AuditEntry, Knowledge, Pair
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness


async def test_a_pair_starts_and_reaches_the_holder(bot: Harness) -> None:
    await bot.ask("!knows database", ALICE)
    [reply] = await bot.send("!pair database @alice", BOB)
    assert reply.body == (
        "Bob is learning **database** from Alice: a cross-training pair. The bot reminds you "
        "both in 14 days; `!pair done database` when Bob can do it with Alice nearby."
    )
    assert reply.content["msgtype"] == "m.text"  # it is meant to reach the holder
    assert reply.content["m.mentions"] == {"user_ids": [ALICE]}
    async with bot.db.transaction() as session:
        [pair] = (await session.execute(select(Pair))).scalars().all()
        level = (
            await session.execute(select(Knowledge.level).where(Knowledge.user_id == BOB))
        ).scalar_one()
    assert (pair.area, pair.learner_id, pair.holder_id, pair.status) == (
        "database",
        BOB,
        ALICE,
        "open",
    )
    assert level == "learning"  # the learner is on the knowledge map as learning it
    whohas = await bot.ask("!whohas database", CAROL)
    assert "- Cross-training in progress: Bob learning from Alice" in whohas
    spof = await bot.ask("!spof", CAROL)
    assert "- **database**: Alice; learning: Bob; pairs in progress: Bob with Alice" in spof
    assert "`!pair <area> <holder>`" in spof
    listed = await bot.ask("!pairs", CAROL)
    assert listed.startswith("**Cross-training pairs in progress**\n- **database**: Bob")


async def test_a_holder_who_has_not_declared_is_told_how(bot: Harness) -> None:
    reply = await bot.ask("!pair press contacts Carol", BOB)
    assert reply.endswith("(Carol has not declared knowing it yet: `!knows press contacts`.)")


async def test_what_makes_no_sense_is_refused(bot: Harness) -> None:
    assert (await bot.ask("!pair database @bob", BOB)).startswith(
        "Name the member you learn from, not yourself."
    )
    await bot.ask("!knows database", BOB)
    assert (await bot.ask("!pair database @alice", BOB)).startswith(
        "You already declared knowing **database**: teach it instead."
    )
    await bot.ask("!pair bookkeeping @alice", CAROL)
    assert (await bot.ask("!pair bookkeeping @bob", CAROL)).startswith(
        "You are already learning **bookkeeping** in a pair, since"
    )
    assert (await bot.ask("!pair done cooking", CAROL)).startswith(
        "You are in no cross-training pair for **cooking**."
    )
    assert (await bot.ask("!pair database")).startswith("Missing holder.")
    assert "No current member matches `@zed`." in await bot.ask("!pair database @zed")


async def test_both_are_reminded_once_after_two_weeks(bot: Harness) -> None:
    await bot.ask("!pair database @alice", BOB)
    bot.clock.advance(days=13)
    assert not [m for m in await _run(bot) if "cross-training pair" in m.body]
    bot.clock.advance(days=1, hours=1)
    [nudge] = [m for m in await _run(bot) if "cross-training pair" in m.body]
    assert nudge.body.startswith(
        "Bob and Alice: your cross-training pair in **database** started on "
    )
    assert nudge.content["msgtype"] == "m.text"
    assert sorted(nudge.content["m.mentions"]["user_ids"]) == sorted([ALICE, BOB])
    bot.clock.advance(hours=1)
    assert not [m for m in await _run(bot) if "cross-training pair" in m.body]  # once


async def _run(bot: Harness) -> list[Any]:
    before = len(bot.sent)
    await bot.rituals.run_due("pair-reminder", ROOM)
    return bot.sent[before:]


async def test_done_lists_a_holder_in_training_and_the_power_map_counts_it(
    bot: Harness,
) -> None:
    await bot.ask("!knows database", ALICE)
    await bot.ask("!pair database @alice", BOB)
    await bot.ask("!pair database @alice", CAROL)
    # The holder teaches two: the learner closes their own pair.
    assert "the learner closes their pair" in await bot.ask("!pair done database", ALICE)
    done = await bot.ask("!pair done database", BOB)
    assert done == (
        "Cross-training done: Bob learned **database** from Alice, and is listed as a holder "
        "in training (`!whohas database`). When ready to do it alone: `!knows database`."
    )
    whohas = await bot.ask("!whohas database", CAROL)
    assert "- Holders in training: Bob (learned from Alice)" in whohas
    assert "- Cross-training in progress: Carol learning from Alice" in whohas
    assert "ended the cross-training pair of Carol and Alice" in await bot.ask(
        "!pair drop database", ALICE
    )
    text = (await bot.send("!powermap", CAROL))[0].body
    assert "Cross-training: 1 pair completed this month; 0 in progress." in text
    await bot.ask("!knows database", BOB)  # declared: no longer "in training"
    assert "Holders in training" not in await bot.ask("!whohas database", CAROL)
    async with bot.db.transaction() as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert {"pair.started", "pair.done", "pair.dropped"} <= set(actions)
    log = await bot.ask("!audit 10")
    assert "Bob closed the cross-training pair of Bob and Alice in **database**" in log


async def test_mydata_and_forgetme(bot: Harness) -> None:
    await bot.ask("!pair database @alice", BOB)
    await bot.send("!mydata", ALICE)
    [doc] = bot.dms(ALICE)[-1:]
    assert "Cross-training in database: you teach it to another member, since" in doc.body
    await bot.ask("!forgetme", BOB)
    assert (await bot.ask("!forgetme confirm", BOB)).startswith("Done:")
    async with bot.db.transaction() as session:
        [pair] = (await session.execute(select(Pair))).scalars().all()
    assert (pair.learner_id, pair.holder_id) == (None, ALICE)


TRICKY = st.lists(
    st.sampled_from(
        [
            "database",
            " ",
            "@alice",
            "Bob",
            "@room",
            "\u200b",
            "\u202e",
            "\x00",
            "done",
            "drop",
            "*",
            "`",
            "é",
            "k" * 90,
        ]
    ),
    min_size=0,
    max_size=8,
).map("".join)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=TRICKY, word=st.sampled_from(["", "done ", "drop "]))
async def test_any_pair_line_gets_one_clear_answer(bot: Harness, rest: str, word: str) -> None:
    reply = await bot.ask(f"!pair {word}{rest}", CAROL)
    assert "Sorry, something went wrong" not in reply
    assert not re.search(r"@room\b", reply, re.IGNORECASE)
    async with bot.db.transaction() as session:
        for pair in (await session.execute(select(Pair))).scalars():
            assert 0 < len(pair.area) <= 100 and "\x00" not in pair.area
            assert pair.learner_id == CAROL and pair.holder_id in (ALICE, BOB)


@pytest.mark.parametrize("line", ["!pairs", "!pair drop database"])
async def test_nothing_to_show_says_how(bot: Harness, line: str) -> None:
    reply = await bot.ask(line)
    assert "`!pair" in reply or "`!pairs`" in reply
