"""The power map's sovereignty lens counts, for the group, who called meetings, who holds
access alone, which adopted decisions became action, who closed decisions early and whose
claims went nowhere, from what members typed; never a name."""

from __future__ import annotations

from datetime import timedelta

from tests.harness import ALICE, BOB, CAROL, Harness


async def test_the_lens_counts_what_members_did(bot: Harness) -> None:
    before = (await bot.send("!powermap", BOB))[0].body
    assert "**Shared sovereignty** (counts of the group, never names)" in before
    assert "- Meetings: none called this month." in before
    assert "- Agenda: no item put forward this month (`!agenda add <item>`)." in before
    assert "- Single points of access: none recorded" in before
    assert "- Suggestions into action: no decision was adopted this month." in before
    assert "- Decisions closed early: none." in before

    await bot.send("!meeting start", BOB)
    await bot.send("!meeting end", BOB)
    await bot.send("!meeting start", ALICE)
    await bot.send("!meeting end", ALICE)
    await bot.send("!meeting start", ALICE)
    await bot.send("!meeting end", ALICE)
    await bot.send("!meeting call thu 19:00 budget", CAROL)
    await bot.ask("!agenda add budget", CAROL)
    await bot.ask("!agenda add camp 10min", CAROL)
    await bot.ask("!agenda add keys", BOB)
    await bot.ask("!access add bank account", ALICE)
    await bot.ask("!access add domain registrar", ALICE)
    await bot.ask("!access add domain registrar @bob:test.org", ALICE)
    await bot.ask("!propose we rent the hall", ALICE)
    await bot.ask("!propose we print flyers", ALICE)
    for who in (ALICE, BOB, CAROL):
        await bot.ask("!agree 1", who)
        await bot.ask("!agree 2", who)
    await bot.send("!decide 1", BOB)
    await bot.send("!decide 2", BOB)
    await bot.ask("!task add book the hall for #1", CAROL)
    await bot.ask("!task claim posters", CAROL)
    await bot.ask("!task drop posters", CAROL)
    await bot.ask("!task claim banner", BOB)
    after = (await bot.send("!powermap", CAROL))[0].body
    lens = after.split("**Shared sovereignty**", 1)[1]
    assert "- Meetings: 4 called; members who called one: 3 of 3." in lens
    assert "- Agenda: 3 items put forward; members who put one forward: 2 of 3." in lens
    assert "- Single points of access: 1 resource held by one member only" in lens
    assert (
        "- Suggestions into action: 2 decisions adopted; with a task tied to them: 1; "
        "without one yet: 1." in lens
    )
    assert "- Decisions closed early: 2; members who closed one early: 1." in lens
    assert (
        "- Tasks claimed and then dropped: 1; claimed and left unfinished for 30 days: 0." in lens
    )
    for name in ("Alice", "Bob", "Carol"):
        assert name not in lens.split("**", 2)[1]  # the group lines name nobody


async def test_a_claim_left_for_thirty_days_is_counted(bot: Harness) -> None:
    await bot.ask("!task claim banner", BOB)
    bot.clock.advance(days=31)
    text = (await bot.send("!powermap", CAROL))[0].body
    assert "claimed and left unfinished for 30 days: 1." in text


async def test_a_called_meeting_that_is_then_started_counts_once_for_its_caller(
    bot: Harness,
) -> None:
    await bot.send("!meeting call tomorrow 19:00 budget", CAROL)
    bot.clock.set(bot.clock.now().replace(hour=18, minute=0) + timedelta(days=1))  # 19:00 Berlin
    await bot.send("!meeting start", BOB)
    await bot.send("!meeting end", BOB)
    lens = (await bot.send("!powermap", ALICE))[0].body.split("**Shared sovereignty**", 1)[1]
    assert "- Meetings: 1 called; members who called one: 1 of 3." in lens
    await bot.send("!meeting call tomorrow 10:00 cancelled", ALICE)
    await bot.send("!meeting cancel 2", ALICE)
    lens = (await bot.send("!powermap", ALICE))[0].body.split("**Shared sovereignty**", 1)[1]
    assert "- Meetings: 1 called; members who called one: 1 of 3." in lens  # cancelled: none
