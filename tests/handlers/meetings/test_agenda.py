"""The agenda: anyone adds, standing items, who put each forward, and time kept in a meeting."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.models import AgendaItem
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness, make_config


async def test_add_show_drop_before_a_meeting(bot: Harness) -> None:
    reply = await bot.ask("!agenda add the summer camp 15min", BOB)
    assert (
        reply
        == "Bob put **the summer camp** (15 min planned) on the agenda of the next meeting, as item 1."
    )
    await bot.ask("!agenda add who keeps the keys", CAROL)
    await bot.ask("!agenda add 10min of silence 10 minutes", ALICE)  # not a planned time
    shown = await bot.ask("!agenda")
    assert shown.startswith(
        "**Agenda of the next meeting**\n1. **the summer camp** (15 min planned) put forward by Bob"
    )
    assert "2. **who keeps the keys** put forward by Carol" in shown
    assert "3. **10min of silence 10 minutes** put forward by Alice" in shown
    assert shown.endswith("Put forward by 3 of the members; anyone adds with `!agenda add`.")
    assert "took **who keeps the keys** off" in await bot.ask("!agenda drop 2", ALICE)
    assert "has no item 3" in await bot.ask("!agenda drop 3")
    async with bot.db.transaction() as session:
        rows = list((await session.execute(select(AgendaItem).order_by(AgendaItem.id))).scalars())
    assert [r.added_by for r in rows] == [BOB, CAROL, ALICE]
    assert rows[1].dropped_by == ALICE


async def test_the_next_called_meeting_is_named(bot: Harness) -> None:
    await bot.send("!meeting call thu 19:00 budget")
    shown = await bot.ask("!agenda")
    assert shown.startswith(
        "**Agenda of the next meeting** (#1, Thu 05 Mar 2026 19:00)\nNothing on it yet."
    )


async def test_standing_items_and_time_notices_in_a_meeting(db, clock) -> None:  # type: ignore[no-untyped-def]
    bot = Harness(db, make_config('[meetings]\nstanding_agenda = ["check-in round"]\n'), clock)
    await bot.start()
    shown = await bot.ask("!agenda")
    assert "1. **check-in round** (standing)" in shown
    assert "standing item of the configuration" in await bot.ask("!agenda drop 1")
    await bot.ask("!agenda add budget 10min", BOB)
    started, agenda_post = await bot.send("!meeting start")
    assert started.body.startswith("Meeting started by Alice.")
    assert (
        agenda_post.body
        == "**Agenda** (2 items), first: **check-in round**. `!agenda next` moves on."
    )
    bot.clock.advance(minutes=5)
    reply = await bot.ask("!agenda next", CAROL)
    assert reply == "Closed **check-in round** after 5 min. Now: **budget** (10 min planned)."
    bot.clock.advance(minutes=7)
    await bot.rituals.run_due("meeting-tick", ROOM)
    assert not [s for s in bot.sent if "planned minutes" in s.body]
    bot.clock.advance(minutes=1)
    await bot.rituals.run_due("meeting-tick", ROOM)
    bot.clock.advance(minutes=1)
    await bot.rituals.run_due("meeting-tick", ROOM)
    nudges = [s.body for s in bot.sent if "planned minutes" in s.body]
    assert nudges == [
        "**budget** has used 8 of its 10 planned minutes: a gentle nudge to start wrapping it up."
    ]
    bot.clock.advance(minutes=2)
    await bot.rituals.run_due("meeting-tick", ROOM)
    bot.clock.advance(minutes=3)
    await bot.rituals.run_due("meeting-tick", ROOM)
    nudges = [s.body for s in bot.sent if "planned minutes" in s.body]
    assert len(nudges) == 2 and nudges[1].startswith("**budget** has used its 10 planned minutes.")
    shown = await bot.ask("!agenda")
    assert "1. **check-in round** done, 5 min used (standing)" in shown
    assert "2. **budget** (10 min planned) now, 14 min so far put forward by Bob" in shown
    reply = await bot.ask("!agenda next")
    assert reply.startswith("Closed **budget** after 14 min. That was the last item")
    await bot.ask("!agenda add late item")
    assert "on the agenda of this meeting, as item 3" in bot.sent[-1].body


async def test_agenda_next_without_a_meeting(bot: Harness) -> None:
    assert "No meeting is running" in await bot.ask("!agenda next")


TRICKY = st.text(alphabet=st.sampled_from(list("ab 10min1h#@room\u202e\x00é😀")), max_size=40)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=TRICKY, word=st.sampled_from(["add", "drop", "next", ""]))
async def test_any_agenda_line_gets_one_clear_answer(bot: Harness, rest: str, word: str) -> None:
    sent = await bot.send(f"!agenda {word} {rest}", BOB)
    assert len(sent) == 1
    assert "Sorry, something went wrong" not in sent[0].body
    assert not re.search(r"@room\b", sent[0].body, re.IGNORECASE)
