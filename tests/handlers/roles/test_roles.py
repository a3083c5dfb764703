"""Roles and rotation through the real dispatcher and the exactly-once scheduler, with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.models import RoleTerm
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, Sent

BERLIN = ZoneInfo("Europe/Berlin")
# Default rotation: Mondays 10:00 in Europe/Berlin. 2026-03-02 is a Monday (UTC+1).
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    """The bot joins on the Friday before the first Monday rotation."""
    return FakeClock(datetime(2026, 2, 27, 12, 0, tzinfo=UTC))


async def rotate_at(bot: Harness, when: datetime) -> Sent:
    bot.clock.set(when)
    before = len(bot.sent)
    assert await bot.rituals.run_due("rotation", ROOM)
    [announcement] = [s for s in bot.sent[before:] if s.body.startswith("**Role rotation**")]
    return announcement


async def holders(bot: Harness) -> dict[str, str]:
    out = {}
    async with bot.db.transaction() as session:
        from storage import roles

        for role in await roles.all_roles(session, 1):
            term = await roles.current_term(session, role.id)
            if term is not None:
                out[role.name] = term.user_id
    return out


async def test_roles_lists_defaults_with_next_in_line(bot: Harness) -> None:
    reply = await bot.ask("!roles")
    assert "- **facilitation** (1w): runs meetings" in reply
    assert "Vacant; next: a draw between Alice, Bob, Carol." in reply
    assert "- **notes** (1w)" in reply and "- **agenda** (1w)" in reply


async def test_first_rotation_gives_each_member_one_role(bot: Harness) -> None:
    bot.clock.set(MONDAY - timedelta(days=1))
    announcement = await rotate_at(bot, MONDAY)
    assignment = await holders(bot)
    assert sorted(assignment) == ["agenda", "facilitation", "notes"]
    assert sorted(assignment.values()) == sorted([ALICE, BOB, CAROL])
    assert "for the term starting Mon 02 Mar 2026 10:00" in announcement.body
    assert "until Mon 09 Mar 2026 10:00" in announcement.body
    assert "Drawn at random among" in announcement.body  # nobody had any history
    assert sorted(announcement.content["m.mentions"]["user_ids"]) == sorted([ALICE, BOB, CAROL])
    assert announcement.content["msgtype"] == "m.text"  # a notice would notify nobody


async def test_weekly_rotation_moves_every_role_and_carries_handover_notes(bot: Harness) -> None:
    await rotate_at(bot, MONDAY)
    first = await holders(bot)
    fac = first["facilitation"]
    assert "saved" in await bot.ask("!role handover facilitation agenda is in the <pad> @room", fac)
    announcement = await rotate_at(bot, MONDAY + timedelta(weeks=1))
    second = await holders(bot)
    assert all(second[r] != first[r] for r in first)  # never twice in a row
    assert "Handover notes from " in announcement.html
    assert ": agenda is in the &lt;pad&gt;" in announcement.html
    assert "@room" not in announcement.body
    assert "No handover notes were left." in announcement.body


async def test_months_of_rotation_are_fair(bot: Harness) -> None:
    counts: dict[tuple[str, str], int] = {}
    for week in range(12):
        await rotate_at(bot, MONDAY + timedelta(weeks=week))
        for role, user in (await holders(bot)).items():
            counts[(role, user)] = counts.get((role, user), 0) + 1
    for role in ("facilitation", "notes", "agenda"):
        per_member = [counts.get((role, m), 0) for m in (ALICE, BOB, CAROL)]
        assert per_member == [4, 4, 4], (role, per_member)


async def test_away_members_are_skipped(bot: Harness) -> None:
    bot.clock.set(MONDAY - timedelta(days=2))
    reply = await bot.ask("!away 2w", CAROL)
    assert reply.startswith("Carol is away until Sat 14 Mar 2026 10:00; rotation will skip you.")
    await rotate_at(bot, MONDAY)
    assignment = await holders(bot)
    assert CAROL not in assignment.values()
    # Two available members, three roles: one of them doubles up, as it cannot be avoided.
    assert len(assignment) == 3 and set(assignment.values()) == {ALICE, BOB}
    await bot.ask("!away 2w", ALICE)
    await bot.ask("!away 2w", BOB)
    announcement = await rotate_at(bot, MONDAY + timedelta(weeks=1))
    assert announcement.body.count("nobody is available (everyone is away); vacant") == 3
    assert "rotation counts you in again" in await bot.ask("!back", CAROL)
    assert "was not marked away" in await bot.ask("!back", CAROL)


async def test_reminder_a_day_before_only_without_notes_and_only_once(bot: Harness) -> None:
    await rotate_at(bot, MONDAY)
    assignment = await holders(bot)
    await bot.ask("!role handover notes send minutes by Tuesday", assignment["notes"])
    sunday = MONDAY + timedelta(days=6)
    bot.clock.set(sunday)
    before = len(bot.sent)
    assert await bot.rituals.run_due("handover-reminder", ROOM)
    assert not await bot.rituals.run_due("handover-reminder", ROOM)
    reminders = [s.body for s in bot.sent[before:]]
    assert len(reminders) == 2
    assert all("ends Mon 09 Mar 2026 10:00" in r for r in reminders)
    assert not any("**notes**" in r for r in reminders)


async def test_restart_across_due_time_posts_once_late(bot: Harness) -> None:
    bot.clock.set(MONDAY + timedelta(days=2))  # the bot was down over Monday 10:00
    await bot.rituals.start()
    await bot.rituals.start()  # and restarted again
    announcements = [s.body for s in bot.sent if s.body.startswith("**Role rotation**")]
    assert len(announcements) == 1
    assert (
        "(posted late: it was due Mon 02 Mar 2026 10:00, while the bot was offline)"
        in announcements[0]
    )
    async with bot.db.transaction() as session:
        starts = {t.started_at for t in (await session.execute(select(RoleTerm))).scalars()}
    assert starts == {MONDAY}  # the term keeps the weekly rhythm despite the late run


async def test_daylight_saving_does_not_shift_the_hour(bot: Harness) -> None:
    # Berlin moves to summer time on Sunday 2026-03-29.
    before = await rotate_at(bot, datetime(2026, 3, 23, 9, 0, tzinfo=UTC))
    bot.clock.set(datetime(2026, 3, 30, 8, 0, 30, tzinfo=UTC))  # 10:00:30 local, summer time
    assert await bot.rituals.run_due("rotation", ROOM)
    after = bot.sent[-1]
    assert "starting Mon 23 Mar 2026 10:00" in before.body
    assert "starting Mon 30 Mar 2026 10:00" in after.body
    assert "posted late" not in after.body
    async with bot.db.transaction() as session:
        latest = (
            await session.execute(select(RoleTerm).order_by(RoleTerm.started_at.desc()).limit(1))
        ).scalar_one()
    assert latest.started_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert latest.started_at.astimezone(BERLIN).hour == 10


async def test_define_claim_release(bot: Harness) -> None:
    reply = await bot.ask("!role define Treasury  Team 1m keeps the <budget>")
    assert reply == "Defined role **treasury team**, term 1m, for Alice: keeps the <budget>"
    assert "Alice holds **treasury team** until Mon 30 Mar 2026 10:00" in await bot.ask(
        "!role claim treasury team"
    )
    assert "already holds" in await bot.ask("!role claim Treasury Team")
    assert "is held by Alice" in await bot.ask("!role claim treasury team", BOB)
    assert "You do not hold" in await bot.ask("!role release treasury team", BOB)
    assert "Handover notes saved." in await bot.ask(
        "!role release treasury team receipts in the box"
    )
    assert "Vacant" in await bot.ask("!roles")


async def test_handover_notes_reach_whoever_takes_the_role_however(bot: Harness) -> None:
    await bot.ask("!role claim notes")
    assert "Handover notes saved." in await bot.ask("!role release notes the pad is pinned")
    claimed = await bot.ask("!role claim notes", BOB)
    assert claimed.endswith("Handover notes from Alice: the pad is pinned")
    await bot.ask("!role handover notes send minutes by Tuesday", BOB)
    await bot.ask("!role swap notes Carol", BOB)
    swapped = await bot.ask("!accept", CAROL)
    assert swapped.endswith("Handover notes from Bob: send minutes by Tuesday")
    await rotate_at(bot, MONDAY)  # the claimed term runs on to the next rotation
    announcement = await rotate_at(bot, MONDAY + timedelta(weeks=1))
    assert "Handover notes from Bob: send minutes by Tuesday" in announcement.body


async def test_a_term_counts_once_for_whoever_held_it_longest(bot: Harness) -> None:
    from storage import roles

    await rotate_at(bot, MONDAY)
    first = await holders(bot)
    holder = first["notes"]
    other = next(u for u in (ALICE, BOB, CAROL) if u != holder)
    bot.clock.set(MONDAY + timedelta(days=5))  # swapped late: the first holder held it longest
    await bot.ask("!role swap notes " + other, holder)
    await bot.ask("!accept notes", other)
    bot.clock.set(MONDAY + timedelta(days=6))
    async with bot.db.transaction() as session:
        role = await roles.role(session, 1, "notes")
        assert role is not None
        history = await roles.history(session, role.id, MONDAY - timedelta(days=1))
    assert history[holder][0] == 1
    assert other not in history


async def test_a_claim_released_at_once_is_no_term(bot: Harness) -> None:
    from storage import roles

    await bot.ask("!role claim agenda")
    await bot.ask("!role release agenda")
    async with bot.db.transaction() as session:
        role = await roles.role(session, 1, "agenda")
        assert role is not None
        assert await roles.history(session, role.id, MONDAY - timedelta(days=30)) == {}


async def test_next_in_line_uses_the_joint_assignment(bot: Harness) -> None:
    await rotate_at(bot, MONDAY)
    listing = await bot.ask("!roles")
    nexts = [line.split("next: ", 1)[1] for line in listing.splitlines() if "next: " in line]
    assert len(nexts) == 3
    # Three members, three roles: the preview never names one member for two roles.
    singles = [n for n in nexts if not n.startswith("a draw")]
    assert len(singles) == len(set(singles))


async def test_redefining_a_role_takes_a_second_member(bot: Harness) -> None:
    await bot.ask("!role define treasury 1m keeps the budget")
    asked = await bot.ask("!role define treasury 2w pays the bills")
    assert asked.startswith(
        "Request **#1** from Alice: redefine role treasury as 2w: pays the bills. "
        "It changes a shared record, so it waits for a second member: `!second 1` before "
        "Sat 28 Feb 2026 13:00."
    )
    assert "(1m): keeps the budget" in await bot.ask("!roles")
    assert "another member has to second it" in await bot.ask("!second 1")
    done = await bot.ask("!second 1", BOB)
    assert done == (
        "Bob seconded request #1 from Alice: role treasury now has a term of 2w: pays the bills."
    )
    assert "(2w): pays the bills" in await bot.ask("!roles")
    assert "has been carried out already" in await bot.ask("!second 1", CAROL)
    audit = await bot.ask("!audit 3")
    assert "Bob seconded request #1 from Alice (redefine role)" in audit
    assert "Alice asked for a second member: request #1 (redefine role)" in audit


async def test_an_unseconded_request_lapses_once_and_changes_nothing(bot: Harness) -> None:
    await bot.ask("!role define treasury 1m keeps the budget")
    await bot.ask("!role define treasury 1w")
    bot.clock.advance(hours=25)
    assert await bot.rituals.run_due("second-lapse", ROOM)
    lapsed = [s for s in bot.sent if "lapsed" in s.body]
    assert len(lapsed) == 1
    assert lapsed[0].body.startswith("Request #1 (redefine role) lapsed")
    bot.clock.advance(hours=1)
    assert await bot.rituals.run_due("second-lapse", ROOM)
    assert len([s for s in bot.sent if "lapsed" in s.body]) == 1
    assert "lapsed" in await bot.ask("!second 1", BOB)
    assert "(1m): keeps the budget" in await bot.ask("!roles")


async def test_swap_takes_effect_on_accept(bot: Harness) -> None:
    await bot.ask("!role claim facilitation")
    asked = await bot.send("!role swap facilitation Bob")
    assert (
        asked[0].body
        == "Bob: Alice asks to hand **facilitation** over to you. Answer `!accept` to agree."
    )
    assert asked[0].content["m.mentions"] == {"user_ids": [BOB]}
    assert "Nothing is waiting for Carol" in await bot.ask("!accept", CAROL)
    assert (await holders(bot))["facilitation"] == ALICE
    done = await bot.ask("!accept", BOB)
    assert done.startswith("Swap done: Bob holds **facilitation** until")
    assert (await holders(bot))["facilitation"] == BOB
    assert "Nothing is waiting" in await bot.ask("!accept", BOB)
    # Asking the holder for the role works the other way round.
    await bot.ask("!role swap facilitation @bob", CAROL)
    await bot.ask("!accept facilitation", BOB)
    assert (await holders(bot))["facilitation"] == CAROL


async def test_lapsed_swap(bot: Harness) -> None:
    await bot.ask("!role claim notes")
    await bot.ask("!role swap notes Bob")
    await bot.ask("!role release notes")
    assert "has lapsed" in await bot.ask("!accept", BOB)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!role", "`!role` needs a subcommand"),
        (
            "!role define treasury",
            "Missing term. Usage: `!role define <role> <term e.g. 1w|2w|1m> [scope]`",
        ),
        ("!role define 1w scope", "`scope` is not a duration"),
        ("!role define treasury 9x things", "`9x` is not a duration"),
        ("!role claim mayor", "There is no role `mayor`. Roles: agenda, facilitation, notes."),
        ("!role handover notes", "Missing notes. Usage: `!role handover <role> <notes>`"),
        ("!role swap notes", "Missing member. Usage: `!role swap <role> <@member>`"),
        ("!role swap notes Zed", "No current member matches `Zed`"),
        ("!role swap notes Alice", "Name another member, not yourself."),
        ("!role swap notes Bob", "Neither you nor Bob holds **notes**."),
        ("!away soon", "`soon` is neither a date (2026-12-24) nor a duration"),
        ("!away 2020-01-01", "That date has passed"),
        ("!away 20y", "At most a year ahead."),
        ("!away 99999y", "nor a duration"),
        ("!away 2y", "At most a year ahead."),
        ("!away", "Missing until."),
    ],
)
async def test_bad_input(bot: Harness, line: str, expected: str) -> None:
    assert expected in await bot.ask(line)


async def test_one_absence_does_not_leave_someone_doubled_for_good(bot: Harness) -> None:
    bot.clock.set(MONDAY - timedelta(days=2))
    await bot.ask("!away 3d", BOB)
    for week in range(6):
        await rotate_at(bot, MONDAY + timedelta(weeks=week))
        assignment = await holders(bot)
        if week >= 1:  # Bob is back: three members, three roles, one each
            assert sorted(assignment.values()) == sorted([ALICE, BOB, CAROL]), (week, assignment)


async def test_monthly_terms_end_at_the_rotation_they_are_handed_over_at(bot: Harness) -> None:
    await bot.ask("!role define treasury 1m keeps the books")
    first = await rotate_at(bot, MONDAY)
    assert "**treasury** (keeps the books):" in first.body
    # 2 March + 1 month is Thursday 2 April: the nearest rotation is Monday 30 March (3 days
    # before; the one after is 4 days after), the first in summer time.
    assert "until Mon 30 Mar 2026 10:00" in first.body
    for week in range(1, 4):
        announcement = await rotate_at(bot, MONDAY + timedelta(weeks=week))
        assert "continues until Mon 30 Mar 2026 10:00" in announcement.body
    bot.clock.set(datetime(2026, 3, 29, 8, 0, tzinfo=UTC))  # Sunday 10:00, summer time
    assert await bot.rituals.run_due("handover-reminder", ROOM)
    assert any("**treasury** ends Mon 30 Mar 2026 10:00" in s.body for s in bot.sent[-4:])
    handed = await rotate_at(bot, datetime(2026, 3, 30, 8, 0, tzinfo=UTC))
    assert (
        "**treasury** (keeps the books): " in handed.body
        and "continues" not in handed.body.split("treasury")[1].split("\n")[0]
    )


async def test_zero_terms_and_far_absences_are_refused_clearly(bot: Harness) -> None:
    assert "`0w` is not a duration" in await bot.ask("!role define zero 0w nothing")
    assert "`9999y` is too far ahead." in await bot.ask("!away 9999y")


async def test_terms_are_bounded_by_max_term(bot: Harness) -> None:
    assert "longer than this collective's longest, 3m" in await bot.ask("!role define mayor 99m x")
    assert "`9999y` is too long; at most 50 years." in await bot.ask("!role define mayor 9999y x")
    assert "longer than" in await bot.ask("!role define mayor 14w x")
    assert "Defined role **mayor**, term 3m" in await bot.ask("!role define mayor 3m x")


async def test_a_swap_request_lapses_with_its_term(bot: Harness) -> None:
    await rotate_at(bot, MONDAY)
    notes_holder = (await holders(bot))["notes"]
    other = next(u for u in (ALICE, BOB, CAROL) if u != notes_holder)
    await bot.ask(f"!role swap notes {other}", notes_holder)
    for week in range(1, 4):  # rotations until the holder gets notes again
        await rotate_at(bot, MONDAY + timedelta(weeks=week))
        if (await holders(bot))["notes"] == notes_holder:
            break
    assert (await holders(bot))["notes"] == notes_holder
    assert "has lapsed" in await bot.ask("!accept notes", other)
    assert (await holders(bot))["notes"] == notes_holder


async def test_absences_beyond_the_calendar_get_a_usage_error(bot: Harness) -> None:
    assert "`9999-12-31` is too far ahead." in await bot.ask("!away 9999-12-31")
    assert "`2026-02-30` is not a date" in await bot.ask("!away 2026-02-30")
