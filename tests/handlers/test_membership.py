"""Other bots are not members: marked by any member, or known by only ever sending notices."""

from __future__ import annotations

from tests.harness import ALICE, BOB, CAROL, ROOM, Harness

OTHER_BOT = "@reminders:test.org"
QUIET = "@quiet:test.org"


async def _with_other_bot(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", OTHER_BOT: "Reminders"}
    bot.members[ROOM][QUIET] = "Quiet"
    await bot.process([bot.message("Reminder: rent is due", OTHER_BOT, msgtype="m.notice")])


async def test_a_user_who_only_sends_notices_is_left_out(bot: Harness) -> None:
    await _with_other_bot(bot)
    order = await bot.ask("!round")
    assert "Reminders" not in order and "Quiet" in order  # silent people are still members
    airtime = await bot.ask("!airtime")
    assert "Reminders" not in airtime
    roles = await bot.ask("!roles")
    assert "Reminders" not in roles


async def test_a_notice_sender_who_also_talks_is_a_member(bot: Harness) -> None:
    await _with_other_bot(bot)
    await bot.process([bot.message("hello all, I am a person", OTHER_BOT)])
    assert "Reminders" in await bot.ask("!round")


async def test_any_member_marks_and_unmarks_a_bot_audited(bot: Harness) -> None:
    await _with_other_bot(bot)
    assert "Quiet" in await bot.ask("!round")
    reply = await bot.ask("!bot Quiet", BOB)
    assert reply.startswith(f"Bob marked Quiet ({QUIET}) as a bot")
    assert "Quiet" not in await bot.ask("!round")
    assert "Bob marked as a bot @quiet:test.org" in await bot.ask("!audit 1")
    assert "as a person" in await bot.ask("!notbot Reminders")
    assert "Reminders" in await bot.ask("!round")
    assert "No current member matches `Nobody`" in await bot.ask("!bot Nobody")
