"""Rituals of rooms the bot has left: closed and pruned on the same schedule as anywhere
else, without posting (a left room cannot be posted to).

No practice's hourly job runs for a room the bot is not in, so without this a round,
a check-in or a walk open when the bot left would keep who answered, what they
answered and who put which dot for ever. The daily housekeeping (`bot/scheduler.py`)
calls `close_rituals`; each practice's storage module does its own part.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import checkins, entry, gallery, meetings, reflection
from storage.models import Collective


async def left(session: AsyncSession) -> list[int]:
    """The collectives the bot was in and has left (not those it was only invited to)."""
    result = await session.execute(
        select(Collective.id)
        .where(Collective.joined.is_(False), Collective.left_at.is_not(None))
        .order_by(Collective.id)
    )
    return list(result.scalars())


async def close_rituals(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Close what is due in every left room, and prune what members left behind there;
    returns how many of each were closed (or deleted)."""
    ids = await left(session)
    if not ids:
        return {}
    return {
        "reflection rounds discarded": await reflection.discard_in_left_rooms(session, ids, now),
        "check-ins closed": await checkins.close_in_left_rooms(session, ids, now),
        "gallery walks ended": await gallery.close_in_left_rooms(session, ids, now),
        "meetings ended": await meetings.end_in_left_rooms(session, ids, now),
        "entry sprints deleted": await entry.prune_in_left_rooms(session, ids, now),
    }
