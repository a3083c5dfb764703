"""Native Matrix polls: the question and its options, who answered what while the poll is
open, and the counts that stay once it closes.

A response is kept as the member's id and the number of the option they chose, nothing
else (no event id, no time): the latest response of each member replaces the earlier one,
and an empty or spoiled one takes their answer back. `close` keeps the counts per option
and how many members answered of how many, and deletes the responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import next_number
from storage.types import UTCDateTime

MAX_OPTIONS = 20  # MSC3381: clients show at most 20 answers


class Poll(Base):
    """A poll posted as an `m.poll.start` event; `event_id` once the bot saw its own event
    come back. `on_close`: the key of the practice's handler told of the result (a poll
    opened by a practice, not by `!poll`), with its `ref` (e.g. a decision's number)."""

    __tablename__ = "polls"
    __table_args__ = (
        UniqueConstraint("collective_id", "number"),
        Index("ix_polls_collective_closed", "collective_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(255))  # None: a practice, or former
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(255))  # None: its time was up
    event_id: Mapped[str | None] = mapped_column(String(255), index=True)
    on_close: Mapped[str | None] = mapped_column(String(64))
    ref: Mapped[str | None] = mapped_column(String(255))
    answered: Mapped[int | None] = mapped_column(Integer)  # members who answered, at close
    members: Mapped[int | None] = mapped_column(Integer)  # members of the room, at close


class PollOption(Base):
    """One answer a poll offers, numbered from 1 (its id in the poll event is the number);
    `votes` is filled when the poll closes."""

    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)  # the option as written
    votes: Mapped[int | None] = mapped_column(Integer)


class PollResponse(Base):
    """A member's current answer to an open poll: who and which option, nothing more.
    Deleted when the poll closes; only the counts stay."""

    __tablename__ = "poll_responses"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    option: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Tally:
    """A poll's result: (number, text, votes) per option, in order; members who answered
    of how many there are."""

    options: tuple[tuple[int, str, int], ...]
    answered: int
    members: int


async def open_poll(
    session: AsyncSession,
    collective_id: int,
    question: str,
    options: Sequence[str],
    *,
    by: str | None,
    now: datetime,
    closes_at: datetime,
    on_close: str | None = None,
    ref: str | None = None,
) -> Poll:
    number = await next_number(session, Poll.number, Poll.collective_id, collective_id)
    poll = Poll(
        collective_id=collective_id,
        number=number,
        question=question,
        created_by=by,
        opened_at=now,
        closes_at=closes_at,
        on_close=on_close,
        ref=ref,
    )
    session.add(poll)
    await session.flush()
    session.add_all(
        PollOption(poll_id=poll.id, number=i, label=label) for i, label in enumerate(options, 1)
    )
    await session.flush()
    return poll


async def by_number(session: AsyncSession, collective_id: int, number: int) -> Poll | None:
    return await session.scalar(
        select(Poll).where(Poll.collective_id == collective_id, Poll.number == number)
    )


async def by_id(session: AsyncSession, poll_id: int) -> Poll | None:
    return await session.get(Poll, poll_id)


async def options(session: AsyncSession, poll_id: int) -> list[PollOption]:
    result = await session.scalars(
        select(PollOption).where(PollOption.poll_id == poll_id).order_by(PollOption.number)
    )
    return list(result)


async def open_polls(session: AsyncSession, collective_id: int) -> list[Poll]:
    result = await session.scalars(
        select(Poll)
        .where(Poll.collective_id == collective_id, Poll.closed_at.is_(None))
        .order_by(Poll.number)
    )
    return list(result)


async def due(session: AsyncSession, collective_id: int, now: datetime) -> list[Poll]:
    """Open polls whose time is up."""
    return [p for p in await open_polls(session, collective_id) if p.closes_at <= now]


async def saw_post(session: AsyncSession, collective_id: int, poll_id: int, event_id: str) -> None:
    """The bot's own poll event came back: keep its id (the first one seen)."""
    poll = await session.get(Poll, poll_id)
    if poll is not None and poll.collective_id == collective_id and poll.event_id is None:
        poll.event_id = event_id


async def at_event(session: AsyncSession, collective_id: int, event_id: str) -> Poll | None:
    """The collective's poll whose start event this is, if any."""
    return await session.scalar(
        select(Poll).where(Poll.collective_id == collective_id, Poll.event_id == event_id)
    )


async def answer(session: AsyncSession, poll_id: int, user_id: str, option: int | None) -> None:
    """A member's latest answer replaces the earlier one; None takes it back."""
    await session.execute(
        delete(PollResponse).where(PollResponse.poll_id == poll_id, PollResponse.user_id == user_id)
    )
    if option is not None:
        await session.execute(
            insert(PollResponse).values(poll_id=poll_id, user_id=user_id, option=option)
        )


async def responses(session: AsyncSession, poll_id: int) -> dict[str, int]:
    """Who answered what, while the poll is open: user id -> option number."""
    result = await session.execute(
        select(PollResponse.user_id, PollResponse.option).where(PollResponse.poll_id == poll_id)
    )
    return {user: option for user, option in result.all()}


async def close(
    session: AsyncSession,
    poll: Poll,
    now: datetime,
    members: set[str],
    *,
    by: str | None = None,
) -> Tally:
    """End the poll: the answers of those who are members now are counted and kept as
    counts, and the responses deleted."""
    chosen = {u: o for u, o in (await responses(session, poll.id)).items() if u in members}
    rows = await options(session, poll.id)
    counts = []
    for option in rows:
        option.votes = sum(1 for o in chosen.values() if o == option.number)
        counts.append((option.number, option.label, option.votes))
    poll.closed_at = now
    poll.closed_by = by
    poll.answered = len(chosen)
    poll.members = len(members)
    await session.execute(delete(PollResponse).where(PollResponse.poll_id == poll.id))
    return Tally(tuple(counts), len(chosen), len(members))


def tally_of(poll: Poll, rows: Sequence[PollOption]) -> Tally:
    """The kept result of a closed poll."""
    return Tally(
        tuple((o.number, o.label, o.votes or 0) for o in rows),
        poll.answered or 0,
        poll.members or 0,
    )
