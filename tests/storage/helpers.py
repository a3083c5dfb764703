"""Small builders shared by the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Collective

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = "@alice:example.org"
BOB = "@bob:example.org"
CAROL = "@carol:example.org"


async def collective(session: AsyncSession, room_id: str = "!a:example.org") -> int:
    row = Collective(room_id=room_id, is_direct=False, joined=True, joined_at=T0)
    session.add(row)
    await session.flush()
    return row.id
