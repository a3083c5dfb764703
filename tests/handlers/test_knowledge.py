"""The knowledge map: declarations, exercised areas, learners, single points of knowledge."""

from __future__ import annotations

import pytest

from tests.harness import ALICE, BOB, CAROL, ROOM, Harness


async def test_knows_several_areas_normalised(bot: Harness) -> None:
    assert await bot.ask("!knows Database,  press   CONTACTS, database") == (
        "Noted: Alice knows **database**, **press contacts**. "
        "`!whohas <area>` shows everyone who does."
    )


async def test_whohas_nobody(bot: Harness) -> None:
    reply = await bot.ask("!whohas database")
    assert "- Declared: nobody" in reply
    assert "Nobody has declared **database**. Anyone who knows it: `!knows database`." in reply


async def test_single_holder_warns_and_asks_for_a_learner(bot: Harness) -> None:
    await bot.ask("!knows database")
    [reply] = await bot.send("!whohas Database", BOB)
    assert "- Declared: Alice" in reply.body
    assert "Single point of knowledge**: only Alice has declared **database**" in reply.body
    assert "`!learning database`, and pair up with Alice" in reply.body
    assert reply.content["m.mentions"] == {"user_ids": [ALICE]}


async def test_single_holder_with_learner_suggests_a_pair(bot: Harness) -> None:
    await bot.ask("!knows database")
    assert "Who knows it: Alice" in await bot.ask("!learning database", BOB)
    [reply] = await bot.send("!whohas database", CAROL)
    assert "- Learning: Bob" in reply.body
    assert "Cross-training suggestion: Alice with Bob." in reply.body
    assert reply.content["m.mentions"] == {"user_ids": [ALICE, BOB]}


async def test_two_holders_no_warning_and_exercised_counts(bot: Harness) -> None:
    await bot.ask("!knows database")
    await bot.ask("!knows database", BOB)
    await bot.ask("!task done database backup", CAROL)
    await bot.ask("!task done migrate database", CAROL)
    await bot.ask("!task done database backup", BOB)
    reply = await bot.ask("!whohas database")
    assert "- Declared: Alice, Bob" in reply
    assert "- Done tasks in it: Bob, Carol\n" in reply
    assert "Single point" not in reply


async def test_exercised_matches_literally_not_as_a_pattern(bot: Harness) -> None:
    await bot.ask("!task done 100% effort")
    await bot.ask("!task done a_b")
    assert "Done tasks in it: none logged" in await bot.ask("!whohas 100%x")
    assert "Done tasks in it: none logged" in await bot.ask("!whohas a%b")
    assert "Done tasks in it: Alice\n" in await bot.ask("!whohas a_b")


async def test_unknows_and_learning_rules(bot: Harness) -> None:
    assert "had not declared **database**" in await bot.ask("!unknows database")
    await bot.ask("!knows database")
    assert "`!unknows database` first" in await bot.ask("!learning database")
    assert "no longer listed for **database**" in await bot.ask("!unknows database")
    assert "Nobody has declared knowing it yet" in await bot.ask("!learning database")
    # Learning, then knowing, upgrades the declaration.
    await bot.ask("!knows database")
    assert "- Learning: nobody" in await bot.ask("!whohas database")


async def test_spof_lists_thin_areas(bot: Harness) -> None:
    assert "knowledge map is empty" in await bot.ask("!spof")
    await bot.ask("!knows database, bookkeeping")
    await bot.ask("!knows bookkeeping", BOB)
    await bot.ask("!learning printing", CAROL)
    await bot.ask("!learning database", BOB)
    reply = await bot.ask("!spof")
    assert reply.startswith("**Areas with fewer than two holders** (2 of 3)")
    assert "- **database**: Alice; learning: Bob" in reply
    assert "- **printing**: nobody; learning: Carol" in reply
    assert "bookkeeping" not in reply
    await bot.ask("!knows database, printing", CAROL)
    await bot.ask("!knows printing", BOB)
    assert "at least two holders (3 areas)" in await bot.ask("!spof")


async def test_members_who_left_no_longer_hold_knowledge(bot: Harness) -> None:
    await bot.ask("!knows database")
    await bot.ask("!knows database", BOB)
    bot.members[ROOM].pop(BOB)
    await bot.process([])
    assert "Single point of knowledge" in await bot.ask("!whohas database")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!knows", "Missing area. Usage: `!knows <area>[, <area>...]`"),
        ("!knows , ,", "Missing area."),
        ("!knows " + ", ".join(f"a{i}" for i in range(11)), "At most 10 areas"),
        ("!knows " + "d" * 81, "too long"),
        ("!whohas", "Missing area. Usage: `!whohas <area>`"),
        ("!spof now", "Unexpected extra text"),
        ("!who has database", "Did you mean `!whohas`?"),
    ],
)
async def test_bad_input(bot: Harness, line: str, expected: str) -> None:
    assert expected in await bot.ask(line)


async def test_area_text_is_escaped(bot: Harness) -> None:
    [reply] = await bot.send("!knows <script>@room</script>")
    assert "<script>" not in reply.html
    assert "@room" not in reply.body
