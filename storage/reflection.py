"""Reflection rounds, kept so that nobody reading the database can tell who wrote what.

An answer row holds its round and its text: no user id, no event id, no time. Its key
is random, and every time an answer is added the keys of the round's answers are drawn
again, one row at a time in a random order, so neither the keys nor where the rows lie
(nor, on PostgreSQL, which transaction last wrote them) follow the order answers came
in. Who was asked, and how many answers each gave, is kept apart (`reflection_asked`),
only to stop more than `MAX_PARTS`, and deleted when the round closes.

While the round is open every answer is sealed (`storage/sealing.py`): encrypted with a key
kept outside the database, padded to one size, under a fresh nonce. So the commit that adds
one to a member's count of answers writes no text, nor any length, beside it; and as every
answer of the round is opened and sealed again when one is added, no blob is the same
bytes before and after, so two copies of the database taken at different times do not tell
the new one either. At the close the answers are opened, and either kept as the plain text
the room now reads (in the order posted, under new keys) or deleted unread.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import RANDOM_KEY, Base
from storage.sealing import Sealer, Unopenable
from storage.types import UTCDateTime


class ReflectionRound(Base):
    """A round of anonymous reflection: open from `opened_at` until `closes_at`.

    Its times are the round's; nothing finer is kept about any answer. `answered` is
    how many members answered, kept when it closes (who answered is then forgotten).
    """

    __tablename__ = "reflection_rounds"
    __table_args__ = (
        Index("ix_reflection_rounds_collective_closed", "collective_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    prompts: Mapped[str] = mapped_column(Text)  # JSON list of the prompts asked
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # published | discarded (too few answered) | unopenable (the sealing key was lost)
    outcome: Mapped[str | None] = mapped_column(String(16))
    answered: Mapped[int | None] = mapped_column(Integer)


class ReflectionAsked(Base):
    """Who was asked in an open round and how many answers they gave: only to stop
    more than `MAX_PARTS`; never linked to an answer (the answers are sealed while the
    round is open), and deleted when the round closes."""

    __tablename__ = "reflection_asked"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("reflection_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    parts: Mapped[int] = mapped_column(Integer, default=0)


class ReflectionAnswer(Base):
    """One anonymous answer: its round and its text, nothing else. The key is random
    (and redrawn for the round's answers whenever one is added), so neither the key
    nor where the row lies tells the order answers came in.

    While the round is open the text is `sealed` (`storage/sealing.py`: encrypted with a
    key outside the database, padded to one size) and `text` is empty; once the round is
    published the opened texts are kept in `text` (they are in the room now) and `sealed`
    is empty. An answer kept before sealing existed (revision 0013) has its `text` until
    the round's next answer seals it too."""

    __tablename__ = "reflection_answers"

    id: Mapped[int] = mapped_column(RANDOM_KEY, primary_key=True, autoincrement=False)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("reflection_rounds.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str | None] = mapped_column(Text)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


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


def _context(round_id: int) -> bytes:
    """What a sealed answer is bound to: its round (a blob moved to another does not open)."""
    return f"reflection round {round_id}".encode()


async def _rewrite(
    session: AsyncSession,
    round_id: int,
    rows: Sequence[tuple[str | None, bytes | None]],
    rng: random.Random,
) -> None:
    """Replace the round's answers with `rows` (text, sealed), in this order, under new
    random keys, one row at a time."""
    await session.execute(
        delete(ReflectionAnswer)
        .where(ReflectionAnswer.round_id == round_id)
        .execution_options(synchronize_session=False)
    )
    taken: set[int] = set()
    for text, sealed in rows:
        key = _key(rng)
        while key in taken:
            key = _key(rng)
        taken.add(key)
        session.add(ReflectionAnswer(id=key, round_id=round_id, text=text, sealed=sealed))
        await session.flush()  # one at a time, in the order given


async def add_answer(
    session: AsyncSession,
    asked_row: ReflectionAsked,
    text: str,
    sealer: Sealer,
    rng: random.Random,
) -> None:
    """Keep one answer, sealed, with no link to its author. The round's answers are all
    written anew, opened and sealed again under fresh nonces, in random order and under
    new random keys, so neither the bytes, nor the keys, nor where the rows lie, nor which
    transaction wrote them tells the new one from the others. One kept in plain text from
    before sealing is sealed now; one that does not open (its key was lost) is kept as it
    is, and the round says so when it closes."""
    round_id = asked_row.round_id
    context = _context(round_id)
    result = await session.execute(
        select(ReflectionAnswer.text, ReflectionAnswer.sealed).where(
            ReflectionAnswer.round_id == round_id
        )
    )
    texts = [text]
    stuck: list[bytes] = []
    for old_text, sealed in result.all():
        if sealed is None:
            texts.append(old_text or "")
            continue
        try:
            texts.append(sealer.open(sealed, context))
        except Unopenable:
            stuck.append(sealed)
    rows: list[tuple[str | None, bytes | None]] = [(None, sealer.seal(t, context)) for t in texts]
    rows += [(None, blob) for blob in stuck]
    rng.shuffle(rows)
    await _rewrite(session, round_id, rows, rng)
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


async def answers(session: AsyncSession, round_id: int, sealer: Sealer) -> list[str]:
    """The round's answers, opened (in no meaningful order). `Unopenable` when any of them
    cannot be: all of a round's answers are posted, or none."""
    result = await session.execute(
        select(ReflectionAnswer.text, ReflectionAnswer.sealed).where(
            ReflectionAnswer.round_id == round_id
        )
    )
    context = _context(round_id)
    return [
        text or "" if sealed is None else sealer.open(sealed, context)
        for text, sealed in result.all()
    ]


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
    session: AsyncSession,
    round_: ReflectionRound,
    now: datetime,
    *,
    published: Sequence[str] | None,
    outcome: str = "discarded",
    rng: random.Random | None = None,
) -> None:
    """Close once: keep how many answered, forget who. `published`: the opened answers in
    the order they were posted, kept from now on as that plain text (the room reads them),
    under new random keys; None: the answers are deleted unread, for the reason `outcome`
    names (`discarded`: too few answered; `unopenable`: the key was lost). Raises
    ValueError when it is closed already."""
    if round_.closed_at is not None:
        raise ValueError(f"reflection round {round_.id} is closed already")
    round_.answered = await answered(session, round_.id)
    round_.closed_at = now
    round_.outcome = "published" if published is not None else outcome
    await session.execute(delete(ReflectionAsked).where(ReflectionAsked.round_id == round_.id))
    if published is None:
        await session.execute(
            delete(ReflectionAnswer).where(ReflectionAnswer.round_id == round_.id)
        )
    else:
        rows = [(text, None) for text in published]
        await _rewrite(session, round_.id, rows, rng or random.SystemRandom())
    await session.flush()


async def discard_in_left_rooms(
    session: AsyncSession, collective_ids: Iterable[int], now: datetime
) -> int:
    """Close the open rounds of rooms the bot has left once their time is up, as anywhere
    else, but unpublished (a left room cannot be posted to): how many answered is kept,
    their answers and who was asked are deleted. Returns the rounds closed."""
    ids = list(collective_ids)
    if not ids:
        return 0
    result = await session.execute(
        select(ReflectionRound).where(
            ReflectionRound.collective_id.in_(ids),
            ReflectionRound.closed_at.is_(None),
            ReflectionRound.closes_at <= now,
        )
    )
    rounds = list(result.scalars())
    for round_ in rounds:
        count = await session.scalar(
            select(func.count())
            .select_from(ReflectionAsked)
            .where(ReflectionAsked.round_id == round_.id, ReflectionAsked.parts > 0)
        )
        round_.answered = int(count or 0)
        round_.closed_at = now
        round_.outcome = "discarded"
        await session.execute(delete(ReflectionAsked).where(ReflectionAsked.round_id == round_.id))
        await session.execute(
            delete(ReflectionAnswer).where(ReflectionAnswer.round_id == round_.id)
        )
    await session.flush()
    return len(rounds)
