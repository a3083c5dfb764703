"""The #N members see (numbers that count up per collective, never reused), and what
every `forget` function does: a member's id replaced by NULL ("a former member")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Result, func, select, update
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


async def forget_in(
    session: AsyncSession,
    column: InstrumentedAttribute[str | None],
    user_id: str,
    collective: InstrumentedAttribute[int] | None = None,
    collective_id: int | None = None,
) -> int:
    """`!forgetme` for one column: the rows stay, the member's id becomes NULL (shown as
    "a former member"); only in one collective when it is named. Returns the rows changed."""
    where: list[ColumnElement[bool]] = [column == user_id]
    if collective is not None and collective_id is not None:
        where.append(collective == collective_id)
    result = await session.execute(
        update(column.class_).where(*where).values({column.key: None}),
        execution_options={"synchronize_session": "fetch"},
    )
    return rowcount(result)
