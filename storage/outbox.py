"""Outgoing messages, committed with whatever caused them and removed once delivered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from storage import bulk
from storage.models import Collective, OutboxMessage

QUEUED = "outbox.queued"  # session.info: what this transaction queued, for the sender


@dataclass(frozen=True)
class Queued:
    """A row as queued, so that the sender can deliver it once it is committed without
    reading it back; the row stays the record until the homeserver has accepted it."""

    id: int
    room_id: str
    event_type: str
    content: str
    txn_id: str
    attempts: int
    direct_to: str | None
    attachment: bytes | None
    attachment_type: str | None
    account: str | None = None


def queued_from(info: dict[str, Any]) -> list[Queued]:
    """What a transaction queued (and did not roll back), in order, from its session's
    `info` once it has committed."""
    return [q for q, _ in info.get(QUEUED, [])]


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A savepoint rolled back (a failed command) takes what it queued with it."""
    kept = session.info.get(QUEUED)
    if not kept:
        return
    if not previous.nested:
        kept.clear()
        return
    kept[:] = [(q, within) for q, within in kept if previous not in within]


def _savepoints(session: AsyncSession) -> tuple[SessionTransaction, ...]:
    found = []
    nested = session.sync_session.get_nested_transaction()
    while nested is not None:
        found.append(nested)
        nested = nested.parent
    return tuple(found)


async def enqueue(
    session: AsyncSession,
    room_id: str,
    txn_id: str,
    content: dict[str, Any],
    now: datetime,
    event_type: str = "m.room.message",
    attachment: tuple[bytes, str] | None = None,
    direct_to: str | None = None,
    account: str | None = None,
) -> Queued | None:
    """Queue once per transaction id: a replayed cause does not queue a second copy.
    Returns the row as queued (None when it was queued before).

    `direct_to`: a direct message to that user, whose room the sender finds or opens.
    `account`: the bot account that sends it (the one serving the room it was caused in)."""
    row: dict[str, Any] = {
        "room_id": room_id,
        "txn_id": txn_id,
        "event_type": event_type,
        "content": json.dumps(content),
        "attempts": 0,
        "attachment": attachment[0] if attachment else None,
        "attachment_type": attachment[1] if attachment else None,
        "direct_to": direct_to,
        "account": account,
    }
    # One statement: a replayed cause finds its row there and queues nothing.
    inserted = await session.execute(
        bulk.insert_once(session, OutboxMessage.__table__, "txn_id", returning="id"),
        {"created_at": now, **row},
    )
    new_id = inserted.scalar()
    if new_id is None:
        return None
    queued = Queued(id=new_id, **row)
    session.info.setdefault(QUEUED, []).append((queued, _savepoints(session)))
    return queued


async def pending(
    session: AsyncSession, account: str | None, limit: int = 50
) -> list[OutboxMessage]:
    """What waits to be sent by this account, oldest first (with what was queued before
    accounts were kept, for the rooms it serves)."""
    served = select(Collective.room_id).where(Collective.account == account)
    result = await session.execute(
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.account == account,
                OutboxMessage.account.is_(None) & OutboxMessage.room_id.in_(served),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(result.scalars())


async def delivered(session: AsyncSession, message_id: int) -> None:
    await session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id))


async def delivered_all(session: AsyncSession, message_ids: list[int]) -> None:
    """Delete delivered messages in one statement (per 500)."""
    for i in range(0, len(message_ids), 500):
        chunk = message_ids[i : i + 500]
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(chunk)))


async def failed(session: AsyncSession, message_id: int, error: str) -> None:
    row = await session.get(OutboxMessage, message_id)
    if row is not None:
        row.attempts += 1
        row.last_error = error[:2000]


async def waiting(session: AsyncSession, room_id: str) -> int:
    """How many messages to a room wait to be delivered."""
    count = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.room_id == room_id)
    )
    return int(count or 0)


async def set_room(session: AsyncSession, message_id: int, room_id: str) -> None:
    """The room a queued direct message goes to, once the sender knows it."""
    row = await session.get(OutboxMessage, message_id)
    if row is not None:
        row.room_id = room_id
