"""The budget ledger (`!spend`, `!income`, `!budget`), exact to the cent.

Amounts go in and come out as `Decimal` with two places. They are stored as whole
cents in a BIGINT, because SQLite keeps NUMERIC values as binary floating point and
its sums would round; integer sums are exact on both databases. Entries are numbered
#N per collective; deleting one (through the two-member rule) blanks it (amount 0, no
description) and keeps a tombstone, its row with `deleted_at` and `deleted_by` set;
deleted entries count nowhere. Every function is async and
takes the session first, except the two conversions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import forget_in, next_number
from storage.types import UTCDateTime


class BudgetEntry(Base):
    """One line of the budget ledger. The amount is exact: integer cents, never a float.

    SQLite keeps NUMERIC values as binary floating point, so a Numeric column would
    round sums there; whole cents sum exactly on both databases. Use `amount`. Erasing an
    entry blanks it (amount 0, no description) and keeps a tombstone: its number, who
    erased it and when.
    """

    __tablename__ = "budget_entries"
    __table_args__ = (
        UniqueConstraint("collective_id", "number"),
        Index("ix_budget_entries_collective_at", "collective_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # spend | income
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # positive; 0 once erased
    currency: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(Text)  # "" once erased
    author: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(255))  # who seconded the erasure

    @property
    def amount(self) -> Decimal:
        """The amount as an exact Decimal with two places, e.g. Decimal('12.30')."""
        return Decimal(self.amount_cents).scaleb(-2)


KINDS = ("spend", "income")
MAX_AMOUNT = Decimal("999999999999.99")  # what a NUMERIC(14, 2) holds


@dataclass(frozen=True)
class Totals:
    """Income and spending over a period, in one currency."""

    income: Decimal
    spend: Decimal

    @property
    def balance(self) -> Decimal:
        return self.income - self.spend


def to_cents(amount: Decimal | int) -> int:
    """Whole cents for a positive amount with at most two decimal places.

    Raises ValueError for zero, negative, non-finite or too large amounts and for
    fractions of a cent (nothing is rounded), TypeError for a float.
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amounts are Decimal, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError("the amount is not a number")
    if value <= 0:
        raise ValueError("the amount must be more than zero")
    if value > MAX_AMOUNT:
        raise ValueError(f"the amount must be at most {MAX_AMOUNT}")
    cents = value.quantize(Decimal("0.01"))  # at most 14 digits here: exact
    if cents != value:  # Decimal comparison is exact, whatever the context's precision
        raise ValueError("the amount has more than two decimal places")
    return int(cents.scaleb(2))


def from_cents(cents: int | Decimal) -> Decimal:
    """Decimal('12.30') for 1230 cents; always two places."""
    return Decimal(int(cents)).scaleb(-2)


def _cents(value: Any) -> int:
    """An aggregate as whole cents: PostgreSQL sums BIGINT to NUMERIC, SQLite to int."""
    return int(value or 0)


async def add(
    session: AsyncSession,
    collective_id: int,
    kind: str,
    amount: Decimal | int,
    currency: str,
    what: str,
    author: str | None,
    now: datetime,
) -> BudgetEntry:
    """Entry #N: `kind` is spend or income, `amount` positive (see `to_cents`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    row = BudgetEntry(
        collective_id=collective_id,
        number=await next_number(
            session, BudgetEntry.number, BudgetEntry.collective_id, collective_id
        ),
        kind=kind,
        amount_cents=to_cents(amount),
        currency=currency,
        what=what,
        author=author,
        at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def by_number(session: AsyncSession, collective_id: int, number: int) -> BudgetEntry | None:
    """Entry #N, deleted or not (check `deleted_at`)."""
    return await session.scalar(
        select(BudgetEntry).where(
            BudgetEntry.collective_id == collective_id, BudgetEntry.number == number
        )
    )


async def by_id(session: AsyncSession, collective_id: int, entry_id: int) -> BudgetEntry | None:
    """The entry with this row id, only if it belongs to the collective; deleted or not."""
    return await session.scalar(
        select(BudgetEntry).where(
            BudgetEntry.collective_id == collective_id, BudgetEntry.id == entry_id
        )
    )


_SIGNED = case((BudgetEntry.kind == "income", BudgetEntry.amount_cents), else_=0) - case(
    (BudgetEntry.kind == "spend", BudgetEntry.amount_cents), else_=0
)


async def balance(session: AsyncSession, collective_id: int, currency: str) -> Decimal:
    """All income minus all spending in one currency (deleted entries left out)."""
    total = await session.scalar(
        select(func.sum(_SIGNED)).where(
            BudgetEntry.collective_id == collective_id,
            BudgetEntry.currency == currency,
            BudgetEntry.deleted_at.is_(None),
        )
    )
    return from_cents(_cents(total))


async def balances(session: AsyncSession, collective_id: int) -> dict[str, Decimal]:
    """The balance per currency used, so entries in a former currency are not lost."""
    result = await session.execute(
        select(BudgetEntry.currency, func.sum(_SIGNED))
        .where(BudgetEntry.collective_id == collective_id, BudgetEntry.deleted_at.is_(None))
        .group_by(BudgetEntry.currency)
    )
    return {currency: from_cents(_cents(total)) for currency, total in result.all()}


async def totals(
    session: AsyncSession, collective_id: int, currency: str, start: datetime, end: datetime
) -> Totals:
    """Income and spending in [start, end), e.g. one month, in one currency."""
    result = await session.execute(
        select(BudgetEntry.kind, func.sum(BudgetEntry.amount_cents))
        .where(
            BudgetEntry.collective_id == collective_id,
            BudgetEntry.currency == currency,
            BudgetEntry.deleted_at.is_(None),
            BudgetEntry.at >= start,
            BudgetEntry.at < end,
        )
        .group_by(BudgetEntry.kind)
    )
    sums = {kind: _cents(total) for kind, total in result.all()}
    return Totals(income=from_cents(sums.get("income", 0)), spend=from_cents(sums.get("spend", 0)))


async def log(
    session: AsyncSession,
    collective_id: int,
    since: datetime | None = None,
    *,
    limit: int | None = None,
    include_deleted: bool = False,
) -> list[BudgetEntry]:
    """Entries since a time (all without one), newest first."""
    query = select(BudgetEntry).where(BudgetEntry.collective_id == collective_id)
    if since is not None:
        query = query.where(BudgetEntry.at >= since)
    if not include_deleted:
        query = query.where(BudgetEntry.deleted_at.is_(None))
    query = query.order_by(BudgetEntry.at.desc(), BudgetEntry.number.desc())
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


async def delete(
    session: AsyncSession, entry: BudgetEntry, now: datetime, *, by: str | None
) -> bool:
    """Erase the entry: its amount becomes 0 and its description empty, a tombstone
    (number, who erased it, when) stays, and it counts nowhere. False if it was erased
    already."""
    if entry.deleted_at is not None:
        return False
    entry.amount_cents = 0
    entry.what = ""
    entry.deleted_at = now
    entry.deleted_by = by
    await session.flush()
    return True


async def forget(session: AsyncSession, user_id: str, collective_id: int | None = None) -> int:
    """`!forgetme`: entries stay, their author (and whoever erased one) becomes "a former
    member"."""
    changed = 0
    for column in (BudgetEntry.author, BudgetEntry.deleted_by):
        changed += await forget_in(
            session, column, user_id, BudgetEntry.collective_id, collective_id
        )
    return changed
