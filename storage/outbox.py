"""Outgoing messages, committed with whatever caused them and removed once delivered."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Collective, OutboxMessage


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
) -> None:
    """Queue once per transaction id: a replayed cause does not queue a second copy.

    `direct_to`: a direct message to that user, whose room the sender finds or opens.
    `account`: the bot account that sends it (the one serving the room it was caused in)."""
    exists = await session.execute(select(OutboxMessage.id).where(OutboxMessage.txn_id == txn_id))
    if exists.first() is not None:
        return
    session.add(
        OutboxMessage(
            room_id=room_id,
            txn_id=txn_id,
            event_type=event_type,
            content=json.dumps(content),
            created_at=now,
            attempts=0,
            attachment=attachment[0] if attachment else None,
            attachment_type=attachment[1] if attachment else None,
            direct_to=direct_to,
            account=account,
        )
    )


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
