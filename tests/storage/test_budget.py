"""The budget ledger: exact decimals on both databases, balances, totals, log, deletion."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from bot.database import Database
from storage import budget
from storage.budget import MAX_AMOUNT, Totals
from storage.models import BudgetEntry
from tests.storage.helpers import ALICE, BOB, T0, collective

DAY = timedelta(days=1)
AMOUNTS = st.decimals(
    min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False
)
DB_EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@DB_EXAMPLES
@given(amount=AMOUNTS)
async def test_amounts_round_trip_exactly(db: Database, amount: Decimal) -> None:
    async with db.transaction() as session:
        c = await collective(session, f"!{uuid.uuid4().hex}:x")
        await budget.add(session, c, "income", amount, "EUR", "gift", ALICE, T0)
    async with db.transaction() as session:  # a new session reads it from the database
        entry = await budget.by_number(session, c, 1)
        assert entry is not None
        assert entry.amount == amount
        assert str(entry.amount) == str(amount.quantize(Decimal("0.01")))
        assert await budget.balance(session, c, "EUR") == amount


@DB_EXAMPLES
@given(lines=st.lists(st.tuples(st.sampled_from(budget.KINDS), AMOUNTS), max_size=8))
async def test_balances_and_totals_are_exact_sums(
    db: Database, lines: list[tuple[str, Decimal]]
) -> None:
    async with db.transaction() as session:
        c = await collective(session, f"!{uuid.uuid4().hex}:x")
        for kind, amount in lines:
            await budget.add(session, c, kind, amount, "EUR", "x", ALICE, T0)
    income = sum((a for k, a in lines if k == "income"), Decimal("0.00"))
    spend = sum((a for k, a in lines if k == "spend"), Decimal("0.00"))
    async with db.transaction() as session:
        assert await budget.balance(session, c, "EUR") == income - spend
        got = await budget.totals(session, c, "EUR", T0, T0 + DAY)
        assert got == Totals(income=income, spend=spend)
        assert str(got.balance) == str((income - spend).quantize(Decimal("0.01")))


async def test_cents_add_up_where_floats_would_not(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        await budget.add(session, c, "income", Decimal("0.10"), "EUR", "a", ALICE, T0)
        await budget.add(session, c, "income", Decimal("0.20"), "EUR", "b", ALICE, T0)
        assert await budget.balance(session, c, "EUR") == Decimal("0.30")
        assert str(await budget.balance(session, c, "EUR")) == "0.30"

        big = await collective(session, "!big:x")
        values = [Decimal("99999999999.99")] * 100 + [Decimal("0.01")] * 3 + [Decimal("12.30")]
        for v in values:
            await budget.add(session, big, "income", v, "EUR", "x", ALICE, T0)
        expected = Decimal("9999999999999.00") + Decimal("0.03") + Decimal("12.30")
        assert sum(values) == expected
        assert Decimal(repr(sum(float(v) for v in values))) != expected  # a float column would fail
        assert await budget.balance(session, big, "EUR") == expected
        assert str(await budget.balance(session, big, "EUR")) == "10000000000011.33"
        empty = await collective(session, "!empty:x")
        assert str(await budget.balance(session, empty, "EUR")) == "0.00"


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        (Decimal("0"), "more than zero"),
        (Decimal("-5.00"), "more than zero"),
        (Decimal("0.005"), "two decimal places"),
        (Decimal("0.1000000000000000000000000000001"), "two decimal places"),
        (Decimal("1000000000000.00"), "at most"),
        (Decimal("NaN"), "not a number"),
        (Decimal("Infinity"), "not a number"),
    ],
)
def test_amounts_are_never_rounded(amount: Decimal, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        budget.to_cents(amount)


def test_conversions() -> None:
    assert budget.to_cents(Decimal("12.3")) == 1230
    assert budget.to_cents(Decimal("12.300")) == 1230
    assert budget.to_cents(7) == 700
    assert str(budget.from_cents(1230)) == "12.30"
    assert str(budget.from_cents(-5)) == "-0.05"
    with pytest.raises(TypeError):
        budget.to_cents(0.1)  # type: ignore[arg-type]


async def test_totals_of_a_month_log_delete_and_currencies(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        await budget.add(session, c, "income", Decimal("100.00"), "EUR", "dues", ALICE, T0 - DAY)
        await budget.add(session, c, "spend", Decimal("12.30"), "EUR", "flyers", BOB, T0)
        wrong = await budget.add(session, c, "spend", Decimal("999.00"), "EUR", "typo", BOB, T0)
        await budget.add(session, c, "income", Decimal("50.00"), "EUR", "raffle", ALICE, T0 + DAY)
        await budget.add(session, c, "spend", Decimal("5.00"), "CHF", "stamps", ALICE, T0 + DAY)
        with pytest.raises(ValueError, match="unknown kind"):
            await budget.add(session, c, "gift", Decimal("1"), "EUR", "x", ALICE, T0)

        assert await budget.balance(session, c, "EUR") == Decimal("-861.30")
        assert await budget.delete(session, wrong, T0 + 2 * DAY, by=ALICE)
        assert not await budget.delete(session, wrong, T0 + 3 * DAY, by=ALICE)
        assert await budget.balance(session, c, "EUR") == Decimal("137.70")
        assert await budget.balances(session, c) == {
            "EUR": Decimal("137.70"),
            "CHF": Decimal("-5.00"),
        }
        month = await budget.totals(session, c, "EUR", T0, T0 + 30 * DAY)
        assert month == Totals(income=Decimal("50.00"), spend=Decimal("12.30"))
        assert month.balance == Decimal("37.70")
        assert await budget.totals(session, c, "EUR", T0 + 40 * DAY, T0 + 50 * DAY) == Totals(
            Decimal("0.00"), Decimal("0.00")
        )

        log = await budget.log(session, c)
        assert [e.what for e in log] == ["stamps", "raffle", "flyers", "dues"]
        assert [e.what for e in await budget.log(session, c, T0)] == ["stamps", "raffle", "flyers"]
        assert [e.what for e in await budget.log(session, c, limit=1)] == ["stamps"]
        with_deleted = await budget.log(session, c, T0, include_deleted=True)
        assert [e.number for e in with_deleted] == [5, 4, 3, 2]
        entry = await budget.by_number(session, c, 2)
        assert entry is not None and entry.amount == Decimal("12.30") and entry.author == BOB
        assert await budget.by_id(session, c, entry.id) is entry
        other = await collective(session, "!other:x")
        assert await budget.by_id(session, other, entry.id) is None


async def test_forget_keeps_the_entries(db: Database) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        mine = await budget.add(session, a, "spend", Decimal("1.00"), "EUR", "tea", BOB, T0)
        hers = await budget.add(session, a, "spend", Decimal("2.00"), "EUR", "milk", ALICE, T0)
        there = await budget.add(session, b, "spend", Decimal("3.00"), "EUR", "rent", BOB, T0)
        assert await budget.forget(session, BOB, collective_id=a) == 1
        assert (mine.author, mine.what, mine.amount) == (None, "tea", Decimal("1.00"))
        assert hers.author == ALICE and there.author == BOB
        assert await budget.forget(session, BOB) == 1
        assert there.author is None


async def test_an_erased_entry_is_blanked_and_the_totals_stay_right(db: Database) -> None:
    """Amount 0 and no description in the database; a tombstone keeps its number, who
    erased it and when; balances, totals and the log are as if it never was."""
    async with db.transaction() as session:
        c = await collective(session)
        await budget.add(session, c, "income", Decimal("100.00"), "EUR", "dues", ALICE, T0)
        gone = await budget.add(
            session, c, "spend", Decimal("4321.98"), "EUR", "lawyer for Dana", BOB, T0 + DAY
        )
        await budget.add(session, c, "spend", Decimal("1.50"), "EUR", "tea", ALICE, T0 + DAY)
        assert await budget.delete(session, gone, T0 + 2 * DAY, by=ALICE)
    async with db.transaction() as session:
        rows = {
            e.number: (e.kind, e.amount_cents, e.what, e.author, e.deleted_at, e.deleted_by)
            for e in (await session.execute(select(BudgetEntry))).scalars()
        }
        dumped = (await session.execute(text("SELECT * FROM budget_entries"))).all()
        assert not any(
            "lawyer" in str(value) or "4321" in str(value) for row in dumped for value in row
        )
        assert await budget.balance(session, c, "EUR") == Decimal("98.50")
        assert await budget.balances(session, c) == {"EUR": Decimal("98.50")}
        month = await budget.totals(session, c, "EUR", T0, T0 + 30 * DAY)
        assert month == Totals(income=Decimal("100.00"), spend=Decimal("1.50"))
        assert [e.number for e in await budget.log(session, c)] == [3, 1]
        assert await budget.forget(session, ALICE) == 3  # two entries of hers, one erasure
    assert rows[2] == ("spend", 0, "", BOB, T0 + 2 * DAY, ALICE)
    assert rows[1][1:3] == (10000, "dues") and rows[3][1:3] == (150, "tea")
