"""The power map: every section present, group patterns first, and a real PNG uploaded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.events import Batch, JoinedRoom, RoomEvent
from handlers.errors import UsageError
from handlers.timeparse import parse_month
from storage import decisions
from tests.harness import ALICE, BOB, BOT, CAROL, ROOM, FakeClock, Harness

T = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 2, 20, 12, 0, tzinfo=UTC))


def said(bot: Harness, body: str, sender: str, when: datetime) -> RoomEvent:
    e = bot.message(body, sender)
    return RoomEvent(
        e.event_id, sender, e.type, e.content, timestamp_ms=int(when.timestamp() * 1000)
    )


async def test_empty_sections_say_so(bot: Harness) -> None:
    bot.clock.set(T)
    replies = await bot.send("!powermap")
    text, image = replies
    assert text.body.startswith("**Power map, March 2026 so far** (2026-03-01 to 2026-03-10)")
    for missing in (
        "No messages were counted this month.",
        "No tasks were logged this month",
        "No role terms this month.",
        "No proposals or decisions are recorded yet",
        "The knowledge map is empty",
        "**Room power**: not known yet",
    ):
        assert missing in text.body
    assert image.content["msgtype"] == "m.image"
    assert image.content["url"] == "mxc://test.org/1"
    assert image.reply_to == text.reply_to
    _, data, mimetype = bot.transport.uploads[0]
    assert mimetype == "image/png" and data.startswith(b"\x89PNG\r\n\x1a\n")
    assert image.content["info"]["size"] == len(data)


async def test_sections_with_data_and_power_concentration(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol"}
    room = bot.room([said(bot, "one two three", ALICE, T), said(bot, "four", BOB, T)])
    levels = {"users": {ALICE: 100, BOT: 50}, "users_default": 0, "invite": 0, "kick": 50,
              "ban": 50, "state_default": 50, "events": {"m.room.power_levels": 100}}  # fmt: skip
    joined = JoinedRoom(room.room_id, room.events, room.members, room.name, False, levels)
    await bot.processor.process(Batch(next_batch="s-pm", joined=[joined]))
    bot.clock.set(T)
    await bot.send("!task done flyers", BOB)
    await bot.send("!task done minutes", CAROL)
    await bot.send("!role claim notes", CAROL)
    await bot.send("!knows database", ALICE)
    text, _ = await bot.send("!powermap 2026-03")
    body = text.body
    assert "2 messages, 4 words, from 2 of 3 members." in body
    assert "2 tasks logged (1 visible, 1 invisible, 0 care) by 2 of 3 members." in body
    assert "notes: Carol" in body
    assert "database (Alice)" in body
    assert "- invite: everyone" in body
    assert "- kick: Alice" in body
    assert "⚠ Concentrated: at most one member can kick, change settings." in body
    assert "- Alice: 75% of words; 0 tasks; roles: none" in body
    assert "- Carol: 0% of words; 1 task (1 invisible); roles: notes" in body
    assert body.index("**Airtime**") < body.index("**Each member**")
    assert text.content["m.mentions"] == {}


async def test_monthly_job_posts_last_month_once(bot: Harness) -> None:
    bot.clock.set(datetime(2026, 3, 1, 17, 0, 30, tzinfo=UTC))  # 18:00:30 in Berlin on the 1st
    assert await bot.rituals.run_due("powermap", ROOM)
    assert not await bot.rituals.run_due("powermap", ROOM)
    posts = [s for s in bot.sent if s.body.startswith("**Power map")]
    assert len(posts) == 1
    assert posts[0].body.startswith("**Power map, February 2026** (2026-02-01 to 2026-02-28)")
    assert posts[0].reply_to is None
    assert bot.sent[-1].content["msgtype"] == "m.image"


def test_parse_month() -> None:
    today = datetime(2026, 3, 10).date()
    assert parse_month(None, today).label == "March 2026 so far"
    assert parse_month("last", today).label == "February 2026"
    assert parse_month("2025-12", today).last.isoformat() == "2025-12-31"
    for bad in ("2026-13", "soon", "2026-04", "1999-01"):
        with pytest.raises(UsageError):
            parse_month(bad, today)


async def test_bad_month_is_answered(bot: Harness) -> None:
    [reply] = await bot.send("!powermap next year")
    assert "is not a month" in reply.body


async def test_odd_names_and_odd_power_levels_do_not_break_the_map(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "$$", BOB: "$_$ \\\\frac"}
    levels = {"users": None, "events": None, "kick": "lots", "users_default": 0}
    room = bot.room([said(bot, "hello", ALICE, T)])
    joined = JoinedRoom(room.room_id, room.events, room.members, room.name, False, levels)
    await bot.processor.process(Batch(next_batch="s-odd", joined=[joined]))
    bot.clock.set(T)
    text, image = await bot.send("!powermap")
    assert "**Room power**" in text.body
    assert image.content["msgtype"] == "m.image"
    [pong] = await bot.send("!ping")  # nothing is stuck behind the chart
    assert pong.body.startswith("pong")


async def test_a_chart_that_cannot_be_drawn_is_said_not_retried(bot: Harness) -> None:
    bot.sender.renderers = {"powermap-chart": lambda data: (_ for _ in ()).throw(ValueError("bad"))}
    bot.clock.set(T)
    text, *rest = await bot.send("!powermap")
    assert text.body.startswith("**Power map")
    [told] = rest  # instead of the chart, one line saying it could not be drawn
    assert "could not be sent and was given up (rendering failed: ValueError('bad'))" in told.body
    [pong] = await bot.send("!ping")
    assert pong.body.startswith("pong")


async def test_decisions_show_the_group_pattern_then_each_proposer_by_name(bot: Harness) -> None:
    bot.clock.set(datetime(2026, 2, 25, 12, 0, tzinfo=UTC))
    await bot.send("!propose we rent a van", ALICE)  # made in February, closes 4 March
    await bot.send("!agree 1", BOB)
    await bot.send("!agree 1", CAROL)  # the quorum: 2 of 3 members
    bot.clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # 13:00 in Berlin: closing time
    assert await bot.rituals.run_due("decision-close", ROOM)
    bot.clock.set(T)
    await bot.send("!propose we buy a printer", BOB)
    for member in (ALICE, BOB, CAROL):
        await bot.send("!agree 2", member)
    await bot.send("!decide 2", ALICE)  # closed early, everyone having answered
    await bot.send("!decision the assembly chose the library", CAROL)  # no proposal
    await bot.send("!propose we paint the hall", CAROL)
    text, _ = await bot.send("!powermap 2026-03")
    body = text.body
    assert (
        "**Decisions**\n2 proposals made by 2 of 3 members; 2 adopted, from 2 members' "
        "proposals. Taken under time pressure: 1 decision recorded without a proposal, "
        "1 proposal closed early.\nProposals by member (by name, not a ranking):\n"
        "- Alice: 0 made, 1 adopted\n- Bob: 1 made, 1 adopted\n- Carol: 1 made, 0 adopted\n"
    ) in body
    assert (
        body.index("**Roles held**")
        < body.index("**Decisions**")
        < body.index("**Single points of knowledge**")
    )
    text, _ = await bot.send("!powermap 2026-02")
    assert (
        "1 proposal made by 1 of 3 members; 0 adopted, from 0 members' proposals. Taken "
        "under time pressure: 0 decisions recorded without a proposal, 0 proposals closed early."
        "\nProposals by member (by name, not a ranking):\n- Alice: 1 made, 0 adopted"
    ) in text.body
    text, _ = await bot.send("!powermap 2026-01")
    assert "No proposals were made or decided and no decisions recorded this month." in text.body
    async with bot.db.transaction() as session:
        await decisions.forget(session, BOB)  # !forgetme: the record stays, the name goes
    text, _ = await bot.send("!powermap 2026-03")
    assert "- Carol: 1 made, 0 adopted\n- a former member: 1 made, 1 adopted\n" in text.body
    assert text.content["m.mentions"] == {}
