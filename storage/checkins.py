"""Campaigns and decompression check-ins: who was asked their capacity and what they
answered (green, yellow or red), the counts the room sees, and the rest week."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class Campaign(Base):
    """An intense campaign (`!campaign start` / `!campaign end`); a check-in follows its end."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Checkin(Base):
    """A decompression check-in: members are asked their capacity by DM; the room sees
    only the counts, kept here when it closes."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    green: Mapped[int | None] = mapped_column(Integer)
    yellow: Mapped[int | None] = mapped_column(Integer)
    red: Mapped[int | None] = mapped_column(Integer)
    unanswered: Mapped[int | None] = mapped_column(Integer)


class CheckinAnswer(Base):
    """A member asked in a check-in, and their answer (green, yellow or red) once given.
    Kept with their name, as rotation skips a red answer; deleted two weeks after the
    check-in closes."""

    __tablename__ = "checkin_answers"
    __table_args__ = (UniqueConstraint("checkin_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    answer: Mapped[str | None] = mapped_column(String(8))  # green | yellow | red


ANSWERS = ("green", "yellow", "red")
REST_WEEK = timedelta(days=7)


async def current_campaign(session: AsyncSession, collective_id: int) -> Campaign | None:
    result = await session.execute(
        select(Campaign)
        .where(Campaign.collective_id == collective_id, Campaign.ended_at.is_(None))
        .order_by(Campaign.started_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def start_campaign(
    session: AsyncSession, collective_id: int, name: str, now: datetime
) -> Campaign:
    row = Campaign(collective_id=collective_id, name=name, started_at=now)
    session.add(row)
    await session.flush()
    return row


async def awaiting_checkin(
    session: AsyncSession, collective_id: int, ended_before: datetime
) -> list[Campaign]:
    """Campaigns that ended at or before `ended_before` and have had no check-in yet."""
    had = select(Checkin.campaign_id).where(Checkin.campaign_id.is_not(None))
    result = await session.execute(
        select(Campaign)
        .where(
            Campaign.collective_id == collective_id,
            Campaign.ended_at.is_not(None),
            Campaign.ended_at <= ended_before,
            Campaign.id.not_in(had),
        )
        .order_by(Campaign.ended_at)
    )
    return list(result.scalars())


async def open_checkin(session: AsyncSession, collective_id: int) -> Checkin | None:
    result = await session.execute(
        select(Checkin)
        .where(Checkin.collective_id == collective_id, Checkin.closed_at.is_(None))
        .order_by(Checkin.opened_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def start_checkin(
    session: AsyncSession,
    collective_id: int,
    campaign_id: int | None,
    now: datetime,
    closes_at: datetime,
    asked: Iterable[str],
) -> Checkin:
    row = Checkin(
        collective_id=collective_id, campaign_id=campaign_id, opened_at=now, closes_at=closes_at
    )
    session.add(row)
    await session.flush()
    for user_id in sorted(set(asked)):
        session.add(CheckinAnswer(checkin_id=row.id, user_id=user_id))
    await session.flush()
    return row


async def asked(session: AsyncSession, checkin_id: int, user_id: str) -> CheckinAnswer | None:
    result = await session.execute(
        select(CheckinAnswer).where(
            CheckinAnswer.checkin_id == checkin_id, CheckinAnswer.user_id == user_id
        )
    )
    return result.scalar_one_or_none()


async def campaign(session: AsyncSession, campaign_id: int | None) -> Campaign | None:
    return None if campaign_id is None else await session.get(Campaign, campaign_id)


@dataclass(frozen=True)
class Counts:
    green: int
    yellow: int
    red: int
    unanswered: int


async def counts(session: AsyncSession, checkin_id: int) -> Counts:
    result = await session.execute(
        select(CheckinAnswer.answer).where(CheckinAnswer.checkin_id == checkin_id)
    )
    answers = list(result.scalars())
    return Counts(
        answers.count("green"), answers.count("yellow"), answers.count("red"), answers.count(None)
    )


async def due_to_close(session: AsyncSession, collective_id: int, now: datetime) -> list[Checkin]:
    result = await session.execute(
        select(Checkin)
        .where(
            Checkin.collective_id == collective_id,
            Checkin.closed_at.is_(None),
            Checkin.closes_at <= now,
        )
        .order_by(Checkin.opened_at)
    )
    return list(result.scalars())


async def close(session: AsyncSession, checkin: Checkin, now: datetime) -> Counts:
    """Close once and keep the counts. Raises ValueError when closed already."""
    if checkin.closed_at is not None:
        raise ValueError(f"check-in {checkin.id} is closed already")
    found = await counts(session, checkin.id)
    checkin.closed_at = now
    checkin.green, checkin.yellow, checkin.red = found.green, found.yellow, found.red
    checkin.unanswered = found.unanswered
    await session.flush()
    return found


async def prune(session: AsyncSession, collective_id: int, closed_before: datetime) -> None:
    """Each person's answer goes once its check-in has been closed a while; counts stay."""
    old = select(Checkin.id).where(
        Checkin.collective_id == collective_id, Checkin.closed_at < closed_before
    )
    await session.execute(delete(CheckinAnswer).where(CheckinAnswer.checkin_id.in_(old)))


@dataclass(frozen=True)
class RestWeek:
    campaign: str
    ended_at: datetime
    red: frozenset[str]  # members who answered red at a check-in since the campaign ended


async def rest_week(session: AsyncSession, collective_id: int, at: datetime) -> RestWeek | None:
    """The week after a campaign ended, if `at` falls in one (the latest such campaign)."""
    result = await session.execute(
        select(Campaign)
        .where(
            Campaign.collective_id == collective_id,
            Campaign.ended_at.is_not(None),
            Campaign.ended_at <= at,
            Campaign.ended_at > at - REST_WEEK,
        )
        .order_by(Campaign.ended_at.desc())
        .limit(1)
    )
    found = result.scalar_one_or_none()
    if found is None or found.ended_at is None:
        return None
    red = await session.execute(
        select(CheckinAnswer.user_id)
        .join(Checkin, Checkin.id == CheckinAnswer.checkin_id)
        .where(
            Checkin.collective_id == collective_id,
            Checkin.opened_at >= found.ended_at,
            Checkin.opened_at <= at,
            CheckinAnswer.answer == "red",
        )
    )
    return RestWeek(found.name, found.ended_at, frozenset(red.scalars()))


async def close_in_left_rooms(
    session: AsyncSession, collective_ids: Sequence[int], now: datetime
) -> int:
    """Rooms the bot has left: each open check-in closes when its time is up, as anywhere
    else, keeping its counts (never posted: a left room cannot be posted to); who answered
    what goes at once, as no rotation there will need it. Returns the check-ins closed."""
    if not collective_ids:
        return 0
    result = await session.execute(
        select(Checkin)
        .where(
            Checkin.collective_id.in_(collective_ids),
            Checkin.closed_at.is_(None),
            Checkin.closes_at <= now,
        )
        .order_by(Checkin.opened_at)
    )
    found = list(result.scalars())
    for checkin in found:
        await close(session, checkin, now)
    closed = select(Checkin.id).where(
        Checkin.collective_id.in_(collective_ids), Checkin.closed_at.is_not(None)
    )
    await session.execute(delete(CheckinAnswer).where(CheckinAnswer.checkin_id.in_(closed)))
    await session.flush()
    return len(found)
