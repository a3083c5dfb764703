"""The progressive stack, as properties and through the commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from handlers.meetings.stack import Waiting, stack_order
from tests.harness import ALICE, BOB, CAROL, Harness

T = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
PEOPLE = ["a", "b", "c", "d", "e"]


@given(st.lists(st.one_of(st.sampled_from(PEOPLE), st.just("NEXT")), max_size=60))
def test_stack_properties(script: list[str]) -> None:
    waiting: list[Waiting] = []
    turns: dict[str, int] = {}
    last: str | None = None
    for step, action in enumerate(script):
        if action != "NEXT":
            if all(w.user_id != action for w in waiting):
                waiting.append(Waiting(action, T + timedelta(seconds=step), step))
            continue
        order = stack_order(waiting, turns, last)
        assert sorted(order) == sorted(w.user_id for w in waiting)
        if not order:
            continue
        chosen = order[0]
        others = [w.user_id for w in waiting if w.user_id != last]
        if others:
            # Not twice in a row while others wait, and nobody with fewer turns is passed over.
            assert chosen != last
            assert turns.get(chosen, 0) == min(turns.get(u, 0) for u in others)
        waiting = [w for w in waiting if w.user_id != chosen]
        turns[chosen] = turns.get(chosen, 0) + 1
        last = chosen


def test_first_come_first_served_among_equals() -> None:
    waiting = [Waiting("b", T, 1), Waiting("a", T + timedelta(seconds=1), 2)]
    assert stack_order(waiting, {}, None) == ["b", "a"]
    assert stack_order(waiting, {"b": 1}, None) == ["a", "b"]


async def test_meeting_flow(bot: Harness) -> None:
    [r] = await bot.send("!stack", BOB)
    assert r.body.startswith("Meeting started. Bob is on the stack.")
    await bot.send("!stack", ALICE)
    [r] = await bot.send("!stack", BOB)
    assert "Bob is already on the stack." in r.body
    [r] = await bot.send("!next", CAROL)
    assert r.body.startswith("The floor is Bob's (called by Carol).")
    assert r.content["m.mentions"] == {"user_ids": [BOB]}
    assert r.content["msgtype"] == "m.text"  # the point is to reach Bob
    await bot.send("!stack", BOB)  # Bob wants to speak again
    await bot.send("!stack", CAROL)
    [r] = await bot.send("!next", CAROL)
    assert r.body.startswith("The floor is Alice's (called by Carol).")
    assert r.body.endswith("Stack:\n- Carol\n- Bob (has spoken)")
    bot.clock.advance(minutes=42)
    [r] = await bot.send("!meeting end")
    assert r.body.startswith(
        "**Meeting ended** by Alice after 42 min: 2 turns from the stack; 2 of 3 members spoke, "
        "0 more than once; 2 still waiting when it closed."
    )
    assert "Did not take the floor: Carol." in r.body
    assert r.body.endswith(
        "A mirror, not a score: turns from the stack, not who was heard or how well."
    )
    [r] = await bot.send("!next")
    assert "No meeting is running" in r.body


async def test_meeting_start_twice_and_empty_stack(bot: Harness) -> None:
    [r] = await bot.send("!meeting start")
    assert r.body.startswith("Meeting started by Alice.")
    [r] = await bot.send("!meeting start", BOB)
    assert "already running since Mon 02 Mar 2026 10:00" in r.body
    [r] = await bot.send("!next")
    assert "The stack is empty." in r.body
    [r] = await bot.send("!meeting end")
    assert "0 turns" in r.body


async def test_round_is_a_permutation_of_members(bot: Harness) -> None:
    [r] = await bot.send("!round")
    lines = r.body.splitlines()
    assert lines[0] == "**Go-round order** (drawn at random, asked for by Alice):"
    assert sorted(line.split(". ", 1)[1] for line in lines[1:]) == ["Alice", "Bob", "Carol"]
    assert r.content["m.mentions"] == {}


async def test_stack_show_only_shows(bot: Harness) -> None:
    assert "No meeting is running" in await bot.ask("!stack show")
    await bot.ask("!stack", BOB)
    shown = await bot.ask("!stack show")
    assert shown == "Asked by Alice.\nStack:\n- Bob"
    assert "Alice" not in (await bot.ask("!stack show", CAROL)).split("Stack:")[1]
