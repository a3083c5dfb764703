"""Notes and the budget ledger, as members use them: exact amounts, months in the collective's
zone, notes that belong to a meeting, and erasing only through a second member."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from bot.database import Database
from storage import budget, collectives
from storage.models import BudgetEntry, Note
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

USAGE_SPEND = "Usage: `!spend <amount> <what>`"


async def test_notes_are_numbered_and_listed_oldest_first(bot: Harness) -> None:
    assert await bot.ask("!note the hall is booked for Friday") == (
        "Note **#1** kept for Alice. `!notes` lists the notes."
    )
    bot.clock.advance(days=3)
    assert (await bot.ask("!note keys are with Carol", BOB)).startswith("Note **#2** kept for Bob.")
    assert await bot.ask("!notes") == (
        "**Notes**\n"
        "- #1 Mon 02 Mar 2026 10:00, Alice: the hall is booked for Friday\n"
        "- #2 Thu 05 Mar 2026 10:00, Bob: keys are with Carol"
    )
    assert await bot.ask("!notes 2d") == (
        "**Notes** since 2026-03-03\n- #2 Thu 05 Mar 2026 10:00, Bob: keys are with Carol"
    )
    assert await bot.ask("!notes 2026-03-06") == (
        "No notes since 2026-03-06 yet. Keep one with `!note <text>`."
    )
    assert "Missing text." in await bot.ask("!note")
    assert await bot.ask("!notes yesterday") == (
        "Unexpected extra text: `yesterday`. Usage: `!notes [since: 30d|2026-11-01]`"
    )


async def test_a_long_list_shows_the_latest_notes_and_where_the_rest_are(bot: Harness) -> None:
    for i in range(22):
        await bot.ask(f"!note point {i}")
        bot.clock.advance(minutes=1)
    listed = await bot.ask("!notes")
    assert listed.startswith("**Notes** (the latest 20)\n- #3 ")
    assert "point 21" in listed and "point 1\n" not in listed
    assert listed.endswith("Older notes: `!notes <date>`, or all of them with `!export notes`.")


async def test_a_long_note_is_shortened_in_lists_only(bot: Harness) -> None:
    await bot.ask("!note " + "word " * 200)
    listed = await bot.ask("!notes")
    assert listed.endswith("word…") and len(listed) < 400
    reply = await bot.ask("!note " + "x" * 2001)
    assert "text is too long (2001 characters; at most 2000)." in reply


async def test_notes_taken_during_a_meeting_are_listed_at_its_end(bot: Harness) -> None:
    await bot.ask("!note before the meeting")
    await bot.ask("!meeting start")
    bot.clock.advance(minutes=5)
    reply = await bot.ask("!note agenda: rent, flyers", BOB)
    assert reply == (
        "Note **#2** kept for Bob. It belongs to the meeting started Mon 02 Mar 2026 10:00. "
        "`!notes` lists the notes."
    )
    bot.clock.advance(minutes=5)
    await bot.ask("!note rent goes up in May\nask the landlord why", CAROL)
    await bot.ask("!stack", CAROL)
    await bot.ask("!next")
    bot.clock.advance(minutes=20)
    summary = await bot.ask("!meeting end")
    assert (
        "**Notes from this meeting** (2):\n"
        "- #2 Mon 02 Mar 2026 10:05, Bob: agenda: rent, flyers\n"
        "- #3 Mon 02 Mar 2026 10:10, Carol: rent goes up in May ask the landlord why\n"
    ) in summary
    assert "before the meeting" not in summary
    await bot.ask("!note after the meeting")
    await bot.ask("!meeting start")
    assert "Notes from this meeting" not in await bot.ask("!meeting end")


async def test_meeting_commands_are_in_the_audit_log(bot: Harness) -> None:
    await bot.ask("!meeting start")
    await bot.ask("!stack", BOB)
    await bot.ask("!next", CAROL)
    bot.clock.advance(minutes=42)
    await bot.ask("!meeting end")
    audit = await bot.ask("!audit")
    assert audit.split("\n")[1:] == [
        "- Mon 02 Mar 2026 10:42: Alice ended the meeting started Mon 02 Mar 2026 10:00 (42 min)",
        "- Mon 02 Mar 2026 10:00: Carol gave the floor to Bob",
        "- Mon 02 Mar 2026 10:00: Bob joined the speaking stack",
        "- Mon 02 Mar 2026 10:00: Alice started a meeting",
    ]


async def test_erasing_a_note_takes_a_second_member(bot: Harness) -> None:
    await bot.ask("!note Dana's phone number is 0123")
    await bot.ask("!note keep this one")
    reply = await bot.ask("!note delete 1")
    assert reply.startswith(
        "Request **#1** from Alice: erase note #1 (taken by Alice, Mon 02 Mar 2026 10:00). It "
        "changes a shared record, so it waits for a second member: `!second 1` before"
    )
    assert "0123" in await bot.ask("!notes")  # nothing changed yet
    assert "another member has to second it" in await bot.ask("!second 1")
    assert (
        await bot.ask("!second 1", BOB) == "Bob seconded request #1 from Alice: note #1 is erased."
    )
    listed = await bot.ask("!notes")
    assert "0123" not in listed and "#2" in listed
    assert await bot.ask("!note delete 1") == "Note #1 was erased already; nothing to erase."
    assert await bot.ask("!note delete 9") == "Note #9 does not exist; nothing to erase."
    assert "must be at least 1" in await bot.ask("!note delete 0")
    assert "`two` is not a number" in await bot.ask("!note delete two")
    audit = await bot.ask("!audit 5")
    assert "0123" not in audit  # what it said is gone everywhere
    assert "Bob erased note #1" in audit
    assert "Bob seconded request #1 from Alice (delete note)" in audit
    assert (await bot.ask("!note 3 new")).startswith("Note **#3**")  # numbers are not reused


async def test_two_requests_for_one_note_erase_it_once(bot: Harness) -> None:
    await bot.ask("!note oops")
    await bot.ask("!note delete 1")
    await bot.ask("!note delete 1", BOB)
    assert "note #1 is erased" in await bot.ask("!second 1", CAROL)
    assert await bot.ask("!second 2", CAROL) == (
        "Carol seconded request #2 from Bob: note #1 was erased already, so nothing changed."
    )
    assert "has been carried out already" in await bot.ask("!second 2", ALICE)


async def test_spending_and_income_move_the_balance_exactly(bot: Harness) -> None:
    assert await bot.ask("!budget") == (
        "The budget is empty: no spending or income recorded yet. "
        "`!spend 12,50 flyers` or `!income 100 donations` records one."
    )
    assert await bot.ask("!income 100 donations at the fair", BOB) == (
        "Recorded **#1**: income of **100.00 EUR** by Bob: donations at the fair. "
        "Balance: 100.00 EUR."
    )
    assert await bot.ask("!spend 12,30 flyers") == (
        "Recorded **#2**: spending of **12.30 EUR** by Alice: flyers. Balance: 87.70 EUR."
    )
    for amount in ("0.1", "0,2"):
        await bot.ask(f"!spend {amount} stamps")
    assert await bot.ask("!budget") == (
        "**Budget**: balance **87.40 EUR**.\n"
        "March 2026 so far: income 100.00 EUR, spending 12.60 EUR, net +87.40 EUR.\n"
        "`!budget log` lists the entries."
    )
    assert await bot.ask("!spend 200 the hall") == (
        "Recorded **#5**: spending of **200.00 EUR** by Alice: the hall. Balance: -112.60 EUR."
    )
    audit = await bot.ask("!audit 2")
    # Numbers only: what an entry says and its amount live in the entry, which can be erased.
    assert audit.split("\n")[1:] == [
        "- Mon 02 Mar 2026 10:00: Alice recorded spending #5",
        "- Mon 02 Mar 2026 10:00: Alice recorded spending #4",
    ]


@pytest.mark.parametrize(
    ("typed", "shown"), [("12", "12.00"), ("12.3", "12.30"), ("12.30", "12.30"), ("12,30", "12.30")]
)
async def test_the_forms_an_amount_may_take(bot: Harness, typed: str, shown: str) -> None:
    assert f"income of **{shown} EUR**" in await bot.ask(f"!income {typed} dues")


@pytest.mark.parametrize("bad", ["1e3", "-5", "0.001", "12.345", "9" * 30, "0", "12.-", "€12"])
async def test_a_bad_amount_is_refused_with_the_forms(bot: Harness, bad: str) -> None:
    reply = await bot.ask(f"!spend {bad} flyers")
    assert reply == (
        f"`{bad}` is not an amount; write it like 12, 12.5, 12.50 or 12,50 (more than zero, "
        f"at most two decimal places, no thousands separators). {USAGE_SPEND}"
    )
    reply = await bot.ask(f"!income {bad} flyers")
    assert "is not an amount" in reply and "Usage: `!income <amount> <what>`" in reply
    assert (await bot.ask("!budget")).startswith("The budget is empty")


async def test_spending_needs_an_amount_and_what_it_was_for(bot: Harness) -> None:
    assert await bot.ask("!spend 12") == f"Missing what. {USAGE_SPEND}"
    assert "`flyers` is not an amount" in await bot.ask("!spend flyers")
    assert "what is too long" in await bot.ask("!spend 1 " + "x" * 301)


async def test_month_totals_follow_the_collective_zone(bot: Harness) -> None:
    """Europe/Berlin: 23:30 UTC on 28 Feb is already March there; 22:30 UTC on 31 March
    (summer time) is already April."""
    bot.clock.set(datetime(2026, 2, 28, 22, 30, tzinfo=UTC))  # 23:30 on 28 Feb in Berlin
    await bot.ask("!income 100 February dues")
    bot.clock.set(datetime(2026, 2, 28, 23, 30, tzinfo=UTC))  # 00:30 on 1 March in Berlin
    await bot.ask("!spend 10 paint")
    bot.clock.set(datetime(2026, 3, 31, 21, 30, tzinfo=UTC))  # 23:30 on 31 March, CEST
    await bot.ask("!spend 5 tea")
    assert (await bot.ask("!budget")).split("\n")[:2] == [
        "**Budget**: balance **85.00 EUR**.",
        "March 2026 so far: income 0.00 EUR, spending 15.00 EUR, net -15.00 EUR.",
    ]
    bot.clock.set(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April in Berlin
    assert (await bot.ask("!budget")).split("\n")[:2] == [
        "**Budget**: balance **85.00 EUR**.",
        "April 2026 so far: income 0.00 EUR, spending 0.00 EUR, net +0.00 EUR.",
    ]
    bot.clock.set(datetime(2026, 2, 28, 22, 45, tzinfo=UTC))  # back in February
    assert "February 2026 so far: income 100.00 EUR, spending 0.00 EUR, net +100.00 EUR." in (
        await bot.ask("!budget")
    )


async def test_the_log_is_newest_first_with_the_period_totals(bot: Harness) -> None:
    await bot.ask("!income 50 dues", BOB)
    bot.clock.advance(days=10)
    await bot.ask("!spend 7,5 coffee for the meeting")
    assert await bot.ask("!budget log") == (
        "**Budget log**: income 50.00 EUR, spending 7.50 EUR.\n"
        "- #2 2026-03-12: spending of 7.50 EUR, coffee for the meeting (Alice)\n"
        "- #1 2026-03-02: income of 50.00 EUR, dues (Bob)"
    )
    assert await bot.ask("!budget log 5d") == (
        "**Budget log** since 2026-03-07: income 0.00 EUR, spending 7.50 EUR.\n"
        "- #2 2026-03-12: spending of 7.50 EUR, coffee for the meeting (Alice)"
    )
    assert await bot.ask("!budget log 2026-03-13") == (
        "No budget entries since 2026-03-13 yet. `!spend` and `!income` record them."
    )
    for i in range(20):
        await bot.ask(f"!spend 1 item {i}")
    log = await bot.ask("!budget log")
    assert log.startswith("**Budget log** (the latest 20): income 50.00 EUR, spending 27.50 EUR.")
    assert log.endswith("Older entries: `!budget log <date>`, or `!export budget`.")


async def test_removing_a_budget_entry_takes_a_second_member(bot: Harness) -> None:
    await bot.ask("!income 100 dues")
    await bot.ask("!spend 40 typo, meant 4")
    reply = await bot.ask("!budget delete 2", BOB)
    assert reply.startswith(
        "Request **#1** from Bob: remove budget entry #2 (spending of 40.00 EUR, typo, meant 4)."
    )
    assert "balance **60.00 EUR**" in await bot.ask("!budget")
    assert await bot.ask("!second 1", CAROL) == (
        "Carol seconded request #1 from Bob: budget entry #2 (40.00 EUR) is removed; "
        "the balance is now 100.00 EUR."
    )
    assert "balance **100.00 EUR**" in await bot.ask("!budget")
    assert "typo" not in await bot.ask("!budget log")
    assert await bot.ask("!budget delete 2") == (
        "Budget entry #2 was removed already; nothing to remove."
    )
    assert await bot.ask("!budget delete 7") == "Budget entry #7 does not exist; nothing to remove."
    audit = await bot.ask("!audit 3")  # what it was for is gone everywhere
    assert "Carol removed budget entry #2" in audit and "typo" not in audit


async def test_two_requests_for_one_entry_remove_it_once(bot: Harness) -> None:
    await bot.ask("!spend 5 oops")
    await bot.ask("!budget delete 1")
    await bot.ask("!budget delete 1", BOB)
    assert "budget entry #1 (5.00 EUR) is removed" in await bot.ask("!second 2", ALICE)
    assert await bot.ask("!second 1", CAROL) == (
        "Carol seconded request #1 from Alice: budget entry #1 was removed already, so nothing "
        "changed."
    )
    assert "balance **0.00 EUR**" in await bot.ask("!budget")


async def test_balances_in_an_earlier_currency_are_not_lost(bot: Harness) -> None:
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, ROOM)
        assert found is not None
        await budget.add(
            session, found.id, "income", Decimal("20"), "CHF", "old", ALICE, bot.clock.now()
        )
    await bot.ask("!spend 5 stamps")
    assert await bot.ask("!budget") == (
        "**Budget**: balance **-5.00 EUR**.\n"
        "March 2026 so far: income 0.00 EUR, spending 5.00 EUR, net -5.00 EUR.\n"
        "Kept in earlier currencies: 20.00 CHF.\n"
        "`!budget log` lists the entries."
    )
    assert "- #1 2026-03-02: income of 20.00 CHF, old (Alice)" in await bot.ask("!budget log")


async def test_the_currency_comes_from_the_config(db: Database, clock: FakeClock) -> None:
    harness = Harness(db, make_config('\n[budget]\ncurrency = "CHF"\n'), clock)
    await harness.start()
    assert "spending of **3.50 CHF**" in await harness.ask("!spend 3,5 bread")


async def test_a_currency_of_twelve_characters_is_recorded(db: Database, clock: FakeClock) -> None:
    """Up to 16 characters, as the config allows: "time credits" is a real unit."""
    if (
        db.engine.dialect.name != "sqlite"
        and (BudgetEntry.__table__.c.currency.type.length or 0) < 16
    ):
        pytest.skip("the currency column is widened to 16 characters in migration 0014")
    harness = Harness(db, make_config('\n[budget]\ncurrency = "time credits"\n'), clock)
    await harness.start()
    reply = await harness.ask("!spend 3,5 childcare during the action")
    assert "spending of **3.50 time credits**" in reply
    assert "balance **-3.50 time credits**" in await harness.ask("!budget")
    async with db.transaction() as session:
        [entry] = list(await session.scalars(select(BudgetEntry)))
    assert entry.currency == "time credits"


async def test_erasing_blanks_the_note_and_the_entry_in_the_database(bot: Harness) -> None:
    """Nothing of an erased note's text or an erased entry's amount and description stays
    in its row: a tombstone keeps its number, who erased it and when; totals stay right."""
    await bot.ask("!note Dana's phone number is 0123")
    await bot.ask("!income 100 dues")
    await bot.ask("!spend 4321,98 lawyer for Dana")
    await bot.ask("!note delete 1")
    await bot.ask("!budget delete 2")
    bot.clock.advance(hours=1)
    assert await bot.ask("!second 1", BOB) == (
        "Bob seconded request #1 from Alice: note #1 is erased."
    )
    assert await bot.ask("!second 2", CAROL) == (
        "Carol seconded request #2 from Alice: budget entry #2 (4321.98 EUR) is removed; "
        "the balance is now 100.00 EUR."
    )
    erased_at = bot.clock.now()
    async with bot.db.transaction() as session:
        note = (await session.scalars(select(Note).where(Note.number == 1))).one()
        entry = (await session.scalars(select(BudgetEntry).where(BudgetEntry.number == 2))).one()
        dumped = [
            *(await session.execute(text("SELECT * FROM notes"))).all(),
            *(await session.execute(text("SELECT * FROM budget_entries"))).all(),
        ]
    assert (note.text, note.deleted_at, note.deleted_by) == ("", erased_at, BOB)
    assert (entry.amount_cents, entry.what) == (0, "")
    assert (entry.deleted_at, entry.deleted_by) == (erased_at, CAROL)
    assert not any(
        word in str(value) for row in dumped for value in row for word in ("0123", "4321", "lawyer")
    )
    budget_now = await bot.ask("!budget")
    assert "balance **100.00 EUR**" in budget_now
    assert "income 100.00 EUR, spending 0.00 EUR" in budget_now
    log = await bot.ask("!budget log")
    assert "#2" not in log and "income 100.00 EUR, spending 0.00 EUR" in log
    assert "#1" not in await bot.ask("!notes")


async def test_user_text_is_escaped_and_pings_nobody(bot: Harness) -> None:
    [reply] = await bot.send("!spend 1 <b>@room</b> **bold**")
    assert "@room" not in reply.body
    assert "<b>" not in reply.html and "&lt;b&gt;" in reply.html
    assert reply.content["m.mentions"] == {}


async def test_help_lists_notes_and_budget(bot: Harness) -> None:
    listed = await bot.ask("!help")
    assert "**Notes and budget**" in listed
    assert (
        "`!budget delete <entry>`" in listed
        and "`!export [decisions|notes|budget|tasks|minutes|all]`" in listed
    )
    assert "!spend 12,50 flyers for the fair" in await bot.ask("!help spend")
