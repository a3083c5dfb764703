"""Reflection groups: a fresh random draw each time, sizes as even as possible, each group
mixing newer and older members; fewer members than the size make one group, said plainly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from handlers.rituals.groups import draw
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness

OLD = {ALICE, BOB, CAROL}
NEWEST = {f"@{n}:test.org" for n in ("erin", "fred", "gil", "hal")}


def groups_in(body: str) -> list[set[str]]:
    return [
        set(line.split(": ", 1)[1].split(", "))
        for line in body.split("\n")
        if line.startswith("- Group")
    ]


@pytest.mark.parametrize("n", range(1, 23))
@pytest.mark.parametrize("size", [2.0, 3.0, 3.5, 4.0, 6.0])
def test_everyone_is_drawn_once_in_groups_as_even_as_possible(n: int, size: float) -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    members = [(f"@m{i}:x", t + timedelta(days=i % 5)) for i in range(n)]
    drawn = draw(members, size, random.Random(n))
    assert sorted(u for g in drawn for u in g) == sorted(u for u, _ in members)
    sizes = [len(g) for g in drawn]
    assert max(sizes) - min(sizes) <= 1
    assert len(drawn) == max(1, int(n / size + 0.5))


async def test_groups_mix_newer_and_older_members_and_differ_each_time(bot: Harness) -> None:
    bot.clock.advance(days=20)
    await bot.join("@dan:test.org", "Dan")
    bot.clock.advance(days=20)
    for user in sorted(NEWEST):
        await bot.join(user, user[1:].split(":")[0].title())
    seen = set()
    for _ in range(12):
        [reply] = await bot.send("!groups 4", BOB)
        assert reply.body.startswith(
            "**Reflection groups**: 8 members in 2 groups of 4, drawn at random, each mixing "
            "newer and older members (by when they joined)."
        )
        assert reply.content["msgtype"] == "m.text"  # it is meant to reach them
        assert set(reply.content["m.mentions"]["user_ids"]) == OLD | NEWEST | {"@dan:test.org"}
        names = {"Alice": ALICE, "Bob": BOB, "Carol": CAROL, "Dan": "@dan:test.org"}
        names |= {u[1:].split(":")[0].title(): u for u in NEWEST}
        drawn = [{names[label] for label in group} for group in groups_in(reply.body)]
        assert len(drawn) == 2
        for group in drawn:
            # One of each band of seniority: an old hand, the next, and two of the newest.
            assert len(group & OLD) >= 1 and len(group & NEWEST) == 2
        assert "mirrors, not scores" in reply.body
        seen.add(frozenset(frozenset(g) for g in drawn))
    assert len(seen) > 1  # a fresh draw each time


async def test_the_default_is_three_to_four_and_bots_are_left_out(bot: Harness) -> None:
    bot.members[ROOM]["@helper:test.org"] = "Helper"
    for user in sorted(NEWEST):
        bot.members[ROOM][user] = user[1:].split(":")[0].title()
    await bot.process([])
    await bot.ask("!bot @helper:test.org", ALICE)
    [reply] = await bot.send("!groups")
    assert "7 members in 2 groups of 4 and 3" in reply.body
    assert "Helper" not in reply.body
    assert sorted(len(g) for g in groups_in(reply.body)) == [3, 4]


async def test_fewer_members_than_the_size_make_one_group_said_plainly(bot: Harness) -> None:
    [reply] = await bot.send("!groups 5")
    assert reply.body == (
        "**Reflection groups**: there are only 3 members, fewer than 5, so this is one group "
        "of everyone: Alice, Bob, Carol.\nA random draw, not a judgement: the groups say "
        "nothing about anyone, and these counts are mirrors, not scores."
    )
    assert set(reply.content["m.mentions"]["user_ids"]) == OLD
    [reply] = await bot.send("!groups")
    assert reply.body.startswith("**Reflection groups**: 3 members in one group of 3")


async def test_group_sizes_are_bounded(bot: Harness) -> None:
    assert await bot.ask("!groups 1") == "size must be at least 2. Usage: `!groups [size]`"
    assert await bot.ask("!groups 51") == "A group has at most 50 people."
    assert (await bot.ask("!groups four")).startswith("`four` is not a number.")
