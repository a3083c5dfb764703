"""Proposals and decisions (one #N numbering per collective), answers, and dissent.

A proposal (`!propose`) opens with status `open`; `close` ends it `adopted` or
`rejected` and keeps a snapshot of the tally. A decision taken elsewhere
(`!decision`) is recorded `adopted` at once. Either can be `withdrawn` (through the
two-member rule); an adopted one keeps `adopted_at`, `outcome` and its tally.
Every function takes the session first and is async; none formats a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    false,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import next_number, rowcount
from storage.types import UTCDateTime


class Decision(Base):
    """A proposal (`!propose`) or a decision taken elsewhere (`!decision`), one numbering
    (`number`, the #N members see). A proposal opens `open` and closes `adopted` or
    `rejected` (`no_quorum` says why), or is `withdrawn`; a recorded decision starts
    `adopted`. `adopted_at` stays set when an adopted decision is later withdrawn. The
    tally columns are the snapshot taken when it stopped being open."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # proposal | record
    status: Mapped[str] = mapped_column(String(16))  # open | adopted | rejected | withdrawn
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    rule: Mapped[str | None] = mapped_column(String(16))  # consent | majority | unanimity
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(255))
    closed_early: Mapped[bool] = mapped_column(Boolean, default=False)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)
    tally_agree: Mapped[int | None] = mapped_column(Integer)
    tally_abstain: Mapped[int | None] = mapped_column(Integer)
    tally_object: Mapped[int | None] = mapped_column(Integer)
    tally_block: Mapped[int | None] = mapped_column(Integer)
    # The rules over members (handlers/decisions/rules.py): the quorum kept when it opened,
    # the members counted when it closed (None: judged by the answers alone, as before).
    quorum: Mapped[float | None] = mapped_column(Float)
    members_counted: Mapped[int | None] = mapped_column(Integer)
    no_quorum: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    seconded_by: Mapped[str | None] = mapped_column(String(255))  # of an early close
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    review_after: Mapped[str | None] = mapped_column(String(16))  # `review 3m`, as typed
    review_of: Mapped[int | None] = mapped_column(Integer)  # the #N this proposes to keep
    reviewed_as: Mapped[int | None] = mapped_column(Integer)  # the #N of its review


class DecisionAnswer(Base):
    """A member's current answer to a proposal; a changed answer replaces the old one."""

    __tablename__ = "decision_answers"
    __table_args__ = (UniqueConstraint("decision_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    answer: Mapped[str] = mapped_column(String(16))  # agree | abstain | object | block
    reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dissent(Base):
    """Dissent attached to a decision, at any time after it was opened or recorded."""

    __tablename__ = "dissents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


PROPOSAL = "proposal"  # opened with !propose, answered, then closed
RECORD = "record"  # a decision taken elsewhere, recorded with !decision
ANSWERS = ("agree", "abstain", "object", "block")
STATUSES = ("open", "adopted", "rejected", "withdrawn")


@dataclass(frozen=True)
class Tally:
    """How many members gave each answer."""

    agreed: int = 0
    abstained: int = 0
    objected: int = 0
    blocked: int = 0

    @property
    def total(self) -> int:
        return self.agreed + self.abstained + self.objected + self.blocked


async def propose(
    session: AsyncSession,
    collective_id: int,
    text: str,
    author: str | None,
    now: datetime,
    *,
    closes_at: datetime | None = None,
    rule: str | None = None,
) -> Decision:
    """Open proposal #N; `rule` is the collective's rule now (consent, majority, ...)."""
    row = Decision(
        collective_id=collective_id,
        number=await next_number(session, Decision.number, Decision.collective_id, collective_id),
        kind=PROPOSAL,
        status="open",
        text=text,
        author=author,
        rule=rule,
        opened_at=now,
        closes_at=closes_at,
        closed_early=False,
    )
    session.add(row)
    await session.flush()
    return row


async def record(
    session: AsyncSession,
    collective_id: int,
    text: str,
    author: str | None,
    now: datetime,
    *,
    outcome: str | None = None,
) -> Decision:
    """Record decision #N taken elsewhere: adopted at once, with no answers or tally."""
    row = Decision(
        collective_id=collective_id,
        number=await next_number(session, Decision.number, Decision.collective_id, collective_id),
        kind=RECORD,
        status="adopted",
        text=text,
        author=author,
        opened_at=now,
        closed_at=now,
        closed_by=author,
        closed_early=False,
        adopted_at=now,
        outcome=outcome,
    )
    session.add(row)
    await session.flush()
    return row


async def by_number(session: AsyncSession, collective_id: int, number: int) -> Decision | None:
    return await session.scalar(
        select(Decision).where(Decision.collective_id == collective_id, Decision.number == number)
    )


async def open_proposals(session: AsyncSession, collective_id: int) -> list[Decision]:
    """Proposals still open, oldest first."""
    result = await session.execute(
        select(Decision)
        .where(Decision.collective_id == collective_id, Decision.status == "open")
        .order_by(Decision.number)
    )
    return list(result.scalars())


async def due_to_close(
    session: AsyncSession, now: datetime, collective_id: int | None = None
) -> list[Decision]:
    """Open proposals whose closing time has come (all collectives unless one is named)."""
    query = select(Decision).where(
        Decision.status == "open", Decision.closes_at.is_not(None), Decision.closes_at <= now
    )
    if collective_id is not None:
        query = query.where(Decision.collective_id == collective_id)
    result = await session.execute(query.order_by(Decision.closes_at, Decision.id))
    return list(result.scalars())


async def due_reminder(
    session: AsyncSession,
    now: datetime,
    ahead: timedelta = timedelta(days=1),
    collective_id: int | None = None,
) -> list[Decision]:
    """Open proposals closing within `ahead` (but not yet) whose reminder was not posted."""
    query = select(Decision).where(
        Decision.status == "open",
        Decision.reminded_at.is_(None),
        Decision.closes_at > now,
        Decision.closes_at <= now + ahead,
    )
    if collective_id is not None:
        query = query.where(Decision.collective_id == collective_id)
    result = await session.execute(query.order_by(Decision.closes_at, Decision.id))
    return list(result.scalars())


async def mark_reminded(session: AsyncSession, decision: Decision, now: datetime) -> None:
    decision.reminded_at = now
    await session.flush()


async def answers(session: AsyncSession, decision_id: int) -> list[DecisionAnswer]:
    """Every current answer, in the order they were (last) given."""
    result = await session.execute(
        select(DecisionAnswer)
        .where(DecisionAnswer.decision_id == decision_id)
        .order_by(DecisionAnswer.answered_at, DecisionAnswer.id)
    )
    return list(result.scalars())


async def answer_of(session: AsyncSession, decision_id: int, user_id: str) -> DecisionAnswer | None:
    return await session.scalar(
        select(DecisionAnswer).where(
            DecisionAnswer.decision_id == decision_id, DecisionAnswer.user_id == user_id
        )
    )


async def set_answer(
    session: AsyncSession,
    decision: Decision,
    user_id: str,
    answer: str,
    reason: str | None,
    now: datetime,
) -> str | None:
    """Give or change a member's answer to an open proposal; returns the previous answer.

    Raises ValueError for an unknown answer or a proposal that is not open.
    """
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}; one of {', '.join(ANSWERS)}")
    if decision.status != "open":
        raise ValueError(f"#{decision.number} is {decision.status}, not open")
    found = await answer_of(session, decision.id, user_id)
    if found is None:
        session.add(
            DecisionAnswer(
                decision_id=decision.id,
                user_id=user_id,
                answer=answer,
                reason=reason,
                answered_at=now,
            )
        )
        await session.flush()
        return None
    previous = found.answer
    found.answer = answer
    found.reason = reason
    found.answered_at = now
    await session.flush()
    return previous


async def tally(session: AsyncSession, decision_id: int) -> Tally:
    """The current answers, counted: each member once, with their latest answer."""
    result = await session.execute(
        select(DecisionAnswer.answer, func.count())
        .where(DecisionAnswer.decision_id == decision_id)
        .group_by(DecisionAnswer.answer)
    )
    counts = {answer: int(n) for answer, n in result.all()}
    return Tally(
        agreed=counts.get("agree", 0),
        abstained=counts.get("abstain", 0),
        objected=counts.get("object", 0),
        blocked=counts.get("block", 0),
    )


def snapshot(decision: Decision) -> Tally | None:
    """The tally kept when the proposal stopped being open (None for a recorded decision)."""
    if decision.tally_agree is None:
        return None
    return Tally(
        agreed=decision.tally_agree,
        abstained=decision.tally_abstain or 0,
        objected=decision.tally_object or 0,
        blocked=decision.tally_block or 0,
    )


async def _keep_tally(session: AsyncSession, decision: Decision) -> Tally:
    counted = await tally(session, decision.id)
    decision.tally_agree = counted.agreed
    decision.tally_abstain = counted.abstained
    decision.tally_object = counted.objected
    decision.tally_block = counted.blocked
    return counted


async def close(
    session: AsyncSession,
    decision: Decision,
    status: str,
    now: datetime,
    *,
    by: str | None = None,
    outcome: str | None = None,
    rule: str | None = None,
) -> Tally:
    """Close an open proposal as `adopted` or `rejected`, keeping the tally; returns it.

    `by` is who closed it (None when the closing time closed it), `rule` the rule
    applied if it differs from the one stored at opening. `closed_early` is set when
    it closes before its closing time. Raises ValueError if it is not open.
    """
    if status not in ("adopted", "rejected"):
        raise ValueError(f"a proposal closes adopted or rejected, not {status!r}")
    if decision.status != "open":
        raise ValueError(f"#{decision.number} is {decision.status}, not open")
    counted = await _keep_tally(session, decision)
    decision.status = status
    decision.closed_at = now
    decision.closed_by = by
    decision.closed_early = decision.closes_at is not None and now < decision.closes_at
    if status == "adopted":
        decision.adopted_at = now
    if outcome is not None:
        decision.outcome = outcome
    if rule is not None:
        decision.rule = rule
    await session.flush()
    return counted


async def withdraw(
    session: AsyncSession, decision: Decision, now: datetime, *, by: str | None = None
) -> None:
    """Withdraw an open proposal (keeping its tally) or an adopted decision.

    An adopted one keeps `closed_at`, `adopted_at`, its outcome and tally; `withdrawn_at`
    says when it stopped applying. Raises ValueError for a rejected or withdrawn one.
    """
    if decision.status == "open":
        await _keep_tally(session, decision)
        decision.closed_at = now
        decision.closed_by = by
    elif decision.status != "adopted":
        raise ValueError(f"#{decision.number} is {decision.status}; nothing to withdraw")
    decision.status = "withdrawn"
    decision.withdrawn_at = now
    await session.flush()


async def add_dissent(
    session: AsyncSession, decision_id: int, user_id: str | None, reason: str, now: datetime
) -> Dissent:
    row = Dissent(decision_id=decision_id, user_id=user_id, reason=reason, at=now)
    session.add(row)
    await session.flush()
    return row


async def dissents(session: AsyncSession, decision_id: int) -> list[Dissent]:
    """Dissent attached to one decision, oldest first."""
    result = await session.execute(
        select(Dissent).where(Dissent.decision_id == decision_id).order_by(Dissent.at, Dissent.id)
    )
    return list(result.scalars())


async def dissent_counts(session: AsyncSession, decision_ids: Iterable[int]) -> dict[int, int]:
    """How many dissents each decision has; decisions without any are left out."""
    ids = list(decision_ids)
    if not ids:
        return {}
    result = await session.execute(
        select(Dissent.decision_id, func.count())
        .where(Dissent.decision_id.in_(ids))
        .group_by(Dissent.decision_id)
    )
    return {decision_id: int(n) for decision_id, n in result.all()}


async def forget(session: AsyncSession, user_id: str, collective_id: int | None = None) -> int:
    """`!forgetme`: the member's name leaves the decision log; the records stay.

    Authorship, closing, dissent and answers to closed proposals keep their text with
    no user id ("a former member"). Answers to proposals still open are deleted: a
    former member's block or objection should not stand on a live proposal. Only the
    named collective's records when one is given. Returns the rows changed.
    """
    in_scope = select(Decision.id)
    mine: ColumnElement[bool] = Decision.collective_id.is_not(None)
    if collective_id is not None:
        in_scope = in_scope.where(Decision.collective_id == collective_id)
        mine = Decision.collective_id == collective_id
    still_open = in_scope.where(Decision.status == "open")
    statements = [
        delete(DecisionAnswer).where(
            DecisionAnswer.user_id == user_id, DecisionAnswer.decision_id.in_(still_open)
        ),
        update(DecisionAnswer)
        .where(DecisionAnswer.user_id == user_id, DecisionAnswer.decision_id.in_(in_scope))
        .values(user_id=None),
        update(Dissent)
        .where(Dissent.user_id == user_id, Dissent.decision_id.in_(in_scope))
        .values(user_id=None),
        update(Decision).where(Decision.author == user_id, mine).values(author=None),
        update(Decision).where(Decision.closed_by == user_id, mine).values(closed_by=None),
        update(Decision).where(Decision.seconded_by == user_id, mine).values(seconded_by=None),
    ]
    changed = 0
    for statement in statements:
        result = await session.execute(statement.execution_options(synchronize_session="fetch"))
        changed += rowcount(result)
    return changed
