"""Reflection rounds, kept so that nobody reading the database can tell who wrote what.

An answer row holds its round and its text: no user id, no event id, no time. Its key
is random, and every time an answer is added the keys of the round's answers are drawn
again, one row at a time in a random order, so neither the keys nor where the rows lie
(nor, on PostgreSQL, which transaction last wrote them) follow the order answers came
in. Who was asked, and how many answers each gave, is kept apart (`reflection_asked`),
only to stop more than `MAX_PARTS`, and deleted when the round closes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReflectionAnswer, ReflectionAsked, ReflectionRound

MAX_PARTS = 5  # messages one member may give in a round, each kept as its own answer
_KEY_BITS = 62  # fits a signed 64-bit integer on both databases


def _key(rng: random.Random) -> int:
    return rng.getrandbits(_KEY_BITS) + 1


async def open_round(session: AsyncSession, collective_id: int) -> ReflectionRound | None:
    result = await session.execute(
        select(ReflectionRound)
        .where(ReflectionRound.collective_id == collective_id, ReflectionRound.closed_at.is_(None))
        .order_by(ReflectionRound.opened_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def start(
    session: AsyncSession,
    collective_id: int,
    prompts: list[str],
    now: datetime,
    closes_at: datetime,
    remind_at: datetime,
    asked: Iterable[str],
) -> ReflectionRound:
    row = ReflectionRound(
        collective_id=collective_id,
        prompts=json.dumps(prompts, ensure_ascii=False),
        opened_at=now,
        closes_at=closes_at,
        remind_at=remind_at,
    )
    session.add(row)
    await session.flush()
    for user_id in sorted(set(asked)):
        session.add(ReflectionAsked(round_id=row.id, user_id=user_id, parts=0))
    await session.flush()
    return row


def prompts(round_: ReflectionRound) -> list[str]:
    data = json.loads(round_.prompts)
    return [str(p) for p in data] if isinstance(data, list) else []


async def asked(session: AsyncSession, round_id: int, user_id: str) -> ReflectionAsked | None:
    result = await session.execute(
        select(ReflectionAsked).where(
            ReflectionAsked.round_id == round_id, ReflectionAsked.user_id == user_id
        )
    )
    return result.scalar_one_or_none()


async def add_answer(
    session: AsyncSession, asked_row: ReflectionAsked, text: str, rng: random.Random
) -> None:
    """Keep one answer with no link to its author. The round's answers are all written
    anew, in random order and under new random keys, so neither the keys, nor where the
    rows lie, nor which transaction wrote them tells the new one from the others."""
    round_id = asked_row.round_id
    result = await session.execute(
        select(ReflectionAnswer.text).where(ReflectionAnswer.round_id == round_id)
    )
    texts = [*result.scalars(), text]
    rng.shuffle(texts)
    await session.execute(
        delete(ReflectionAnswer)
        .where(ReflectionAnswer.round_id == round_id)
        .execution_options(synchronize_session=False)
    )
    taken: set[int] = set()
    for each in texts:
        key = _key(rng)
        while key in taken:
            key = _key(rng)
        taken.add(key)
        session.add(ReflectionAnswer(id=key, round_id=round_id, text=each))
        await session.flush()  # one at a time, in the shuffled order
    asked_row.parts += 1
    await session.flush()


async def asked_count(session: AsyncSession, round_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ReflectionAsked)
        .where(ReflectionAsked.round_id == round_id)
    )
    return int(count or 0)


async def answered(session: AsyncSession, round_id: int) -> int:
    """How many members have answered (not how many answers there are)."""
    count = await session.scalar(
        select(func.count())
        .select_from(ReflectionAsked)
        .where(ReflectionAsked.round_id == round_id, ReflectionAsked.parts > 0)
    )
    return int(count or 0)


async def answers(session: AsyncSession, round_id: int) -> list[str]:
    result = await session.execute(
        select(ReflectionAnswer.text).where(ReflectionAnswer.round_id == round_id)
    )
    return list(result.scalars())


async def due_reminders(
    session: AsyncSession, collective_id: int, now: datetime
) -> list[ReflectionRound]:
    result = await session.execute(
        select(ReflectionRound).where(
            ReflectionRound.collective_id == collective_id,
            ReflectionRound.closed_at.is_(None),
            ReflectionRound.reminded_at.is_(None),
            ReflectionRound.remind_at <= now,
            ReflectionRound.closes_at > now,
        )
    )
    return list(result.scalars())


async def due_to_close(
    session: AsyncSession, collective_id: int, now: datetime
) -> list[ReflectionRound]:
    result = await session.execute(
        select(ReflectionRound)
        .where(
            ReflectionRound.collective_id == collective_id,
            ReflectionRound.closed_at.is_(None),
            ReflectionRound.closes_at <= now,
        )
        .order_by(ReflectionRound.opened_at)
    )
    return list(result.scalars())


async def close(
    session: AsyncSession, round_: ReflectionRound, now: datetime, *, publish: bool
) -> None:
    """Close once: keep how many answered, forget who; a round not published loses its
    answers too. Raises ValueError when it is closed already."""
    if round_.closed_at is not None:
        raise ValueError(f"reflection round {round_.id} is closed already")
    round_.answered = await answered(session, round_.id)
    round_.closed_at = now
    round_.outcome = "published" if publish else "discarded"
    await session.execute(delete(ReflectionAsked).where(ReflectionAsked.round_id == round_.id))
    if not publish:
        await session.execute(
            delete(ReflectionAnswer).where(ReflectionAnswer.round_id == round_.id)
        )
    await session.flush()


async def asked_in(session: AsyncSession, user_id: str) -> list[tuple[ReflectionRound, int]]:
    """Open rounds the user was asked in, with how many answers they gave (`!mydata`)."""
    result = await session.execute(
        select(ReflectionRound, ReflectionAsked.parts)
        .join(ReflectionAsked, ReflectionAsked.round_id == ReflectionRound.id)
        .where(ReflectionAsked.user_id == user_id)
        .order_by(ReflectionRound.opened_at)
    )
    return [(r, int(parts)) for r, parts in result.all()]


async def forget(session: AsyncSession, user_id: str, rng: random.Random) -> int:
    """`!forgetme`: who was asked goes; where they had answered, the row stays (so the
    count of members who answered stays true) under a random name until the round
    closes. Their answers cannot be found: nothing links them to anyone."""
    result = await session.execute(
        select(ReflectionAsked).where(ReflectionAsked.user_id == user_id)
    )
    changed = 0
    for row in result.scalars():
        if row.parts > 0:
            row.user_id = f"former member {rng.getrandbits(64):016x}"
        else:
            await session.delete(row)
        changed += 1
    await session.flush()
    return changed
