"""The open task list and the labour ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class Task(Base):
    """A task on the collective's open list (added, claimed, or done and kept for reopening)."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("collective_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # open | claimed | done
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskCompletion(Base):
    """One line of the labour ledger: who did which task, of which kind, when."""

    __tablename__ = "task_completions"
    __table_args__ = (Index("ix_task_completions_collective_done", "collective_id", "done_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)


async def task(session: AsyncSession, collective_id: int, name: str) -> Task | None:
    result = await session.execute(
        select(Task).where(Task.collective_id == collective_id, Task.name == name)
    )
    return result.scalar_one_or_none()


async def open_tasks(session: AsyncSession, collective_id: int) -> list[Task]:
    result = await session.execute(
        select(Task)
        .where(Task.collective_id == collective_id, Task.status != "done")
        .order_by(Task.created_at, Task.id)
    )
    return list(result.scalars())


async def add_task(
    session: AsyncSession, collective_id: int, name: str, kind: str, by: str, now: datetime
) -> Task:
    row = Task(
        collective_id=collective_id,
        name=name,
        kind=kind,
        status="open",
        claimed_by=None,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def complete(
    session: AsyncSession, collective_id: int, name: str, kind: str, user_id: str, now: datetime
) -> None:
    session.add(
        TaskCompletion(
            collective_id=collective_id, name=name, kind=kind, user_id=user_id, done_at=now
        )
    )
    await session.flush()


async def completions(
    session: AsyncSession,
    collective_id: int,
    *,
    since: datetime | None = None,
    user_id: str | None = None,
    limit: int | None = None,
) -> list[TaskCompletion]:
    query = select(TaskCompletion).where(TaskCompletion.collective_id == collective_id)
    if since is not None:
        query = query.where(TaskCompletion.done_at >= since)
    if user_id is not None:
        query = query.where(TaskCompletion.user_id == user_id)
    query = query.order_by(TaskCompletion.done_at.desc(), TaskCompletion.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


async def counts_by_kind(
    session: AsyncSession, collective_id: int, since: datetime, user_id: str | None = None
) -> dict[str, int]:
    query = (
        select(TaskCompletion.kind, func.count())
        .where(TaskCompletion.collective_id == collective_id, TaskCompletion.done_at >= since)
        .group_by(TaskCompletion.kind)
    )
    if user_id is not None:
        query = query.where(TaskCompletion.user_id == user_id)
    return {kind: int(n) for kind, n in (await session.execute(query)).all()}


async def exercised(session: AsyncSession, collective_id: int, area: str) -> dict[str, int]:
    """Completed tasks whose name contains the area, counted per member."""
    pattern = "%" + area.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (
        select(TaskCompletion.user_id, func.count())
        .where(
            TaskCompletion.collective_id == collective_id,
            TaskCompletion.name.like(pattern, escape="\\"),
        )
        .group_by(TaskCompletion.user_id)
    )
    return {user: int(n) for user, n in (await session.execute(query)).all() if user is not None}


async def by_member_and_kind(
    session: AsyncSession, collective_id: int, start: datetime, end: datetime
) -> dict[str | None, dict[str, int]]:
    """Tasks logged in [start, end), per member (None: former members) and kind."""
    result = await session.execute(
        select(TaskCompletion.user_id, TaskCompletion.kind, func.count())
        .where(
            TaskCompletion.collective_id == collective_id,
            TaskCompletion.done_at >= start,
            TaskCompletion.done_at < end,
        )
        .group_by(TaskCompletion.user_id, TaskCompletion.kind)
    )
    out: dict[str | None, dict[str, int]] = {}
    for user, kind, n in result.all():
        out.setdefault(user, {})[kind] = int(n)
    return out
