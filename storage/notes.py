"""Meeting notes (`!note`, `!notes`), numbered #N per collective.

Deleting a note (through the two-member rule) blanks its text and keeps a tombstone:
its row with `deleted_at` and `deleted_by` set, so numbers stay stable and the log can
say that a note was removed, by whom and when (never what it said); the reading
queries leave deleted notes out unless asked. Every function is async and takes
the session first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import forget_in, next_number
from storage.types import UTCDateTime


class Note(Base):
    """A meeting note (`!note`), numbered per collective. Erasing one blanks its text and
    keeps a tombstone: its number, when it was taken, who erased it and when."""

    __tablename__ = "notes"
    __table_args__ = (
        UniqueConstraint("collective_id", "number"),
        Index("ix_notes_collective_at", "collective_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    author: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    text: Mapped[str] = mapped_column(Text)  # "" once erased
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(255))  # who seconded the erasure


async def add(
    session: AsyncSession,
    collective_id: int,
    text: str,
    author: str | None,
    now: datetime,
    *,
    meeting_id: int | None = None,
) -> Note:
    """Note #N; `meeting_id` links it to the meeting running, if any."""
    row = Note(
        collective_id=collective_id,
        number=await next_number(session, Note.number, Note.collective_id, collective_id),
        meeting_id=meeting_id,
        author=author,
        text=text,
        at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def by_number(session: AsyncSession, collective_id: int, number: int) -> Note | None:
    """The note #N, deleted or not (check `deleted_at`)."""
    return await session.scalar(
        select(Note).where(Note.collective_id == collective_id, Note.number == number)
    )


async def by_id(session: AsyncSession, collective_id: int, note_id: int) -> Note | None:
    """The note with this row id, only if it belongs to the collective; deleted or not."""
    return await session.scalar(
        select(Note).where(Note.collective_id == collective_id, Note.id == note_id)
    )


async def since(
    session: AsyncSession,
    collective_id: int,
    since: datetime | None = None,
    *,
    until: datetime | None = None,
    limit: int | None = None,
    include_deleted: bool = False,
) -> list[Note]:
    """Notes in [since, until), oldest first; with `limit`, only the latest that many.

    No `since`: from the first note (the export).
    """
    query = select(Note).where(Note.collective_id == collective_id)
    if since is not None:
        query = query.where(Note.at >= since)
    if until is not None:
        query = query.where(Note.at < until)
    if not include_deleted:
        query = query.where(Note.deleted_at.is_(None))
    query = query.order_by(Note.at.desc(), Note.number.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(reversed((await session.execute(query)).scalars().all()))


async def by_meeting(
    session: AsyncSession, meeting_id: int, *, include_deleted: bool = False
) -> list[Note]:
    """The notes taken during one meeting, oldest first."""
    query = select(Note).where(Note.meeting_id == meeting_id)
    if not include_deleted:
        query = query.where(Note.deleted_at.is_(None))
    result = await session.execute(query.order_by(Note.at, Note.number))
    return list(result.scalars())


async def delete(session: AsyncSession, note: Note, now: datetime, *, by: str | None) -> bool:
    """Erase the note: its text is blanked, a tombstone (number, who erased it, when)
    stays. False if it was erased already."""
    if note.deleted_at is not None:
        return False
    note.text = ""
    note.deleted_at = now
    note.deleted_by = by
    await session.flush()
    return True


async def forget(session: AsyncSession, user_id: str, collective_id: int | None = None) -> int:
    """`!forgetme`: notes keep their text, their author (and whoever erased one) becomes
    "a former member"."""
    changed = 0
    for column in (Note.author, Note.deleted_by):
        changed += await forget_in(session, column, user_id, Note.collective_id, collective_id)
    return changed
