"""Minutes: posted at `!meeting end`, shown again by `!minutes [N]`, written by the export."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.exports import build
from handlers.meetings.record import pattern, speaking_time
from storage import collectives
from storage.models import StackEntry
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness

T = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def test_speaking_time_and_the_most_active_fifth() -> None:
    def entry(i: int, user: str, minute: int | None) -> StackEntry:
        at = None if minute is None else T + timedelta(minutes=minute)
        return StackEntry(id=i, meeting_id=1, user_id=user, added_at=T, called_at=at)

    entries = [entry(1, "a", 0), entry(2, "b", 6), entry(3, "a", 8), entry(4, "c", None)]
    seconds = speaking_time(entries, T + timedelta(minutes=10))
    assert seconds == {"a": 480.0, "b": 120.0}
    found = pattern(seconds, {"a": 2, "b": 1}, ["a", "b", "c", "d", "e", "f"])
    assert (found.spoke, found.members, found.fifth, found.top_share) == (2, 6, 2, 100)
    assert found.silent == ["c", "d", "e", "f"]
    assert pattern({"a": 480.0, "b": 120.0}, {"a": 2, "b": 1}, ["a", "b", "c"]).top_share == 80


async def _meeting(bot: Harness) -> list[str]:
    await bot.ask("!agenda add budget 10min", BOB)
    await bot.ask("!agenda add keys", CAROL)
    await bot.send("!meeting start")
    await bot.send("!stack", BOB)
    await bot.send("!stack", ALICE)
    await bot.send("!next")  # Bob
    bot.clock.advance(minutes=6)
    await bot.ask("!note the hall costs 40 @room")
    await bot.send("!next")  # Alice
    bot.clock.advance(minutes=2)
    await bot.ask("!agenda next")
    await bot.ask("!decision we rent the hall", CAROL)
    await bot.ask("!task add book the hall", CAROL)
    await bot.ask("!task claim book the hall", BOB)
    bot.clock.advance(minutes=2)
    return [s.body for s in await bot.send("!meeting end", CAROL)]


async def test_minutes_at_the_end_group_first(bot: Harness) -> None:
    bot.clock.set(T)
    [body] = await _meeting(bot)
    assert body.startswith(
        "**Meeting ended** by Carol after 10 min: 2 turns from the stack; 2 of 3 members "
        "spoke, 0 more than once; 0 still waiting when it closed. `!minutes 1` shows these "
        "minutes again."
    )
    assert (
        "**Agenda**:\n- **budget**: 10 min planned, 8 min used\n- **keys**: – planned, 2 min used"
        in body
    )
    assert (
        "**Notes from this meeting** (1):\n- #1 Mon 02 Mar 2026 19:06, Alice: the hall costs 40 @\u2060room"
        in body
    )
    assert (
        "**Decisions** (proposed, recorded or closed meanwhile):\n- #1 we rent the hall (adopted)"
        in body
    )
    assert "- **book the hall**: added by Carol\n- **book the hall**: claimed by Bob" in body
    group = body.index("**How the floor was shared**: 2 of 3 members spoke.")
    assert "The most active fifth of the members (1 member) held 60% of the speaking time." in body
    assert "Did not take the floor: Carol. Worth asking next time, gently." in body
    person = body.index(
        "Each member (turns, time with the floor):\n- Alice: 1 turn, 4 min\n- Bob: 1 turn, 6 min"
    )
    assert group < person  # the group's pattern before anyone's figures
    assert body.endswith(
        "A mirror, not a score: turns from the stack, not who was heard or how well."
    )

    again = await bot.ask("!minutes", BOB)
    assert again.startswith(
        "**Minutes of meeting 1**, Mon 02 Mar 2026 19:00 to Mon 02 Mar 2026 19:10 (10 min)."
    )
    assert body.split("\n", 1)[1] == again.split("\n", 1)[1]
    assert (await bot.ask("!minutes 1")) == again
    assert "There is no meeting 4: 1 meeting has ended." in await bot.ask("!minutes 4")

    reply, file = await bot.send("!export minutes")
    assert reply.body.startswith("Export of minutes for Alice: minutes of 1 meeting.")
    text = bot.transport.upload_of(file).decode()
    assert "## Minutes of meetings" in text and "### Meeting 1" in text
    assert "- budget: 10 min, 8 min" in text
    assert "The most active fifth of the members (1 member) held 60% of the speaking time." in text
    assert "@room" not in text


async def test_no_minutes_yet(bot: Harness) -> None:
    assert "No meeting has ended yet" in await bot.ask("!minutes")
    async with bot.db.transaction() as session:
        collective = await collectives.by_room(session, ROOM)
        assert collective is not None
        done = await build(session, collective, bot.config.for_room(ROOM), "minutes", T)
    assert "No meeting has ended yet, so there are no minutes." in done.text


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=st.text(alphabet=st.sampled_from(list("0123456789 #-x@room\x00é")), max_size=12))
async def test_any_minutes_line_gets_one_clear_answer(bot: Harness, rest: str) -> None:
    sent = await bot.send(f"!minutes {rest}", CAROL)
    assert len(sent) == 1 and "Sorry, something went wrong" not in sent[0].body
    assert not re.search(r"@room\b", sent[0].body)
