"""The circle of shadows as one session: gallery walk, small groups with the first-person
prompt, a call for experiments, the affirmation round; each step once, moved on by time,
by `!circle next`, or stopped by `!circle end`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.models import AuditEntry, Circle, GalleryWalk
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

START = datetime(2026, 3, 2, 9, 2, 30, tzinfo=UTC)


async def _step(bot: Harness) -> list[str]:
    before = len(bot.sent)
    await bot.rituals.run_due("circle-step", ROOM)
    return [s.body for s in bot.sent[before:]]


async def test_a_circle_runs_its_four_steps_once_each(bot: Harness, clock: FakeClock) -> None:
    clock.set(START)
    await bot.ask("!experiment a speaking timekeeper for 2m", BOB)
    sent = await bot.send("!circle start", ALICE)
    assert sent[0].body.startswith(
        "Alice started a circle of shadows.\n**Circle of shadows**: one session in four "
        "steps. 1. a silent gallery walk (15 min); 2. small groups, each naming an imbalance "
        "in the first person (20 min); 3. structural experiments (15 min); 4. a closing "
        "affirmation."
    )
    assert "**Circle of shadows: a silent gallery walk** until Mon 02 Mar 2026 10:20" in (
        sent[1].body
    )
    assert len([s for s in sent if s.body.startswith("**Pattern ")]) == 7

    clock.set(START + timedelta(minutes=10))
    assert await _step(bot) == []  # the walk is still on
    clock.set(datetime(2026, 3, 2, 9, 20, tzinfo=UTC))
    tally, groups_step, groups = await _step(bot)
    assert tally.startswith("**Gallery walk tally**")
    assert groups_step.startswith(
        "**Circle of shadows, step 2 of 4: small groups** until Mon 02 Mar 2026 10:40.\n"
        "In your group, each of you names one imbalance you feel complicit in sustaining."
    )
    assert groups.startswith("**Reflection groups**")
    async with bot.db.transaction() as session:
        walk = (await session.execute(select(GalleryWalk))).scalar_one()
    assert walk.ended_at is not None

    clock.set(datetime(2026, 3, 2, 9, 40, tzinfo=UTC))
    [experiments] = await _step(bot)
    assert experiments.startswith(
        "**Circle of shadows, step 3 of 4: structural experiments** until Mon 02 Mar 2026 10:55."
    )
    assert "`!experiment <change> for 1m`" in experiments
    assert "- Running: #1 a speaking timekeeper (until 2026-05-02)" in experiments

    clock.set(datetime(2026, 3, 2, 9, 55, tzinfo=UTC))
    [affirmation] = await _step(bot)
    assert affirmation.startswith(
        "**Circle of shadows, step 4 of 4: affirmation**. Name a moment this month where you "
        "felt agency. One at a time, in this order (drawn at random):\n"
    )
    order = re.findall(r"^\d\. (\w+)$", affirmation, re.MULTILINE)
    assert sorted(order) == ["Alice", "Bob", "Carol"]
    assert affirmation.endswith("The circle ends with this round. Thank you all.")
    announced = next(s for s in bot.sent if s.body == affirmation)
    assert announced.content["msgtype"] == "m.text"  # meant to reach everyone

    clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    assert await _step(bot) == []  # ended: nothing more, nothing twice
    async with bot.db.transaction() as session:
        circle = (await session.execute(select(Circle))).scalar_one()
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert circle.ended_at is not None and circle.ended_by is None
    assert {"circle.started", "circle.ended"} <= set(actions)
    assert (await bot.ask("!circle next")).startswith("No circle is running.")


async def test_next_moves_on_early_and_end_stops(bot: Harness, clock: FakeClock) -> None:
    clock.set(START)
    await bot.send("!circle start", ALICE)
    assert (await bot.ask("!circle start", BOB)).startswith(
        "A circle is already running (step 1 of 4); `!circle end` stops it."
    )
    sent = await bot.send("!circle next", BOB)
    assert sent[0].body == "Bob moved the circle on."
    assert "closed early by Bob with `!circle next`" in sent[1].body
    assert sent[2].body.startswith("**Circle of shadows, step 2 of 4: small groups**")
    [stopped] = await bot.send("!circle end", CAROL)
    assert stopped.body == "Carol stopped the circle of shadows at step 2 of 4."
    clock.set(START + timedelta(hours=2))
    assert await _step(bot) == []
    async with bot.db.transaction() as session:
        circle = (await session.execute(select(Circle))).scalar_one()
    assert circle.ended_by == CAROL


async def test_a_circle_waits_for_an_open_gallery_walk(bot: Harness, clock: FakeClock) -> None:
    clock.set(START)
    await bot.send("!gallery", BOB)
    assert (await bot.ask("!circle start")).startswith(
        "A gallery walk is open until Mon 02 Mar 2026 10:25; `!gallery end` closes it first."
    )
    assert (await bot.ask("!circle end")).startswith("No circle is running.")


async def test_stopping_during_the_walk_tallies_it(bot: Harness, clock: FakeClock) -> None:
    clock.set(START)
    await bot.send("!circle start", ALICE)
    tally, stopped = await bot.send("!circle end", BOB)
    assert "closed early by Bob with `!circle end`" in tally.body
    assert stopped.body == "Bob stopped the circle of shadows at step 1 of 4."


async def test_the_monthly_circle_is_off_unless_set(db, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    off = Harness(db, make_config(), clock)
    await off.start()
    clock.set(datetime(2026, 4, 1, 17, 0, tzinfo=UTC))
    assert not await off.rituals.run_due("circle", ROOM)
    on = Harness(db, make_config('[schedule]\ncircle = "0 19 1 * *"\n'), clock)
    clock.set(datetime(2026, 3, 31, 9, 0, tzinfo=UTC))
    await on.rituals.run_due("circle", ROOM)  # first scheduled here: nothing owed yet
    clock.set(datetime(2026, 4, 1, 17, 0, tzinfo=UTC))
    assert await on.rituals.run_due("circle", ROOM)
    intro, walk_intro = on.sent[0], on.sent[1]
    assert intro.body.startswith("**Circle of shadows**: one session in four steps.")
    assert intro.content["msgtype"] == "m.text" and intro.reply_to is None
    assert "through the patterns of March 2026 (2026-03-01 to 2026-03-31)" in walk_intro.body
    assert not await on.rituals.run_due("circle", ROOM)  # once


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    line=st.sampled_from(["!circle", "!circle start", "!circle next", "!circle end"]),
    rest=st.sampled_from(["", " now", " @room", " \u202e", " \x00", " 5"]),
)
async def test_any_circle_line_gets_a_clear_answer(bot: Harness, line: str, rest: str) -> None:
    for reply in await bot.send(line + rest, BOB):
        assert "Sorry, something went wrong" not in reply.body
        assert not re.search(r"@room\b", reply.body)
    async with bot.db.transaction() as session:
        open_circles = (
            (await session.execute(select(Circle).where(Circle.ended_at.is_(None)))).scalars().all()
        )
    assert len(open_circles) <= 1
