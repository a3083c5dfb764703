"""Trust audit sprints: at the end the sprint is compared with the equal period before it,
in the group's counts (airtime spread, labour by kind, whose proposals were adopted,
decisions under time pressure, newcomers who took part), as text and then a chart."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.events import RoomEvent
from storage.models import AuditEntry, TrustSprint
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

DAN = "@dan:test.org"
ERIN = "@erin:test.org"


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


async def talk(bot: Harness, sender: str, words: int) -> None:
    e = bot.message(" ".join(["word"] * words), sender)
    now_ms = int(bot.clock.now().timestamp() * 1000)
    await bot.process([RoomEvent(e.event_id, e.sender, e.type, e.content, timestamp_ms=now_ms)])


async def test_a_sprint_is_compared_with_the_equal_period_before_it(db, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    bot = Harness(db, make_config("[decisions]\nopen_days = 2\n"), clock)
    await bot.start()
    # The week before: two voices, invisible work by one, one proposal decided early and
    # one decision recorded without a proposal.
    clock.set(at(10))
    await talk(bot, ALICE, 30)
    await talk(bot, BOB, 10)
    await bot.ask("!task done minutes of the assembly", ALICE)
    await bot.ask("!task done cleaning the kitchen", ALICE)
    await bot.ask("!task done flyers", BOB)
    await bot.ask("!propose we meet on thursdays", ALICE)
    await bot.ask("!agree 1", BOB)
    await bot.ask("!agree 1", CAROL)  # everyone has answered: it may close early
    await bot.ask("!agree 1", ALICE)
    await bot.ask("!decide 1", ALICE)
    await bot.ask("!decision the assembly chose the library", BOB)
    # The sprint: newcomers arrive, more voices, work and proposals spread.
    clock.set(at(16))
    assert await bot.ask("!sprint start open doors month") == (
        "Alice started the trust audit sprint **open doors month**: a cycle of deliberately "
        "widened participation. `!sprint end` compares it with the same length of time "
        "before it: airtime spread, labour, whose proposals are adopted, decisions under "
        "time pressure and newcomers who took part."
    )
    assert (await bot.ask("!sprint start another")).startswith(
        "The trust audit sprint **open doors month** is running (since 2026-03-16)"
    )
    clock.set(at(17))
    await bot.join(DAN, "Dan")
    await bot.join(ERIN, "Erin")
    for who in (ALICE, BOB, CAROL, DAN):
        await talk(bot, who, 10)
    await bot.ask("!task done minutes of the meeting", CAROL)
    await bot.ask("!task done welcoming erin #care", DAN)
    await bot.ask("!task done flyers", BOB)
    await bot.ask("!propose a speaking timekeeper", CAROL)
    await bot.ask("!propose childcare at meetings", DAN)
    await bot.send("!meeting start", DAN)
    await bot.send("!meeting end", DAN)
    await bot.ask("!task claim banner", ERIN)
    await bot.ask("!task drop banner", ERIN)
    for who in (ALICE, BOB, CAROL):  # the quorum: 3 of 5 members
        await bot.ask("!agree 3", who)
        await bot.ask("!agree 4", who)
    clock.set(at(19))
    assert await bot.rituals.run_due("decision-close", ROOM)  # both adopted at their time
    clock.set(at(23))
    sent = await bot.send("!sprint end", BOB)
    text, image = sent
    assert text.body == (
        "**Trust audit sprint open doors month**, Mon 16 Mar 2026 10:00 to Mon 23 Mar 2026 "
        "10:00, compared with the same length of time just before it (airtime: 8 days each, "
        "the earlier from 2026-03-08 to 2026-03-15). Before → during:\n"
        "**Airtime** (counted by day)\n"
        "- share of words written by the most active fifth: 75% → 25%\n"
        "- Gini (0: everyone equal; 1: a single voice): 0.50 → 0.20\n"
        "- silent members: 1 of 3 → 1 of 5\n"
        "**Labour**\n"
        "- visible: 1 task by 1 member → 1 task by 1 member\n"
        "- invisible: 2 tasks by 1 member → 1 task by 1 member\n"
        "- care: 0 tasks by 0 members → 1 task by 1 member\n"
        "- members who logged any work: 2 → 3\n"
        "**Decisions**\n"
        "- proposals adopted: 1 from 1 member → 2 from 2 different members\n"
        "- proposals made: 1 → 2\n"
        "- decisions taken under time pressure (closed early + recorded without a proposal): "
        "2 (1 + 1) → 0 (0 + 0)\n"
        "**Newcomers**\n"
        "- newcomers who took part (spoke, logged work or proposed): 0 of 0 → 1 of 2\n"
        "**Shared sovereignty**\n"
        "- meetings called (members who called one): 0 (0) → 1 (1)\n"
        "- adopted decisions with a task tied to them: 0 of 2 → 0 of 2\n"
        "- proposals closed early (members who closed one early): 1 (1) → 0 (0)\n"
        "- task claims dropped: 0 → 1\n"
        "A mirror, not a score: counts of the group in this room, never a verdict on anyone. "
        "Use it to ask whether the sprint widened who takes part."
    )
    assert text.reply_to is not None and text.content["m.mentions"] == {}
    for name in ("Alice", "Bob", "Carol", "Dan", "Erin"):
        assert name not in text.body.split("\n", 1)[1]
    assert image.content["msgtype"] == "m.image"
    assert bot.transport.upload_of(image).startswith(b"\x89PNG")
    assert image.content["info"]["mimetype"] == "image/png"
    async with db.transaction() as session:
        sprint = (await session.execute(select(TrustSprint))).scalar_one()
        audit = (await session.execute(select(AuditEntry.actor, AuditEntry.action))).all()
    assert (sprint.started_by, sprint.ended_by, sprint.ended_at) == (ALICE, BOB, at(23))
    assert (ALICE, "sprint.started") in audit
    assert (BOB, "sprint.ended") in audit
    assert await bot.ask("!sprint end") == (
        "No trust audit sprint is running. `!sprint start <name>` starts one."
    )


async def test_the_comparison_chart_renders_before_and_during(bot: Harness) -> None:
    from handlers import chart
    from handlers.renderers import RENDERERS

    panels = [chart.Panel("Labour", [("visible", 1, 3), ("care $x$", 0, 2)])]
    spec = chart.comparison_spec("Sprint $1", "before", "during", panels)
    assert json.loads(spec)["panels"][0]["rows"] == [["visible", 1, 3], ["care $x$", 0, 2]]
    png, width, height = RENDERERS["comparison-chart"](spec)
    assert png.startswith(b"\x89PNG") and width > 0 and height > 0


async def test_sprint_commands_refuse_what_makes_no_sense(bot: Harness) -> None:
    assert await bot.ask("!sprint end") == (
        "No trust audit sprint is running. `!sprint start <name>` starts one."
    )
    assert await bot.ask("!sprint start") == "Missing name. Usage: `!sprint start <name>`"
    assert await bot.ask("!sprint start \u200b") == "Missing name. Usage: `!sprint start <name>`"
    assert (await bot.ask("!sprint start " + "x" * 101)).startswith("name is too long")
    assert (await bot.ask("!sprint")).startswith("`!sprint` needs a subcommand.")
    # A sprint ended the moment it started compares two single days, and says so.
    await bot.ask("!sprint start a quick look")
    text, _image = await bot.send("!sprint end")
    assert "(airtime: 1 day each, the earlier from 2026-03-01 to 2026-03-01)" in text.body
    assert "- silent members: 3 of 3 → 3 of 3" in text.body
    assert "- share of words written by the most active fifth: no messages → no messages" in (
        text.body
    )
