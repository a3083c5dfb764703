"""Airtime counters: messages and words per member per local day. Bodies are never seen here."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage import bulk, events
from storage.models import Base
from storage.types import UTCDateTime


class AirtimeDay(Base):
    """Messages and words one member sent in one collective on one local day. No bodies."""

    __tablename__ = "airtime_days"
    __table_args__ = (UniqueConstraint("collective_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    words: Mapped[int] = mapped_column(Integer, default=0)


class CountedMessage(Base):
    """Which event was counted where, so a redaction can be uncounted (kept 30 days; no body)."""

    __tablename__ = "counted_messages"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    words: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


REDACTED = -1  # `words` of a marker for a redaction that arrived before its message

# session.info keys: the batch's event ids looked up in counted_messages (the first time
# one of them is counted, all at once), those of them not counted, and the day rows read
# or made so far.
_LOOKED_UP = "airtime.looked_up"
_UNCOUNTED = "airtime.uncounted"
_DAYS = "airtime.days"


async def _counted(session: AsyncSession, event_id: str) -> CountedMessage | None:
    """The event's counted row, if any; for an event of the batch, from one lookup of all
    of them (a backlog is checked in a statement per 500 events, not one per event)."""
    batch = session.info.get(events.BATCH)
    if batch and event_id in batch:
        looked_up: set[str] = session.info.setdefault(_LOOKED_UP, set())
        uncounted: set[str] = session.info.setdefault(_UNCOUNTED, set())
        if event_id not in looked_up:
            ids = list(batch - looked_up)
            looked_up.update(ids)
            uncounted.update(ids)
            for i in range(0, len(ids), events.CHUNK):
                result = await session.execute(
                    select(CountedMessage).where(
                        CountedMessage.event_id.in_(ids[i : i + events.CHUNK])
                    )
                )
                uncounted.difference_update(row.event_id for row in result.scalars())
        if event_id in uncounted:
            return None
    return await session.get(CountedMessage, event_id)


def _add_counted(session: AsyncSession, row: CountedMessage) -> None:
    session.info.get(_UNCOUNTED, set()).discard(row.event_id)
    session.add(row)


async def count(
    session: AsyncSession,
    collective_id: int,
    event_id: str,
    user_id: str,
    day: date,
    words: int,
    now: datetime,
) -> bool:
    """Add one message; False when this event was already counted (or redacted before)."""
    seen = await _counted(session, event_id)
    if seen is not None:
        stray = seen.words == REDACTED and (
            seen.collective_id != collective_id or seen.user_id not in ("", user_id)
        )
        if not stray:
            return False
        await session.delete(seen)  # a redaction by someone who could not redact it
        await session.flush()
    _add_counted(
        session,
        CountedMessage(
            event_id=event_id,
            collective_id=collective_id,
            user_id=user_id,
            day=day,
            words=words,
            counted_at=now,
        ),
    )
    await _bump(session, collective_id, user_id, day, 1, words)
    return True


async def uncount(
    session: AsyncSession,
    collective_id: int,
    event_id: str,
    redacter: str,
    any_sender: bool,
    today: date,
    now: datetime,
) -> bool:
    """Take a redacted message back out; False when it was not counted (or too long ago),
    when it was counted in another room, or when the redacter neither sent it nor may
    redact others' messages (`any_sender`).

    A redaction seen before its message (across a timeline gap) leaves a marker with
    no words, so the message is not counted when it turns up."""
    counted = await _counted(session, event_id)
    if counted is None:
        _add_counted(
            session,
            CountedMessage(
                event_id=event_id,
                collective_id=collective_id,
                user_id="" if any_sender else redacter,
                day=today,
                words=REDACTED,
                counted_at=now,
            ),
        )
        await session.flush()
        return False
    if counted.words == REDACTED or counted.collective_id != collective_id:
        return False
    if counted.user_id != redacter and not any_sender:
        return False
    await _bump(session, counted.collective_id, counted.user_id, counted.day, -1, -counted.words)
    await session.delete(counted)
    await session.flush()
    return True


async def _bump(
    session: AsyncSession, collective_id: int, user_id: str, day: date, messages: int, words: int
) -> None:
    """Add to a member's day. The row is read once per transaction and summed in memory;
    its `UPDATE` (one per member and day) goes with the next flush."""
    days: dict[tuple[int, str, date], AirtimeDay] = session.info.setdefault(_DAYS, {})
    key = (collective_id, user_id, day)
    row = days.get(key)
    if row is None or not bulk.fresh(row):
        result = await session.execute(
            select(AirtimeDay).where(
                AirtimeDay.collective_id == collective_id,
                AirtimeDay.user_id == user_id,
                AirtimeDay.day == day,
            )
        )
        row = result.scalar_one_or_none()
        if row is None:
            row = AirtimeDay(
                collective_id=collective_id, user_id=user_id, day=day, messages=0, words=0
            )
            session.add(row)
        days[key] = row
    row.messages = max(row.messages + messages, 0)
    row.words = max(row.words + words, 0)


async def totals(
    session: AsyncSession, collective_id: int, first: date, last: date
) -> dict[str, tuple[int, int]]:
    """Per member: (messages, words) over the days first..last inclusive."""
    result = await session.execute(
        select(AirtimeDay.user_id, func.sum(AirtimeDay.messages), func.sum(AirtimeDay.words))
        .where(
            AirtimeDay.collective_id == collective_id,
            AirtimeDay.day >= first,
            AirtimeDay.day <= last,
        )
        .group_by(AirtimeDay.user_id)
    )
    return {user: (int(m or 0), int(w or 0)) for user, m, w in result.all()}


async def prune_counted(session: AsyncSession, before: datetime) -> None:
    """Forget which events were counted once they are too old to be worth uncounting."""
    await session.execute(delete(CountedMessage).where(CountedMessage.counted_at < before))
