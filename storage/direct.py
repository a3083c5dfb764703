"""Direct chats: the room the bot shares with one person, once it exists.

The sender opens (or finds) the room and records it here at once, before sending, so a
crash after the homeserver made the room does not make a second one; the processor
records it too when it sees the bot's own direct invitation in a room's history.

Each bot account sharing the database has its own direct chat with a person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DirectChat


async def chat(session: AsyncSession, user_id: str, account: str) -> DirectChat | None:
    result = await session.execute(
        select(DirectChat).where(DirectChat.user_id == user_id, DirectChat.account == account)
    )
    return result.scalar_one_or_none()


async def chats(session: AsyncSession, user_id: str) -> list[DirectChat]:
    """The person's direct chats with every bot account of this host."""
    result = await session.execute(
        select(DirectChat).where(DirectChat.user_id == user_id).order_by(DirectChat.id)
    )
    return list(result.scalars())


async def room_for(session: AsyncSession, user_id: str, account: str) -> str | None:
    found = await chat(session, user_id, account)
    return found.room_id if found else None


async def user_for_room(session: AsyncSession, room_id: str) -> str | None:
    result = await session.execute(select(DirectChat.user_id).where(DirectChat.room_id == room_id))
    return result.scalars().first()


async def record(
    session: AsyncSession,
    user_id: str,
    room_id: str,
    now: datetime,
    account: str,
    *,
    replace: bool = False,
) -> str:
    """Note the person's direct chat; an already recorded room stays unless `replace`.
    Returns the room now on record."""
    found = await chat(session, user_id, account)
    if found is None:
        session.add(DirectChat(account=account, user_id=user_id, room_id=room_id, opened_at=now))
        await session.flush()
        return room_id
    if found.room_id is None or (replace and found.room_id != room_id):
        found.room_id = room_id
        found.opened_at = now
    return found.room_id or room_id


async def closed(session: AsyncSession, room_id: str) -> None:
    """The person left the room: the next direct message opens a new one."""
    await session.execute(
        update(DirectChat)
        .where(DirectChat.room_id == room_id)
        .values(room_id=None, opened_at=None)
        .execution_options(synchronize_session="fetch")
    )


async def set_focus(
    session: AsyncSession, user_id: str, collective_id: int | None, account: str
) -> None:
    """Which collective the person's answers in their direct chat are for (`!for`)."""
    found = await chat(session, user_id, account)
    if found is None:
        session.add(
            DirectChat(
                account=account, user_id=user_id, room_id=None, focus_collective_id=collective_id
            )
        )
        await session.flush()
    else:
        found.focus_collective_id = collective_id
