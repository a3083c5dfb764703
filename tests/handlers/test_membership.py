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


async def test_bots_listed_in_the_config_are_left_out(db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import make_config

    config = make_config(f'bots = ["{OTHER_BOT}"]\n')
    harness = Harness(db, config, clock)
    harness.members[ROOM] = {ALICE: "Alice", BOB: "Bob", OTHER_BOT: "Reminders"}
    await harness.start()
    assert "Reminders" not in await harness.ask("!round")
    assert "as a person" in await harness.ask("!notbot Reminders")
    assert "Reminders" in await harness.ask("!round")  # a member's word wins over the config
