"""Roles, their terms (the history rotation reads), pending swaps, and members' absences."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Member
from storage.types import UTCDateTime


class Role(Base):
    """A bounded role: a scope, a term length, and a holder that rotates."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("collective_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(Text, default="")
    term: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoleTerm(Base):
    """One member's term in a role; the open one (no `ended_at`) is the current holder."""

    __tablename__ = "role_terms"
    __table_args__ = (Index("ix_role_terms_role_started", "role_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member (ended)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    how: Mapped[str] = mapped_column(String(16))  # rotation | draw | claim | swap
    handover_notes: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoleSwap(Base):
    """A proposed hand-over of a role, waiting for the other member's `!accept`."""

    __tablename__ = "role_swaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    from_user: Mapped[str] = mapped_column(String(255))  # who gives the role up
    to_user: Mapped[str] = mapped_column(String(255))  # who takes it
    asked_by: Mapped[str] = mapped_column(String(255))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


async def all_roles(session: AsyncSession, collective_id: int) -> list[Role]:
    result = await session.execute(
        select(Role).where(Role.collective_id == collective_id).order_by(Role.id)
    )
    return list(result.scalars())


async def role(session: AsyncSession, collective_id: int, name: str) -> Role | None:
    result = await session.execute(
        select(Role).where(Role.collective_id == collective_id, Role.name == name)
    )
    return result.scalar_one_or_none()


async def add_role(
    session: AsyncSession,
    collective_id: int,
    name: str,
    term: str,
    scope: str,
    by: str | None,
    now: datetime,
) -> Role:
    row = Role(
        collective_id=collective_id,
        name=name,
        term=term,
        scope=scope,
        created_by=by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def current_term(session: AsyncSession, role_id: int) -> RoleTerm | None:
    result = await session.execute(
        select(RoleTerm)
        .where(RoleTerm.role_id == role_id, RoleTerm.ended_at.is_(None))
        .order_by(RoleTerm.started_at.desc(), RoleTerm.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def current_terms(session: AsyncSession, role_ids: list[int]) -> dict[int, RoleTerm]:
    """Each role's open term (as `current_term` picks it) in one statement: `!roles` and
    the rotation read all of a collective's roles at once."""
    if not role_ids:
        return {}
    result = await session.execute(
        select(RoleTerm)
        .where(RoleTerm.role_id.in_(role_ids), RoleTerm.ended_at.is_(None))
        .order_by(RoleTerm.started_at, RoleTerm.id)
    )
    return {term.role_id: term for term in result.scalars()}  # the latest one wins


async def last_term(session: AsyncSession, role_id: int) -> RoleTerm | None:
    result = await session.execute(
        select(RoleTerm)
        .where(RoleTerm.role_id == role_id)
        .order_by(RoleTerm.started_at.desc(), RoleTerm.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def start_term(
    session: AsyncSession, role_id: int, user_id: str, start: datetime, ends: datetime, how: str
) -> RoleTerm:
    row = RoleTerm(role_id=role_id, user_id=user_id, started_at=start, ends_at=ends, how=how)
    session.add(row)
    await session.flush()
    return row


async def history(
    session: AsyncSession, role_id: int, since: datetime
) -> dict[str, tuple[int, datetime]]:
    """Per member: terms of this role since `since`, and the start of their latest.

    A term is the stretch up to one nominal end; swaps inside it keep that end. It
    counts once, for whoever held it longest (the spec's rule: however short a stretch
    they held it, someone served it). An open term counts as held to its end.
    """
    result = await session.execute(
        select(RoleTerm).where(RoleTerm.role_id == role_id, RoleTerm.started_at >= since)
    )
    stretches: dict[datetime, list[RoleTerm]] = {}
    for term in result.scalars():
        stretches.setdefault(term.ends_at, []).append(term)
    out: dict[str, tuple[int, datetime]] = {}
    for end, terms in stretches.items():
        held: dict[str, timedelta] = {}
        started: dict[str, datetime] = {}
        for t in terms:
            if t.user_id is None:  # a former member's term counts for nobody now
                continue
            stop = min(t.ended_at or end, end)
            held[t.user_id] = held.get(t.user_id, timedelta()) + max(
                stop - t.started_at, timedelta()
            )
            started[t.user_id] = max(started.get(t.user_id, t.started_at), t.started_at)
        if not held:
            continue
        user = max(held, key=lambda u: (held[u], started[u]))
        if not held[user]:  # released the moment it began: nobody held it
            continue
        count, latest = out.get(user, (0, started[user]))
        out[user] = (count + 1, max(latest, started[user]))
    return out


async def notes_for_this_term(
    session: AsyncSession, role_id: int, exclude_id: int | None = None
) -> RoleTerm | None:
    """The handover notes left for whoever takes the role now: those of its latest term
    (a swap inside a term keeps its end, so any term of that stretch), never older ones.
    `exclude_id`: a term that has just started (the taker's own)."""
    query = select(RoleTerm).where(RoleTerm.role_id == role_id)
    if exclude_id is not None:
        query = query.where(RoleTerm.id != exclude_id)
    last = await session.scalar(
        query.order_by(RoleTerm.started_at.desc(), RoleTerm.id.desc()).limit(1)
    )
    if last is None:
        return None
    return await session.scalar(
        query.where(RoleTerm.ends_at == last.ends_at, RoleTerm.handover_notes.is_not(None))
        .order_by(RoleTerm.started_at.desc(), RoleTerm.id.desc())
        .limit(1)
    )


async def first_start(session: AsyncSession, role_id: int) -> datetime | None:
    term = await session.scalar(
        select(RoleTerm).where(RoleTerm.role_id == role_id).order_by(RoleTerm.started_at).limit(1)
    )
    return term.started_at if term is not None else None


async def open_terms(session: AsyncSession, collective_id: int) -> list[RoleTerm]:
    result = await session.execute(
        select(RoleTerm)
        .join(Role, Role.id == RoleTerm.role_id)
        .where(Role.collective_id == collective_id, RoleTerm.ended_at.is_(None))
    )
    return list(result.scalars())


async def pending_swaps(session: AsyncSession, role_id: int) -> list[RoleSwap]:
    result = await session.execute(
        select(RoleSwap)
        .where(RoleSwap.role_id == role_id, RoleSwap.resolved_at.is_(None))
        .order_by(RoleSwap.asked_at)
    )
    return list(result.scalars())


async def swaps_awaiting(session: AsyncSession, collective_id: int, user_id: str) -> list[RoleSwap]:
    """Swaps the member has been asked to accept (they are not the one who asked)."""
    result = await session.execute(
        select(RoleSwap)
        .join(Role, Role.id == RoleSwap.role_id)
        .where(
            Role.collective_id == collective_id,
            RoleSwap.resolved_at.is_(None),
            RoleSwap.asked_by != user_id,
            (RoleSwap.from_user == user_id) | (RoleSwap.to_user == user_id),
        )
        .order_by(RoleSwap.asked_at)
    )
    return list(result.scalars())


async def add_swap(
    session: AsyncSession, role_id: int, from_user: str, to_user: str, asked_by: str, now: datetime
) -> RoleSwap:
    row = RoleSwap(
        role_id=role_id, from_user=from_user, to_user=to_user, asked_by=asked_by, asked_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def member(session: AsyncSession, collective_id: int, user_id: str) -> Member | None:
    result = await session.execute(
        select(Member).where(Member.collective_id == collective_id, Member.user_id == user_id)
    )
    return result.scalar_one_or_none()


async def terms_between(
    session: AsyncSession, collective_id: int, start: datetime, end: datetime
) -> list[tuple[str, str | None]]:
    """(role name, member) for every term that overlapped [start, end); None is a
    former member."""
    result = await session.execute(
        select(Role.name, RoleTerm.user_id)
        .join(RoleTerm, RoleTerm.role_id == Role.id)
        .where(
            Role.collective_id == collective_id,
            RoleTerm.started_at < end,
            func.coalesce(RoleTerm.ended_at, RoleTerm.ends_at) > start,
        )
        .order_by(Role.id, RoleTerm.started_at)
    )
    return [(name, user) for name, user in result.all()]


async def last_starts_before(
    session: AsyncSession, role_id: int, before: datetime
) -> list[datetime]:
    """Each member's latest term start of this role before a moment."""
    result = await session.execute(
        select(func.max(RoleTerm.started_at))
        .where(RoleTerm.role_id == role_id, RoleTerm.started_at < before)
        .group_by(RoleTerm.user_id)
    )
    return [t for t in result.scalars() if t is not None]


async def terms_of(session: AsyncSession, role_id: int, limit: int) -> list[RoleTerm]:
    """A role's latest terms, newest first (`!role history`)."""
    result = await session.execute(
        select(RoleTerm)
        .where(RoleTerm.role_id == role_id)
        .order_by(RoleTerm.started_at.desc(), RoleTerm.id.desc())
        .limit(limit)
    )
    return list(result.scalars())
