"""Structural experiments: trials of a change in how the group works, each reviewed by a
proposal "keep, change or drop" when its time is up, with the proposal's result kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import next_number
from storage.types import UTCDateTime


class Experiment(Base):
    """A structural experiment (`!experiment`), numbered per collective. When its time is
    up a proposal "keep, change or drop" opens (`review_number`); its result is kept here
    once that proposal closes."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(Text)
    duration: Mapped[str] = mapped_column(String(8))  # as typed: 2w, 1m
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_number: Mapped[int | None] = mapped_column(Integer)  # the proposal #N
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A review by proposal (before keep/change/drop answers): adopted | rejected | withdrawn;
    # a review by answers: keep | change | drop | none (no answer, or a tie).
    result: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A review by answers (`!keep N`, `!change N <how>`, `!drop N`): open until this time,
    # then its outcome is recorded as decision #`review_number`.
    review_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_how: Mapped[str | None] = mapped_column(Text)  # the chosen change, for "change"
    follows: Mapped[int | None] = mapped_column(Integer)  # the experiment this one changes
    continued_as: Mapped[int | None] = mapped_column(Integer)  # the changed experiment


class ExperimentAnswer(Base):
    """One member's answer to an experiment's review: keep, change (with how) or drop. The
    latest answer counts; the room sees only counts until the review closes."""

    __tablename__ = "experiment_answers"
    __table_args__ = (UniqueConstraint("experiment_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    answer: Mapped[str] = mapped_column(String(8))  # keep | change | drop
    how: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


async def start(
    session: AsyncSession,
    collective_id: int,
    change: str,
    duration: str,
    by: str | None,
    now: datetime,
    ends_at: datetime,
) -> Experiment:
    """Record experiment #N."""
    row = Experiment(
        collective_id=collective_id,
        number=await next_number(
            session, Experiment.number, Experiment.collective_id, collective_id
        ),
        change=change,
        duration=duration,
        started_by=by,
        started_at=now,
        ends_at=ends_at,
    )
    session.add(row)
    await session.flush()
    return row


async def every(session: AsyncSession, collective_id: int) -> list[Experiment]:
    """All of the collective's experiments, newest first."""
    result = await session.execute(
        select(Experiment)
        .where(Experiment.collective_id == collective_id)
        .order_by(Experiment.number.desc())
    )
    return list(result.scalars())


async def by_number(session: AsyncSession, collective_id: int, number: int) -> Experiment | None:
    return await session.scalar(
        select(Experiment).where(
            Experiment.collective_id == collective_id, Experiment.number == number
        )
    )


async def set_answer(
    session: AsyncSession, e: Experiment, user_id: str, answer: str, how: str | None, now: datetime
) -> str | None:
    """Record a member's answer (replacing theirs); their earlier answer, if any."""
    row = await session.scalar(
        select(ExperimentAnswer).where(
            ExperimentAnswer.experiment_id == e.id, ExperimentAnswer.user_id == user_id
        )
    )
    if row is None:
        session.add(
            ExperimentAnswer(
                experiment_id=e.id, user_id=user_id, answer=answer, how=how, answered_at=now
            )
        )
        await session.flush()
        return None
    previous = row.answer
    row.answer, row.how, row.answered_at = answer, how, now
    return previous


async def answers(session: AsyncSession, experiment_id: int) -> list[ExperimentAnswer]:
    """A review's answers, in the order they were last given."""
    result = await session.execute(
        select(ExperimentAnswer)
        .where(ExperimentAnswer.experiment_id == experiment_id)
        .order_by(ExperimentAnswer.answered_at, ExperimentAnswer.id)
    )
    return list(result.scalars())


async def reviews_to_close(
    session: AsyncSession, collective_id: int, now: datetime
) -> list[Experiment]:
    """Reviews by answers whose time is up and whose outcome is not recorded."""
    result = await session.execute(
        select(Experiment)
        .where(
            Experiment.collective_id == collective_id,
            Experiment.review_closes_at.is_not(None),
            Experiment.review_closes_at <= now,
            Experiment.result.is_(None),
        )
        .order_by(Experiment.number)
    )
    return list(result.scalars())


async def due_reviews(session: AsyncSession, collective_id: int, now: datetime) -> list[Experiment]:
    """Experiments whose time is up and whose review has not been opened."""
    result = await session.execute(
        select(Experiment)
        .where(
            Experiment.collective_id == collective_id,
            Experiment.review_number.is_(None),
            Experiment.review_closes_at.is_(None),
            Experiment.ends_at <= now,
        )
        .order_by(Experiment.ends_at, Experiment.number)
    )
    return list(result.scalars())


async def under_review(session: AsyncSession, collective_id: int) -> list[Experiment]:
    """Experiments whose review proposal is open, as far as is recorded here."""
    result = await session.execute(
        select(Experiment)
        .where(
            Experiment.collective_id == collective_id,
            Experiment.review_number.is_not(None),
            Experiment.review_closes_at.is_(None),  # a review by proposal
            Experiment.result.is_(None),
        )
        .order_by(Experiment.number)
    )
    return list(result.scalars())
