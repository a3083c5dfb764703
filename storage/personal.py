"""Everything kept about one person (`!mydata`), and erasing it (`!forgetme`).

Personal records are deleted: counts of what they said, knowledge declarations, their
place on speaking stacks, swap requests, check-in answers, entry sprints, their direct
chat, and their membership of rooms they have left. Shared records keep their text
with the person shown as "a former member" (NULL): decisions and answers to closed
proposals, dissent, notes, budget entries, the labour ledger, tasks, role terms,
meetings, requests for a second member (pending ones are cancelled) and the audit log,
where their user id is also taken out of the details. A role they hold is released.
Their dots in an open gallery walk are deleted (and so leave its counts); experiments,
trust audit sprints and gallery walks they started keep a former member.
Reflection answers cannot be found: nothing links them to anyone.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import (
    audit,
    budget,
    checkins,
    decisions,
    direct,
    entry,
    experiments,
    gallery,
    notes,
    reflection,
    seconds,
)
from storage import sprints as trust
from storage.models import (
    AirtimeDay,
    AuditEntry,
    BudgetEntry,
    Checkin,
    Collective,
    CountedMessage,
    Decision,
    DecisionAnswer,
    DirectChat,
    Dissent,
    EntrySprint,
    Experiment,
    ForgetRequest,
    GalleryWalk,
    Knowledge,
    Meeting,
    Member,
    Note,
    ReflectionRound,
    Role,
    RoleSwap,
    RoleTerm,
    SecondRequest,
    StackEntry,
    Task,
    TaskCompletion,
    TrustSprint,
)
from storage.numbering import rowcount

FORMER = "a former member"


@dataclass
class Airtime:
    days: int
    messages: int
    words: int
    first: Any  # date | None
    last: Any


@dataclass
class InCollective:
    """What one collective's tables hold about the person."""

    collective: Collective
    member: Member | None
    airtime: Airtime
    counted_messages: int
    knowledge: list[Knowledge] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    completions: list[TaskCompletion] = field(default_factory=list)
    terms: list[tuple[str, RoleTerm]] = field(default_factory=list)
    roles_created: list[Role] = field(default_factory=list)
    swaps: list[tuple[str, RoleSwap]] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    stack_entries: int = 0
    decisions: list[Decision] = field(default_factory=list)
    answers: list[tuple[int, DecisionAnswer]] = field(default_factory=list)
    dissents: list[tuple[int, Dissent]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    budget: list[BudgetEntry] = field(default_factory=list)
    requests: list[SecondRequest] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    checkins: list[tuple[Checkin, str | None]] = field(default_factory=list)
    sprints: list[EntrySprint] = field(default_factory=list)
    rounds: list[tuple[ReflectionRound, int]] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    trust_sprints: list[TrustSprint] = field(default_factory=list)
    walks: list[GalleryWalk] = field(default_factory=list)  # gallery walks they started
    dots: list[tuple[GalleryWalk, int]] = field(default_factory=list)  # in open walks


@dataclass
class Personal:
    user_id: str
    chats: list[DirectChat]  # one per bot account of the host that wrote to them
    forget_pending: datetime | None
    collectives: list[InCollective]


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.execute(query)).scalars())


async def about(session: AsyncSession, user_id: str) -> Personal:
    """Everything stored about `user_id`, per collective (direct chats aside)."""
    places = await _rows(
        session,
        select(Collective).where(Collective.is_direct.is_(False)).order_by(Collective.id),
    )
    out: list[InCollective] = []
    checkin_rows = await checkins.answers_of(session, user_id)
    rounds = await reflection.asked_in(session, user_id)
    sprints = await entry.of_user(session, user_id)
    names = await _rows(
        session,
        select(Member.display_name).where(
            Member.user_id == user_id, Member.display_name.is_not(None)
        ),
    )
    named = [AuditEntry.detail.contains(n, autoescape=True) for n in names if len(n.strip()) >= 3]
    tried = await experiments.started_by(session, user_id)
    audited = await trust.of_user(session, user_id)
    dots = await gallery.marks_of(session, user_id)
    for c in places:
        member = await session.scalar(
            select(Member).where(Member.collective_id == c.id, Member.user_id == user_id)
        )
        days = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(AirtimeDay.messages), 0),
                    func.coalesce(func.sum(AirtimeDay.words), 0),
                    func.min(AirtimeDay.day),
                    func.max(AirtimeDay.day),
                ).where(AirtimeDay.collective_id == c.id, AirtimeDay.user_id == user_id)
            )
        ).one()
        here = InCollective(
            collective=c,
            member=member,
            airtime=Airtime(int(days[0]), int(days[1]), int(days[2]), days[3], days[4]),
            counted_messages=int(
                await session.scalar(
                    select(func.count())
                    .select_from(CountedMessage)
                    .where(CountedMessage.collective_id == c.id, CountedMessage.user_id == user_id)
                )
                or 0
            ),
        )
        here.knowledge = await _rows(
            session,
            select(Knowledge)
            .where(Knowledge.collective_id == c.id, Knowledge.user_id == user_id)
            .order_by(Knowledge.area),
        )
        here.tasks = await _rows(
            session,
            select(Task)
            .where(
                Task.collective_id == c.id,
                or_(Task.created_by == user_id, Task.claimed_by == user_id),
            )
            .order_by(Task.id),
        )
        here.completions = await _rows(
            session,
            select(TaskCompletion)
            .where(TaskCompletion.collective_id == c.id, TaskCompletion.user_id == user_id)
            .order_by(TaskCompletion.done_at),
        )
        terms = await session.execute(
            select(Role.name, RoleTerm)
            .join(RoleTerm, RoleTerm.role_id == Role.id)
            .where(Role.collective_id == c.id, RoleTerm.user_id == user_id)
            .order_by(RoleTerm.started_at)
        )
        here.terms = [(name, term) for name, term in terms.all()]
        here.roles_created = await _rows(
            session, select(Role).where(Role.collective_id == c.id, Role.created_by == user_id)
        )
        swaps = await session.execute(
            select(Role.name, RoleSwap)
            .join(RoleSwap, RoleSwap.role_id == Role.id)
            .where(
                Role.collective_id == c.id,
                or_(
                    RoleSwap.from_user == user_id,
                    RoleSwap.to_user == user_id,
                    RoleSwap.asked_by == user_id,
                ),
            )
            .order_by(RoleSwap.asked_at)
        )
        here.swaps = [(name, swap) for name, swap in swaps.all()]
        here.meetings = await _rows(
            session,
            select(Meeting).where(Meeting.collective_id == c.id, Meeting.started_by == user_id),
        )
        here.stack_entries = int(
            await session.scalar(
                select(func.count())
                .select_from(StackEntry)
                .join(Meeting, Meeting.id == StackEntry.meeting_id)
                .where(Meeting.collective_id == c.id, StackEntry.user_id == user_id)
            )
            or 0
        )
        here.decisions = await _rows(
            session,
            select(Decision)
            .where(
                Decision.collective_id == c.id,
                or_(Decision.author == user_id, Decision.closed_by == user_id),
            )
            .order_by(Decision.number),
        )
        answers = await session.execute(
            select(Decision.number, DecisionAnswer)
            .join(DecisionAnswer, DecisionAnswer.decision_id == Decision.id)
            .where(Decision.collective_id == c.id, DecisionAnswer.user_id == user_id)
            .order_by(Decision.number)
        )
        here.answers = [(n, a) for n, a in answers.all()]
        dissents = await session.execute(
            select(Decision.number, Dissent)
            .join(Dissent, Dissent.decision_id == Decision.id)
            .where(Decision.collective_id == c.id, Dissent.user_id == user_id)
            .order_by(Dissent.at)
        )
        here.dissents = [(n, d) for n, d in dissents.all()]
        here.notes = await _rows(
            session,
            select(Note)
            .where(Note.collective_id == c.id, Note.author == user_id)
            .order_by(Note.number),
        )
        here.budget = await _rows(
            session,
            select(BudgetEntry)
            .where(BudgetEntry.collective_id == c.id, BudgetEntry.author == user_id)
            .order_by(BudgetEntry.number),
        )
        here.requests = await _rows(
            session,
            select(SecondRequest)
            .where(
                SecondRequest.collective_id == c.id,
                or_(SecondRequest.requested_by == user_id, SecondRequest.seconded_by == user_id),
            )
            .order_by(SecondRequest.number),
        )
        here.audit = await _rows(
            session,
            select(AuditEntry)
            .where(
                AuditEntry.collective_id == c.id,
                or_(
                    AuditEntry.actor == user_id,
                    AuditEntry.detail.contains(user_id, autoescape=True),
                    *named,  # as !forgetme would rewrite them: by display name too
                ),
            )
            .order_by(AuditEntry.at, AuditEntry.id),
        )
        here.checkins = [(ck, a) for ck, a in checkin_rows if ck.collective_id == c.id]
        here.sprints = [s for s in sprints if s.collective_id == c.id]
        here.rounds = [(r, p) for r, p in rounds if r.collective_id == c.id]
        here.experiments = [e for e in tried if e.collective_id == c.id]
        here.trust_sprints = [t for t in audited if t.collective_id == c.id]
        here.walks = await _rows(
            session,
            select(GalleryWalk)
            .where(GalleryWalk.collective_id == c.id, GalleryWalk.started_by == user_id)
            .order_by(GalleryWalk.id),
        )
        here.dots = [(w, n) for w, n in dots if w.collective_id == c.id]
        if member is not None or _holds_anything(here):
            out.append(here)
    pending = await session.get(ForgetRequest, user_id)
    return Personal(
        user_id=user_id,
        chats=await direct.chats(session, user_id),
        forget_pending=pending.expires_at if pending else None,
        collectives=out,
    )


def _holds_anything(here: InCollective) -> bool:
    lists: Sequence[Sequence[object]] = (
        here.knowledge, here.tasks, here.completions, here.terms, here.roles_created,
        here.swaps, here.meetings, here.decisions, here.answers, here.dissents, here.notes,
        here.budget, here.requests, here.audit, here.checkins, here.sprints, here.rounds,
        here.experiments, here.trust_sprints, here.walks, here.dots,
    )  # fmt: skip
    return bool(here.airtime.days or here.counted_messages or here.stack_entries) or any(lists)


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
    """Erase the person everywhere; returns what changed, by kind of record."""
    done: dict[str, int] = {}

    async def run(kind: str, *statements: Any) -> None:
        for statement in statements:
            result = await session.execute(statement.execution_options(synchronize_session="fetch"))
            done[kind] = done.get(kind, 0) + rowcount(result)

    in_rooms = await _rows(
        session,
        select(Member.collective_id)
        .join(Collective, Collective.id == Member.collective_id)
        .where(Member.user_id == user_id, Collective.is_direct.is_(False)),
    )
    done["requests cancelled"] = await seconds.cancel_pending(session, user_id, now)
    done["decisions, answers and dissent"] = await decisions.forget(session, user_id)
    done["notes"] = await notes.forget(session, user_id)
    done["budget entries"] = await budget.forget(session, user_id)
    done["requests for a second member"] = await seconds.forget(session, user_id)
    await run(
        "labour ledger",
        update(TaskCompletion).where(TaskCompletion.user_id == user_id).values(user_id=None),
    )
    await run(
        "tasks",
        update(Task)
        .where(Task.claimed_by == user_id, Task.status == "claimed")
        .values(claimed_by=None, status="open"),
        update(Task).where(Task.claimed_by == user_id).values(claimed_by=None),
        update(Task).where(Task.created_by == user_id).values(created_by=None),
    )
    await run(
        "role terms",
        update(RoleTerm)
        .where(RoleTerm.user_id == user_id, RoleTerm.ended_at.is_(None))
        .values(ended_at=now),
        update(RoleTerm).where(RoleTerm.user_id == user_id).values(user_id=None),
        update(Role).where(Role.created_by == user_id).values(created_by=None),
    )
    await run(
        "swap requests",
        delete(RoleSwap).where(
            or_(
                RoleSwap.from_user == user_id,
                RoleSwap.to_user == user_id,
                RoleSwap.asked_by == user_id,
            )
        ),
    )
    await run(
        "meetings",
        update(Meeting).where(Meeting.started_by == user_id).values(started_by=None),
        delete(StackEntry).where(StackEntry.user_id == user_id),
    )
    await run("knowledge", delete(Knowledge).where(Knowledge.user_id == user_id))
    await run(
        "airtime",
        delete(AirtimeDay).where(AirtimeDay.user_id == user_id),
        delete(CountedMessage).where(CountedMessage.user_id == user_id),
    )
    names = await _rows(
        session,
        select(Member.display_name).where(
            Member.user_id == user_id, Member.display_name.is_not(None)
        ),
    )
    done["audit log"] = await _forget_in_audit(session, user_id, names)
    done["check-in answers"] = await checkins.forget(session, user_id)
    still_in = await _rows(
        session,
        select(Member.collective_id).where(Member.user_id == user_id, Member.joined.is_(True)),
    )
    done["entry sprints"] = await entry.forget(session, user_id, keep=still_in)
    done["reflection rounds asked in"] = await reflection.forget(session, user_id, rng)
    done["gallery walks and dots"] = await gallery.forget(session, user_id)
    done["experiments"] = await experiments.forget(session, user_id)
    done["trust audit sprints"] = await trust.forget(session, user_id)
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
                select(Collective.id).where(Collective.room_id == chat.room_id)
            )
            if found is not None:
                dm_rooms.append(found)
    if dm_rooms:
        await run(
            "direct chats", update(Collective).where(Collective.id.in_(dm_rooms)).values(name=None)
        )
        await run(
            "direct chats",
            delete(Member).where(Member.user_id == user_id, Member.collective_id.in_(dm_rooms)),
        )
    done["direct chats"] = done.get("direct chats", 0) + await direct.forget(session, user_id)
    # Rooms they left: gone from the member list. Rooms they are in: the room itself shows
    # them, so their user id and display name stay while they are there.
    await run(
        "memberships",
        delete(Member).where(Member.user_id == user_id, Member.joined.is_(False)),
        update(Member).where(Member.user_id == user_id).values(away_until=None),
    )
    await session.execute(delete(ForgetRequest).where(ForgetRequest.user_id == user_id))
    for collective_id in sorted(set(in_rooms)):
        await audit.record(
            session,
            collective_id,
            None,
            "forgot a member",
            "their personal records were erased at their request (!forgetme)",
            now,
        )
    await session.flush()
    return {kind: n for kind, n in done.items() if n}


async def _forget_in_audit(session: AsyncSession, user_id: str, names: Sequence[str]) -> int:
    """Their user id leaves the log, as who did it and wherever a detail names them; so do
    their display names (of three characters or more), as whole words."""
    changed = 0
    patterns = [re.compile(re.escape(user_id) + r"(?![\w.-]|:\d)")]  # not a longer id or a port
    patterns += [
        re.compile(r"(?<![\w@])" + re.escape(name) + r"(?!\w)")
        for name in sorted(set(names), key=len, reverse=True)
        if len(name.strip()) >= 3
    ]
    mentioned = [AuditEntry.detail.contains(user_id, autoescape=True)]
    mentioned += [
        AuditEntry.detail.contains(n, autoescape=True) for n in names if len(n.strip()) >= 3
    ]
    result = await session.execute(
        select(AuditEntry).where(or_(AuditEntry.actor == user_id, *mentioned))
    )
    for entry_ in result.scalars():
        detail = entry_.detail
        for pattern in patterns:
            detail = pattern.sub(FORMER, detail)
        if entry_.actor == user_id or detail != entry_.detail:
            entry_.actor = None if entry_.actor == user_id else entry_.actor
            entry_.detail = detail
            changed += 1
    return changed
