"""Who a proposal is put to: the members it counts when it closes (joined, not other bots,
not away, and whoever answered), those still to answer (for the reminder and early close),
and adopted decisions whose review date has come. Async, session first; no wording."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import collectives
from storage.decisions import PROPOSAL, Decision, DecisionAnswer


async def present(session: AsyncSession, collective_id: int, at: datetime) -> set[str]:
    """Members of the room at `at` who are not away (other bots are no members)."""
    joined = await collectives.members(session, collective_id)
    return {m.user_id for m in joined if m.away_until is None or m.away_until <= at}


async def answered(session: AsyncSession, decision_id: int) -> set[str]:
    """Who has answered (former members, whose ids are gone, are not listed)."""
    result = await session.execute(
        select(DecisionAnswer.user_id).where(DecisionAnswer.decision_id == decision_id)
    )
    return {u for u in result.scalars() if u is not None}


async def counted(session: AsyncSession, decision: Decision, at: datetime) -> int:
    """How many members a rule counts: present ones, and everyone whose answer counts
    (an answer stays counted when its member went away after giving it)."""
    result = await session.execute(
        select(DecisionAnswer.user_id).where(DecisionAnswer.decision_id == decision.id)
    )
    answers = list(result.scalars())
    known = {u for u in answers if u is not None}
    gone = len(answers) - len(known)  # former members' answers still count
    return len(await present(session, decision.collective_id, at) | known) + gone


async def unanswered(session: AsyncSession, decision: Decision, at: datetime) -> list[str]:
    """Present members who have not answered, by user id."""
    waiting = await present(session, decision.collective_id, at)
    return sorted(waiting - await answered(session, decision.id))


async def review_candidates(session: AsyncSession, collective_id: int) -> list[Decision]:
    """Adopted proposals with a review period whose review was not opened yet; the caller
    says which are due (a period is a calendar step: `3m`)."""
    result = await session.execute(
        select(Decision)
        .where(
            Decision.collective_id == collective_id,
            Decision.kind == PROPOSAL,
            Decision.status == "adopted",
            Decision.review_after.is_not(None),
            Decision.reviewed_as.is_(None),
        )
        .order_by(Decision.number)
    )
    return list(result.scalars())
