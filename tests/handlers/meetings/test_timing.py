"""Turns timed by `!next`, the turn limit of `!timer` told once, and the opening and closing
go-rounds."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.database import Database
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config


async def test_turns_are_timed_and_an_overrun_is_told_once(bot: Harness) -> None:
    assert "No meeting is running" in await bot.ask("!timer 3")
    await bot.send("!stack", BOB)
    await bot.send("!stack", CAROL)
    reply = await bot.ask("!timer 3")
    assert (
        reply
        == "Alice set turns to 3 min: whoever has the floor is told once when theirs has passed it."
    )
    [r] = await bot.send("!next")
    assert r.body.startswith("The floor is Bob's (called by Alice). Turns are 3 min (`!timer`).")
    bot.clock.advance(minutes=2)
    await bot.rituals.run_due("meeting-tick", ROOM)
    assert not [s for s in bot.sent if "your turn has passed" in s.body]
    bot.clock.advance(minutes=1, seconds=5)
    await bot.rituals.run_due("meeting-tick", ROOM)
    bot.clock.advance(minutes=1)
    await bot.rituals.run_due("meeting-tick", ROOM)
    told = [s for s in bot.sent if "your turn has passed" in s.body]
    assert len(told) == 1
    assert told[0].body.startswith("Bob, your turn has passed the 3 minutes agreed.")
    assert told[0].content["m.mentions"] == {"user_ids": [BOB]}
    assert told[0].content["msgtype"] == "m.text"
    [r] = await bot.send("!next")
    assert "The floor is Carol's (called by Alice). Bob had it for 4 min." in r.body
    assert "lifted the turn limit" in await bot.ask("!timer 0")
    bot.clock.advance(minutes=10)
    await bot.rituals.run_due("meeting-tick", ROOM)
    assert len([s for s in bot.sent if "your turn has passed" in s.body]) == 1
    assert "at most 120 minutes" in await bot.ask("!timer 500")


async def test_opening_and_closing_rounds(db: Database, clock: FakeClock) -> None:
    config = make_config(
        '[meetings]\nopening_round = "What do you bring?"\nclosing_round = "One thanks."\n'
    )
    bot = Harness(db, config, clock)
    await bot.start()
    _started, opening = await bot.send("!meeting start", BOB)
    assert opening.body.startswith("**Opening round**, in this order: What do you bring?\n1. ")
    assert sorted(re.findall(r"\d\. (\w+)", opening.body)) == ["Alice", "Bob", "Carol"]
    assert opening.content["m.mentions"] == {}
    sent = await bot.send("!meeting end", CAROL)
    assert sent[-1].body.startswith("**Closing round**, in this order: One thanks.\n1. ")


async def test_rounds_are_off_by_default(bot: Harness) -> None:
    assert len(await bot.send("!meeting start")) == 1
    assert len(await bot.send("!meeting end")) == 1


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=st.text(alphabet=st.sampled_from(list("0123456789 #-x@room\x00é")), max_size=12))
async def test_any_timer_line_gets_one_clear_answer(bot: Harness, rest: str) -> None:
    await bot.send("!meeting start")
    sent = await bot.send(f"!timer {rest}", ALICE)
    assert len(sent) == 1 and "Sorry, something went wrong" not in sent[0].body
