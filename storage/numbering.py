"""The #N members see (numbers that count up per collective, never reused), and a
row counter for the `forget` functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Result, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


async def next_number(
    session: AsyncSession,
    number: InstrumentedAttribute[int],
    collective: InstrumentedAttribute[int],
    collective_id: int,
) -> int:
    """One more than the highest number used in the collective so far.

    Rows added earlier in the same transaction are flushed first, so two in one batch
    get distinct numbers. The tables have a unique (collective, number) constraint:
    should another process take the same number concurrently, the later commit fails
    and the batch is replayed, rather than two rows sharing a number. Rows are never
    deleted, so a number is never handed out twice.
    """
    await session.flush()
    highest = await session.scalar(select(func.max(number)).where(collective == collective_id))
    return int(highest or 0) + 1


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched (the generic Result type hides the attribute)."""
    return int(getattr(result, "rowcount", 0) or 0)
