"""The open task list and the labour ledger.

Joint work (`!task done flyers with @bob`) is one ledger line for each person who did it,
sharing a `joint_id`: a random key of that one piece of work, never a member's id. A task
or a ledger line may be tied to a decision (`for #N`): the decision's follow-through.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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

from storage.decisions import Decision
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
    # The decision this task carries out (`!task add <name> for #N`).
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="SET NULL"))


class TaskCompletion(Base):
    """One line of the labour ledger: who did which task, of which kind, when."""

    __tablename__ = "task_completions"
    __table_args__ = (
        Index("ix_task_completions_collective_done", "collective_id", "done_at"),
        Index("ix_task_completions_joint_id", "joint_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Lines of one piece of shared work share a random key (None: done alone).
    joint_id: Mapped[str | None] = mapped_column(String(32))
    # The decision this work carried out (`for #N`, or the listed task's).
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="SET NULL"))


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
    session: AsyncSession,
    collective_id: int,
    name: str,
    kind: str,
    by: str,
    now: datetime,
    decision_id: int | None = None,
) -> Task:
    row = Task(
        decision_id=decision_id,
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
    session: AsyncSession,
    collective_id: int,
    name: str,
    kind: str,
    user_id: str,
    now: datetime,
    *,
    partners: Sequence[str] = (),
    decision_id: int | None = None,
) -> str | None:
    """Log work: one line for `user_id`, and one for each partner (joint work, one random
    `joint_id` for all of them, the logger's line first). Returns the joint id, if any."""
    doers = [user_id, *(p for p in dict.fromkeys(partners) if p != user_id)]
    joint = secrets.token_hex(16) if len(doers) > 1 else None
    for doer in doers:
        session.add(
            TaskCompletion(
                collective_id=collective_id,
                name=name,
                kind=kind,
                user_id=doer,
                done_at=now,
                joint_id=joint,
                decision_id=decision_id,
            )
        )
    await session.flush()
    return joint


async def joint_doers(
    session: AsyncSession, joint_ids: Iterable[str]
) -> dict[str, list[str | None]]:
    """Who shared each piece of joint work (None: a former member), logger first."""
    wanted = sorted(set(joint_ids))
    out: dict[str, list[str | None]] = {j: [] for j in wanted}
    if not wanted:
        return out
    result = await session.execute(
        select(TaskCompletion.joint_id, TaskCompletion.user_id)
        .where(TaskCompletion.joint_id.in_(wanted))
        .order_by(TaskCompletion.id)
    )
    for joint, user in result.all():
        out[str(joint)].append(user)
    return out


async def decision_numbers(session: AsyncSession, decision_ids: Iterable[int]) -> dict[int, int]:
    """The #N members know each decision by."""
    wanted = sorted(set(decision_ids))
    if not wanted:
        return {}
    result = await session.execute(
        select(Decision.id, Decision.number).where(Decision.id.in_(wanted))
    )
    return {int(i): int(n) for i, n in result.all()}


async def joint_between(
    session: AsyncSession, collective_id: int, start: datetime, end: datetime
) -> tuple[int, dict[str | None, int]]:
    """Joint work logged in [start, end): how many pieces, and each member's share of the
    ledger lines that were joint (None: former members)."""
    result = await session.execute(
        select(TaskCompletion.user_id, TaskCompletion.joint_id).where(
            TaskCompletion.collective_id == collective_id,
            TaskCompletion.joint_id.is_not(None),
            TaskCompletion.done_at >= start,
            TaskCompletion.done_at < end,
        )
    )
    pieces: set[str] = set()
    each: dict[str | None, int] = {}
    for user, joint in result.all():
        pieces.add(str(joint))
        each[user] = each.get(user, 0) + 1
    return len(pieces), each


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


@dataclass(frozen=True)
class FollowThrough:
    """Adopted decisions, counted by whether a task is tied to them (done or open)."""

    with_task: int
    without_task: int


@dataclass(frozen=True)
class Progress:
    """The tasks tied to one decision: names done (oldest first) and still open."""

    done: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.done or self.open)


async def linked(session: AsyncSession, decision_ids: Iterable[int]) -> set[int]:
    """Which of these decisions have a task tied to them: listed (any state) or logged."""
    wanted = sorted(set(decision_ids))
    if not wanted:
        return set()
    tasks = select(Task.decision_id).where(Task.decision_id.in_(wanted))
    logged = select(TaskCompletion.decision_id).where(TaskCompletion.decision_id.in_(wanted))
    found = await session.execute(tasks.union(logged))
    return {int(d) for d in found.scalars() if d is not None}


async def follow_through(
    session: AsyncSession, collective_id: int, since: datetime, until: datetime
) -> FollowThrough:
    """Decisions adopted in [since, until) and still standing (not withdrawn), counted by
    whether any task is tied to them now."""
    adopted = list(
        (
            await session.execute(
                select(Decision.id).where(
                    Decision.collective_id == collective_id,
                    Decision.status == "adopted",
                    Decision.adopted_at >= since,
                    Decision.adopted_at < until,
                )
            )
        ).scalars()
    )
    tied = await linked(session, adopted)
    return FollowThrough(with_task=len(tied), without_task=len(adopted) - len(tied))


async def progress(session: AsyncSession, decision_id: int) -> Progress:
    """The follow-through of one decision: tasks done (logged for it, or a listed one
    marked done) and tasks on the list for it, each name once."""
    logged = await session.execute(
        select(TaskCompletion.name)
        .where(TaskCompletion.decision_id == decision_id)
        .order_by(TaskCompletion.done_at, TaskCompletion.id)
    )
    done = list(dict.fromkeys(logged.scalars()))
    listed = await session.execute(
        select(Task.name, Task.status)
        .where(Task.decision_id == decision_id)
        .order_by(Task.created_at, Task.id)
    )
    still: list[str] = []
    for name, status in listed.all():
        if status != "done":
            still.append(name)
        elif name not in done:
            done.append(name)
    return Progress(done=done, open=still)
