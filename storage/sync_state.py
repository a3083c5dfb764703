"""The sync token, kept in our database so it commits with the batch it ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SyncToken


async def get_token(session: AsyncSession, account: str) -> str | None:
    row = await session.get(SyncToken, account)
    return row.next_batch if row else None


async def set_token(session: AsyncSession, account: str, token: str, now: datetime) -> None:
    row = await session.get(SyncToken, account)
    if row is None:
        session.add(SyncToken(account=account, next_batch=token, updated_at=now))
    else:
        row.next_batch = token
        row.updated_at = now
