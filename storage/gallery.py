"""Gallery walks: patterns posted one message each, members' dots on them while the walk is
open, and the counts that stay once it ends.

A dot is kept with who put it and the reaction's event id only while its walk is open:
the id so that a removed reaction is taken back, who so that one member counts once per
colour per pattern. `close` keeps the counts and deletes the dots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class GalleryWalk(Base):
    """A silent gallery walk (circle of shadows): the month's patterns posted one message
    each, marked by members with reactions until `ends_at`; one open walk per collective.
    `reactors` is how many members put at least one dot, kept when it ends."""

    __tablename__ = "gallery_walks"
    __table_args__ = (Index("ix_gallery_walks_collective_ended", "collective_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: the schedule, or former
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(255))  # None: its time was up
    reactors: Mapped[int | None] = mapped_column(Integer)


class GalleryPattern(Base):
    """One pattern of a walk: the bot's own sentence about the group (aggregates, no
    names), the event id of its message once the bot saw it, and the counts at the end."""

    __tablename__ = "gallery_patterns"
    __table_args__ = (UniqueConstraint("walk_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    walk_id: Mapped[int] = mapped_column(ForeignKey("gallery_walks.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(255), index=True)
    red: Mapped[int | None] = mapped_column(Integer)
    blue: Mapped[int | None] = mapped_column(Integer)
    green: Mapped[int | None] = mapped_column(Integer)


class GalleryMark(Base):
    """A dot on a pattern while its walk is open: who, which colour, and the reaction's
    event id (so a removed reaction is taken back). Deleted when the walk ends; only the
    counts stay."""

    __tablename__ = "gallery_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pattern_id: Mapped[int] = mapped_column(
        ForeignKey("gallery_patterns.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(255))
    colour: Mapped[str] = mapped_column(String(8))  # red | blue | green
    event_id: Mapped[str] = mapped_column(String(255), unique=True)


COLOURS = ("red", "blue", "green")


async def open_walk(session: AsyncSession, collective_id: int) -> GalleryWalk | None:
    """The collective's walk that has not ended, if any (there is at most one)."""
    return await session.scalar(
        select(GalleryWalk)
        .where(GalleryWalk.collective_id == collective_id, GalleryWalk.ended_at.is_(None))
        .order_by(GalleryWalk.id)
        .limit(1)
    )


async def start(
    session: AsyncSession,
    collective_id: int,
    *,
    by: str | None,
    scheduled: bool,
    first: date,
    last: date,
    now: datetime,
    ends_at: datetime,
    patterns: Sequence[tuple[str, str]],
) -> tuple[GalleryWalk, list[GalleryPattern]]:
    """Open a walk with its patterns, (title, statement) each, numbered from 1."""
    walk = GalleryWalk(
        collective_id=collective_id,
        started_by=by,
        scheduled=scheduled,
        period_first=first,
        period_last=last,
        started_at=now,
        ends_at=ends_at,
    )
    session.add(walk)
    await session.flush()
    rows = [
        GalleryPattern(walk_id=walk.id, number=n, title=title[:64], statement=statement)
        for n, (title, statement) in enumerate(patterns, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    return walk, rows


async def patterns(session: AsyncSession, walk_id: int) -> list[GalleryPattern]:
    result = await session.execute(
        select(GalleryPattern)
        .where(GalleryPattern.walk_id == walk_id)
        .order_by(GalleryPattern.number)
    )
    return list(result.scalars())


async def saw_post(
    session: AsyncSession, collective_id: int, walk_id: int, number: int, event_id: str
) -> bool:
    """The event id of a pattern's message, seen back in the timeline; the first one seen
    stays. False when no such pattern is in this collective."""
    pattern = await session.scalar(
        select(GalleryPattern)
        .join(GalleryWalk, GalleryWalk.id == GalleryPattern.walk_id)
        .where(
            GalleryWalk.collective_id == collective_id,
            GalleryPattern.walk_id == walk_id,
            GalleryPattern.number == number,
        )
    )
    if pattern is None:
        return False
    if pattern.event_id is None:
        pattern.event_id = event_id
        await session.flush()
    return True


async def pattern_at(
    session: AsyncSession, collective_id: int, event_id: str
) -> tuple[GalleryPattern, GalleryWalk] | None:
    """The pattern whose message is this event, with its walk, in this collective."""
    found = await session.execute(
        select(GalleryPattern, GalleryWalk)
        .join(GalleryWalk, GalleryWalk.id == GalleryPattern.walk_id)
        .where(GalleryWalk.collective_id == collective_id, GalleryPattern.event_id == event_id)
        .limit(1)
    )
    row = found.first()
    return (row[0], row[1]) if row is not None else None


async def add_mark(
    session: AsyncSession, pattern_id: int, user_id: str, colour: str, event_id: str
) -> bool:
    """Keep a dot (once per reaction event); False when this reaction was kept before."""
    if colour not in COLOURS:
        raise ValueError(f"unknown colour {colour!r}")
    known = await session.scalar(select(GalleryMark.id).where(GalleryMark.event_id == event_id))
    if known is not None:
        return False
    session.add(
        GalleryMark(pattern_id=pattern_id, user_id=user_id, colour=colour, event_id=event_id)
    )
    await session.flush()
    return True


async def remove_mark(
    session: AsyncSession, collective_id: int, event_id: str, by: str, may_redact_others: bool
) -> bool:
    """Take back the dot of a removed (redacted) reaction, while its walk is open: when
    whoever put it removed it, or someone with the room's power to remove others' events."""
    found = await session.execute(
        select(GalleryMark)
        .join(GalleryPattern, GalleryPattern.id == GalleryMark.pattern_id)
        .join(GalleryWalk, GalleryWalk.id == GalleryPattern.walk_id)
        .where(
            GalleryMark.event_id == event_id,
            GalleryWalk.collective_id == collective_id,
            GalleryWalk.ended_at.is_(None),
        )
    )
    mark = found.scalar_one_or_none()
    if mark is None or (mark.user_id != by and not may_redact_others):
        return False
    await session.delete(mark)
    await session.flush()
    return True


async def due(session: AsyncSession, collective_id: int, now: datetime) -> list[GalleryWalk]:
    """Open walks whose time is up."""
    result = await session.execute(
        select(GalleryWalk)
        .where(
            GalleryWalk.collective_id == collective_id,
            GalleryWalk.ended_at.is_(None),
            GalleryWalk.ends_at <= now,
        )
        .order_by(GalleryWalk.id)
    )
    return list(result.scalars())


async def close(
    session: AsyncSession, walk: GalleryWalk, now: datetime, by: str | None = None
) -> list[GalleryPattern]:
    """End the walk: each pattern keeps how many members put each colour on it (each
    member once per colour), the walk how many members put any dot; the dots are deleted.
    Returns the patterns. Raises ValueError for a walk that has already ended."""
    if walk.ended_at is not None:
        raise ValueError("this gallery walk has already ended")
    found = await patterns(session, walk.id)
    ids = [p.id for p in found]
    counted: dict[tuple[int, str], int] = {}
    reactors = 0
    if ids:
        result = await session.execute(
            select(
                GalleryMark.pattern_id,
                GalleryMark.colour,
                func.count(GalleryMark.user_id.distinct()),
            )
            .where(GalleryMark.pattern_id.in_(ids))
            .group_by(GalleryMark.pattern_id, GalleryMark.colour)
        )
        counted = {(pattern_id, colour): int(n) for pattern_id, colour, n in result.all()}
        reactors = int(
            await session.scalar(
                select(func.count(GalleryMark.user_id.distinct())).where(
                    GalleryMark.pattern_id.in_(ids)
                )
            )
            or 0
        )
        await session.execute(delete(GalleryMark).where(GalleryMark.pattern_id.in_(ids)))
    for p in found:
        p.red = counted.get((p.id, "red"), 0)
        p.blue = counted.get((p.id, "blue"), 0)
        p.green = counted.get((p.id, "green"), 0)
    walk.ended_at = now
    walk.ended_by = by
    walk.reactors = reactors
    await session.flush()
    return found


async def close_in_left_rooms(
    session: AsyncSession, collective_ids: Sequence[int], now: datetime
) -> int:
    """Rooms the bot has left: each open walk ends when its time is up, as anywhere else;
    its dots are deleted and only the counts stay (nothing is posted: a left room cannot
    be posted to). Returns the walks ended."""
    if not collective_ids:
        return 0
    result = await session.execute(
        select(GalleryWalk)
        .where(
            GalleryWalk.collective_id.in_(collective_ids),
            GalleryWalk.ended_at.is_(None),
            GalleryWalk.ends_at <= now,
        )
        .order_by(GalleryWalk.id)
    )
    walks = list(result.scalars())
    for walk in walks:
        await close(session, walk, now)
    return len(walks)
