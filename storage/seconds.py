"""The two-member rule: an operation that erases or overrides shared records waits, as
request #N, for a second member's `!second N` within 24 hours.

A request is pending until it is seconded (and then carried out) or its time runs
out; a request whose time ran out is announced once as lapsed (`lapsed_unannounced`,
then `mark_lapsed`). `action` names the operation ("withdraw decision", "delete
note", ...) and `payload` is JSON describing its target. Every function is async and
takes the session first, except `payload` and `state`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.numbering import forget_in, next_number, rowcount
from storage.types import UTCDateTime


class SecondRequest(Base):
    """An operation on shared records waiting for a second member's `!second N` (24 h).

    `payload` is JSON describing the target (ids, numbers, new values). Exactly one of
    `carried_out_at` and `lapsed_at` ends it; `seconded_at` is set when confirmed.
    """

    __tablename__ = "second_requests"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))  # e.g. "delete note"
    payload: Mapped[str] = mapped_column(Text, default="{}")
    requested_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconded_by: Mapped[str | None] = mapped_column(String(255))
    seconded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    carried_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


WINDOW = timedelta(hours=24)
ABOUT = "about"  # the payload key naming the member a request acts against, if any


async def create(
    session: AsyncSession,
    collective_id: int,
    action: str,
    payload: Mapping[str, Any],
    requested_by: str | None,
    now: datetime,
    *,
    window: timedelta = WINDOW,
) -> SecondRequest:
    """Request #N, expiring `window` (24 h) from now. `payload` must be JSON-serialisable."""
    row = SecondRequest(
        collective_id=collective_id,
        number=await next_number(
            session, SecondRequest.number, SecondRequest.collective_id, collective_id
        ),
        action=action,
        payload=json.dumps(dict(payload), sort_keys=True, ensure_ascii=False),
        requested_by=requested_by,
        requested_at=now,
        expires_at=now + window,
    )
    session.add(row)
    await session.flush()
    return row


def payload(request: SecondRequest) -> dict[str, Any]:
    """The target description given to `create`, as a dict."""
    data = json.loads(request.payload)
    assert isinstance(data, dict)
    return data


def state(request: SecondRequest, now: datetime) -> str:
    """One of: pending, seconded, carried out, lapsed (announced), expired (not yet)."""
    if request.carried_out_at is not None:
        return "carried out"
    if request.lapsed_at is not None:
        return "lapsed"
    if request.seconded_at is not None:
        return "seconded"
    if now >= request.expires_at:
        return "expired"
    return "pending"


async def by_number(session: AsyncSession, collective_id: int, number: int) -> SecondRequest | None:
    return await session.scalar(
        select(SecondRequest).where(
            SecondRequest.collective_id == collective_id, SecondRequest.number == number
        )
    )


def _waiting() -> list[ColumnElement[bool]]:
    return [
        SecondRequest.seconded_at.is_(None),
        SecondRequest.carried_out_at.is_(None),
        SecondRequest.lapsed_at.is_(None),
    ]


async def pending(session: AsyncSession, collective_id: int, now: datetime) -> list[SecondRequest]:
    """Requests still waiting for a second member and not expired, oldest first."""
    result = await session.execute(
        select(SecondRequest)
        .where(
            SecondRequest.collective_id == collective_id,
            *_waiting(),
            SecondRequest.expires_at > now,
        )
        .order_by(SecondRequest.number)
    )
    return list(result.scalars())


async def lapsed_unannounced(
    session: AsyncSession, now: datetime, collective_id: int | None = None
) -> list[SecondRequest]:
    """Requests whose 24 hours ran out with no second and whose lapse is not yet
    announced (all collectives unless one is named), oldest first."""
    query = select(SecondRequest).where(*_waiting(), SecondRequest.expires_at <= now)
    if collective_id is not None:
        query = query.where(SecondRequest.collective_id == collective_id)
    result = await session.execute(query.order_by(SecondRequest.expires_at, SecondRequest.id))
    return list(result.scalars())


async def mark_seconded(
    session: AsyncSession, request: SecondRequest, by: str, now: datetime
) -> None:
    """Record the second member. Raises ValueError unless the request is pending, or
    when `by` is the member who asked, or the member it acts against (`ABOUT`): the rule
    needs two different members, neither of them the one concerned."""
    current = state(request, now)
    if current != "pending":
        raise ValueError(f"request #{request.number} is {current}, not pending")
    if by == request.requested_by:
        raise ValueError(f"request #{request.number} needs a member other than the one who asked")
    if by == payload(request).get(ABOUT):
        raise ValueError(f"request #{request.number} needs a member other than the one concerned")
    request.seconded_by = by
    request.seconded_at = now
    await session.flush()


async def mark_carried_out(session: AsyncSession, request: SecondRequest, now: datetime) -> None:
    """The operation was done. Raises ValueError unless the request was seconded."""
    if request.seconded_at is None or request.carried_out_at is not None:
        raise ValueError(f"request #{request.number} is {state(request, now)}, not seconded")
    request.carried_out_at = now
    await session.flush()


async def mark_lapsed(session: AsyncSession, request: SecondRequest, now: datetime) -> None:
    """The lapse was announced; it will not be listed again. Raises ValueError unless
    the request expired unseconded."""
    current = state(request, now)
    if current != "expired":
        raise ValueError(f"request #{request.number} is {current}, not expired")
    request.lapsed_at = now
    await session.flush()


async def forget(session: AsyncSession, user_id: str, collective_id: int | None = None) -> int:
    """`!forgetme`: requests stay, who asked and who seconded become "a former member",
    and a request about the person (`ABOUT`) keeps no user id of theirs in its payload.

    Only the named collective's requests when one is given. Returns the rows changed.
    """
    changed = sum(
        [
            await forget_in(session, column, user_id, SecondRequest.collective_id, collective_id)
            for column in (SecondRequest.requested_by, SecondRequest.seconded_by)
        ]
    )
    query = select(SecondRequest).where(
        SecondRequest.payload.contains(json.dumps(user_id, ensure_ascii=False), autoescape=True)
    )
    if collective_id is not None:
        query = query.where(SecondRequest.collective_id == collective_id)
    for request in (await session.execute(query)).scalars():
        data = payload(request)
        if data.get(ABOUT) != user_id:
            continue
        kept = {k: None if v == user_id else v for k, v in data.items()}
        request.payload = json.dumps(kept, sort_keys=True, ensure_ascii=False)
        changed += 1
    await session.flush()
    return changed


async def cancel_pending(session: AsyncSession, user_id: str, now: datetime) -> int:
    """`!forgetme`: the person's requests still waiting for a second member end now,
    never carried out (marked lapsed, so no lapse is announced later)."""
    result = await session.execute(
        update(SecondRequest)
        .where(SecondRequest.requested_by == user_id, *_waiting(), SecondRequest.expires_at > now)
        .values(lapsed_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    return rowcount(result)
