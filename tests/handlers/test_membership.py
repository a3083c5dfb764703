"""Other bots are not members: marked by a member (a second member when the one marked has
written in the room), or known by only ever sending notices; whoever is marked can always
say they are a person."""

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
    audit = await bot.ask("!audit 1")
    assert "Bob marked" in audit and QUIET in audit and "as a bot" in audit
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


async def test_marking_someone_who_wrote_text_waits_for_a_second_member(bot: Harness) -> None:
    await bot.process([bot.message("hello, I am Bob", BOB)])
    reply = await bot.ask("!bot Bob", ALICE)
    assert reply.startswith(f"Request **#1** from Alice: mark Bob ({BOB}) as a bot.")
    assert "one member's word is not enough: a second member" in reply
    assert "confirms with `!second 1` before Tue 03 Mar 2026 10:00" in reply
    assert "Until then nothing changes." in reply
    assert "Bob" in await bot.ask("!round", BOB)  # not silenced: still a member, still heard
    # Neither the one who asked nor the one to be marked can be the second member.
    assert "another member has to second it" in await bot.ask("!second 1", ALICE)
    assert "is about Bob" in await bot.ask("!second 1", BOB)
    assert "Bob" in await bot.ask("!round")
    done = await bot.ask("!second 1", CAROL)
    assert done.startswith(f"Carol seconded request #1 from Alice: Bob ({BOB}) is marked as a bot")
    assert "Bob" not in await bot.ask("!round")
    assert await bot.send("!round", BOB) == []  # a marked bot's commands are ignored
    audit = await bot.ask("!audit 5")
    assert "Carol" in audit and "Alice" in audit  # both names on record
    # The marked member can always say they are a person, with or without their name.
    assert "marked Bob" in await bot.ask("!notbot", BOB)
    assert "Bob" in await bot.ask("!round")


async def test_a_lapsed_request_leaves_the_member_as_they_were(bot: Harness) -> None:
    await bot.process([bot.message("hi", BOB)])
    assert "`!second 1`" in await bot.ask("!bot Bob")
    bot.clock.advance(hours=25)
    assert "has lapsed; nothing changed" in await bot.ask("!second 1", CAROL)
    assert "Bob" in await bot.ask("!round", BOB)


async def test_marking_yourself_or_one_who_never_wrote_is_at_once(bot: Harness) -> None:
    await _with_other_bot(bot)  # Reminders only sent a notice; Quiet sent nothing
    assert (await bot.ask("!bot Reminders", BOB)).startswith("Bob marked Reminders")
    await bot.process([bot.message("hello", CAROL)])
    assert (await bot.ask("!bot Carol", CAROL)).startswith("Carol marked Carol")
    assert "is marked as a bot already" in await bot.ask("!bot Carol", ALICE)


async def test_a_marked_bot_speaks_only_for_itself(bot: Harness) -> None:
    await _with_other_bot(bot)
    assert (await bot.ask("!bot Quiet", BOB)).startswith("Bob marked Quiet")
    for line in ("!round", "!bot Alice", "!notbot Reminders", f"!notbot {ALICE}", "!help"):
        assert await bot.send(line, QUIET) == [], line
    assert "Reminders" not in await bot.ask("!round")  # its !notbot about another did nothing
    assert "as a person" in await bot.ask(f"!notbot {QUIET}", QUIET)
    assert "Quiet" in await bot.ask("!round")
