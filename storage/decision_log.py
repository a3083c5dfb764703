"""The decision log read back: searched (`!decisions`), a period's decisions and whose
proposals carry (the power map, the gallery walk, the trust sprint), and the whole log
with every answer and dissent (the export). Every function takes the session first and is
async; none formats a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.decisions import PROPOSAL, Decision, DecisionAnswer, Dissent


@dataclass(frozen=True)
class Influence:
    """One member's proposals made (opened) and adopted within a period."""

    made: int = 0
    adopted: int = 0


@dataclass
class LogEntry:
    """A decision with every answer and dissent, for the export."""

    decision: Decision
    answers: list[DecisionAnswer] = field(default_factory=list)
    dissents: list[Dissent] = field(default_factory=list)


async def search(
    session: AsyncSession, collective_id: int, words: str = "", *, limit: int = 20
) -> list[Decision]:
    """The log, newest first: decisions whose text or outcome contains every word.

    Matching is case-insensitive (Unicode case folding) and by substring, and is done
    here rather than in SQL, because SQLite's `lower()` folds ASCII only; a
    collective's log is small. No words: the latest `limit` decisions.
    """
    query = (
        select(Decision)
        .where(Decision.collective_id == collective_id)
        .order_by(Decision.number.desc())
    )
    wanted = [w.casefold() for w in words.split()]
    if not wanted:
        return list((await session.execute(query.limit(limit))).scalars())
    found: list[Decision] = []
    for decision in (await session.execute(query)).scalars():
        haystack = f"{decision.text}\n{decision.outcome or ''}".casefold()
        if all(w in haystack for w in wanted):
            found.append(decision)
            if len(found) >= limit:
                break
    return found


async def decided_between(
    session: AsyncSession, collective_id: int, start: datetime, end: datetime
) -> list[Decision]:
    """Proposals closed adopted or rejected, and decisions recorded, in [start, end).

    Withdrawn proposals are left out; an adopted decision withdrawn later is kept
    (`status` is then `withdrawn`, `adopted_at` set). For the trust audit sprint:
    `closed_early` and `kind == RECORD` mark decisions taken under time pressure.
    """
    result = await session.execute(
        select(Decision)
        .where(
            Decision.collective_id == collective_id,
            Decision.closed_at >= start,
            Decision.closed_at < end,
            (Decision.status.in_(("adopted", "rejected"))) | Decision.adopted_at.is_not(None),
        )
        .order_by(Decision.closed_at, Decision.id)
    )
    return list(result.scalars())


async def influence(
    session: AsyncSession, collective_id: int, start: datetime, end: datetime
) -> dict[str | None, Influence]:
    """Per author: proposals opened in [start, end), and proposals adopted in it.

    Counted by event: a proposal made in one month and adopted in the next counts as
    made in the first and adopted in the second; one adopted and later withdrawn still
    counts as adopted. Recorded decisions (`!decision`) are not proposals and do not
    count. The key None gathers former members.
    """
    made = await session.execute(
        select(Decision.author, func.count())
        .where(
            Decision.collective_id == collective_id,
            Decision.kind == PROPOSAL,
            Decision.opened_at >= start,
            Decision.opened_at < end,
        )
        .group_by(Decision.author)
    )
    adopted = await session.execute(
        select(Decision.author, func.count())
        .where(
            Decision.collective_id == collective_id,
            Decision.kind == PROPOSAL,
            Decision.adopted_at >= start,
            Decision.adopted_at < end,
        )
        .group_by(Decision.author)
    )
    made_by = {author: int(n) for author, n in made.all()}
    adopted_by = {author: int(n) for author, n in adopted.all()}
    return {
        author: Influence(made=made_by.get(author, 0), adopted=adopted_by.get(author, 0))
        for author in made_by.keys() | adopted_by.keys()
    }


async def log(session: AsyncSession, collective_id: int) -> list[LogEntry]:
    """Every decision, oldest first, with its answers and dissents: the export's input.

    Answers to a proposal still open are included; the export must show only counts
    for those (names once closed), as `!proposal N` does.
    """
    decisions = (
        await session.execute(
            select(Decision)
            .where(Decision.collective_id == collective_id)
            .order_by(Decision.number)
        )
    ).scalars()
    entries = {d.id: LogEntry(d) for d in decisions}
    answered = await session.execute(
        select(DecisionAnswer)
        .join(Decision, Decision.id == DecisionAnswer.decision_id)
        .where(Decision.collective_id == collective_id)
        .order_by(DecisionAnswer.answered_at, DecisionAnswer.id)
    )
    for a in answered.scalars():
        entries[a.decision_id].answers.append(a)
    dissented = await session.execute(
        select(Dissent)
        .join(Decision, Decision.id == Dissent.decision_id)
        .where(Decision.collective_id == collective_id)
        .order_by(Dissent.at, Dissent.id)
    )
    for d in dissented.scalars():
        entries[d.decision_id].dissents.append(d)
    return list(entries.values())
