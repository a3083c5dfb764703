"""Everything kept about one person (`!mydata`), and erasing it (`!forgetme`), both built
from the declaration in `storage.personal_data` and both limited to the collectives the
person is or was a member of. Members are found by user id only: never by a name.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit, decisions, direct, seconds
from storage.models import (
    Collective,
    EntrySprint,
    ForgetRequest,
    Member,
    OutboxMessage,
    ReflectionAsked,
    RoleTerm,
    SecondRequest,
    Task,
)
from storage.numbering import rowcount
from storage.personal_data import (
    DECLARED,
    PARENTS,
    UNSCOPED,
    Forget,
    Holds,
    by_model,
    in_collectives,
)

FORMER = "a former member"

# Read through their own query (audit.about), or shown from the member row itself.
_APART = {Member, *(h.model for h in DECLARED if h.name.startswith("audit_"))}


@dataclass
class InCollective:
    """What one collective's tables hold about the person: rows per table (with the chain of
    records each belongs to, nearest first) and the audit entries that name them."""

    collective: Collective
    member: Member | None
    rows: dict[str, list[tuple[Any, tuple[Any, ...]]]] = field(default_factory=dict)
    audit: list[audit.Entry] = field(default_factory=list)

    def of(self, table: str) -> list[tuple[Any, tuple[Any, ...]]]:
        return self.rows.get(table, [])


@dataclass
class Personal:
    user_id: str
    chats: list[Any]  # one per bot account of the host that wrote to them
    forget_pending: datetime | None
    collectives: list[InCollective]
    undelivered: int = 0  # direct messages to them still queued


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.execute(query)).scalars())


async def scope(session: AsyncSession, user_id: str) -> list[Collective]:
    """The groups (not direct chats) the person is or was a member of."""
    return await _rows(
        session,
        select(Collective)
        .join(Member, Member.collective_id == Collective.id)
        .where(Member.user_id == user_id, Collective.is_direct.is_(False))
        .order_by(Collective.id),
    )


async def _parents(session: AsyncSession, model: Any, row: Any) -> tuple[Any, ...]:
    chain: list[Any] = []
    while model in PARENTS:
        link, parent = PARENTS[model]
        row = await session.get(parent, getattr(row, link.key))
        if row is None:
            break
        chain.append(row)
        model = parent
    return tuple(chain)


async def about(session: AsyncSession, user_id: str) -> Personal:
    """Everything stored about `user_id`, per collective they are or were in."""
    out: list[InCollective] = []
    for c in await scope(session, user_id):
        member = await session.scalar(
            select(Member).where(Member.collective_id == c.id, Member.user_id == user_id)
        )
        here = InCollective(collective=c, member=member)
        for model, holds in by_model().items():
            if model in UNSCOPED or model in _APART:
                continue
            found = await _rows(
                session,
                select(model)
                .where(or_(*(h.column == user_id for h in holds)), in_collectives(model, [c.id]))
                .order_by(*model.__mapper__.primary_key),
            )
            if found:
                here.rows[model.__tablename__] = [
                    (row, await _parents(session, model, row)) for row in found
                ]
        here.audit = await audit.about(session, c.id, user_id)
        out.append(here)
    pending = await session.get(ForgetRequest, user_id)
    queued = await _rows(
        session, select(OutboxMessage.id).where(OutboxMessage.direct_to == user_id)
    )
    return Personal(
        user_id=user_id,
        chats=await direct.chats(session, user_id),
        forget_pending=pending.expires_at if pending else None,
        collectives=out,
        undelivered=len(queued),
    )


# --- !forgetme ---------------------------------------------------------------------------


async def ask_to_forget(session: AsyncSession, user_id: str, expires_at: datetime) -> None:
    found = await session.get(ForgetRequest, user_id)
    if found is None:
        session.add(ForgetRequest(user_id=user_id, expires_at=expires_at))
        await session.flush()
    else:
        found.expires_at = expires_at


async def may_forget(session: AsyncSession, user_id: str, now: datetime) -> bool:
    """Whether the person asked within the confirmation window."""
    found = await session.get(ForgetRequest, user_id)
    return found is not None and found.expires_at > now


async def forget(
    session: AsyncSession, user_id: str, now: datetime, rng: random.Random
) -> dict[str, int]:
    """Erase the person in the collectives they are or were in (and their direct chats);
    returns what changed, by the declaration's plain words."""
    done: dict[str, int] = {}

    def count(what: str, n: int) -> None:
        if n:
            done[what] = done.get(what, 0) + n

    async def run(what: str, statement: Any) -> None:
        result = await session.execute(statement.execution_options(synchronize_session="fetch"))
        count(what, rowcount(result))

    groups = [c.id for c in await scope(session, user_id)]
    still_in = await _rows(
        session,
        select(Member.collective_id).where(
            Member.user_id == user_id, Member.joined.is_(True), Member.collective_id.in_(groups)
        ),
    )
    own = {h.name: h for h in DECLARED if h.forget is Forget.OWN}
    if groups:
        # What a practice does before the id goes.
        await run(
            own["second_requests.requested_by"].what,
            update(SecondRequest)
            .where(
                SecondRequest.requested_by == user_id,
                SecondRequest.seconded_at.is_(None),
                SecondRequest.carried_out_at.is_(None),
                SecondRequest.lapsed_at.is_(None),
                SecondRequest.expires_at > now,
                in_collectives(SecondRequest, groups),
            )
            .values(lapsed_at=now),
        )
        for group in groups:
            # Ids of who asked and seconded, and a request's payload about them.
            count(
                own["second_requests.requested_by"].what,
                await seconds.forget(session, user_id, group),
            )
            # Answers to open proposals are withdrawn; the rest keep a former member.
            count(
                own["decision_answers.user_id"].what,
                await decisions.forget(session, user_id, group),
            )
        await run(
            own["tasks.claimed_by"].what,
            update(Task)
            .where(Task.claimed_by == user_id, in_collectives(Task, groups))
            .values(claimed_by=None, status="open"),
        )
        terms = own["role_terms.user_id"].what
        await run(
            terms,
            update(RoleTerm)
            .where(
                RoleTerm.user_id == user_id,
                RoleTerm.ended_at.is_(None),
                in_collectives(RoleTerm, groups),
            )
            .values(ended_at=now),
        )
        await run(
            terms,
            update(RoleTerm)
            .where(RoleTerm.user_id == user_id, in_collectives(RoleTerm, groups))
            .values(user_id=None),
        )
        count(
            own["reflection_asked.user_id"].what, await _forget_asked(session, user_id, rng, groups)
        )
        await run(
            own["entry_sprints.user_id"].what,
            delete(EntrySprint).where(
                EntrySprint.user_id == user_id,
                EntrySprint.collective_id.in_([g for g in groups if g not in still_in]),
            ),
        )
        for holds in DECLARED:
            if holds.model in UNSCOPED or holds.forget in (Forget.OWN, Forget.ROOM):
                continue
            await _forget_column(session, holds, user_id, groups, run)
    # Direct chats: the record of the room, and the room's name (clients name it after you).
    dm_rooms = await _rows(
        session,
        select(Collective.id)
        .join(Member, Member.collective_id == Collective.id)
        .where(Member.user_id == user_id, Collective.is_direct.is_(True)),
    )
    for chat in await direct.chats(session, user_id):
        if chat.room_id:
            found = await session.scalar(
                select(Collective.id).where(
                    Collective.room_id == chat.room_id, Collective.is_direct.is_(True)
                )
            )
            if found is not None:
                dm_rooms.append(found)
    chats = "our direct chat (its room id)"
    if dm_rooms:
        await run(chats, update(Collective).where(Collective.id.in_(dm_rooms)).values(name=None))
        await run(
            chats,
            delete(Member).where(Member.user_id == user_id, Member.collective_id.in_(dm_rooms)),
        )
    for holds in DECLARED:
        if holds.model in UNSCOPED:
            await run(holds.what, delete(holds.model).where(holds.column == user_id))
    # Rooms they left: gone from the member list. Rooms they are in: the room itself shows
    # them, so their user id and display name stay while they are there.
    membership = next(h.what for h in DECLARED if h.model is Member)
    await run(
        membership,
        delete(Member).where(
            Member.user_id == user_id, Member.joined.is_(False), Member.collective_id.in_(groups)
        ),
    )
    await session.execute(
        update(Member)
        .where(Member.user_id == user_id, Member.collective_id.in_(groups))
        .values(away_until=None)
        .execution_options(synchronize_session="fetch")
    )
    for collective_id in groups:
        await audit.record(session, collective_id, None, "member.forgotten", now)
    await session.flush()
    return done


async def _forget_column(
    session: AsyncSession, holds: Holds, user_id: str, groups: list[int], run: Any
) -> None:
    where = (holds.column == user_id, in_collectives(holds.model, groups))
    if holds.forget is Forget.DELETE:
        await run(holds.what, delete(holds.model).where(*where))
    else:
        await run(holds.what, update(holds.model).where(*where).values({holds.column.key: None}))


async def _forget_asked(
    session: AsyncSession, user_id: str, rng: random.Random, groups: list[int]
) -> int:
    """Who was asked in an open reflection round goes; where they had answered, the row
    stays under a random name until the round closes, so the count of members who
    answered stays true. Their answers cannot be found: nothing links them to anyone."""
    result = await session.execute(
        select(ReflectionAsked).where(
            ReflectionAsked.user_id == user_id, in_collectives(ReflectionAsked, groups)
        )
    )
    changed = 0
    for row in result.scalars():
        if row.parts > 0:
            row.user_id = f"former member {rng.getrandbits(64):016x}"
        else:
            await session.delete(row)
        changed += 1
    await session.flush()
    return changed
