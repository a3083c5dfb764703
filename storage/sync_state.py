"""The sync token, kept in our database so it commits with the batch it ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import bulk
from storage.models import SyncToken


async def get_token(session: AsyncSession, account: str) -> str | None:
    row = await session.get(SyncToken, account)
    return row.next_batch if row else None


async def set_token(session: AsyncSession, account: str, token: str, now: datetime) -> None:
    """One upsert, no read first (it ends every batch)."""
    await session.execute(
        bulk.upsert_once(session, SyncToken.__table__, "account", ("next_batch", "updated_at")),
        {"account": account, "next_batch": token, "updated_at": now},
    )


async def get_device(session: AsyncSession, account: str) -> tuple[bool, str | None]:
    """(whether the account has synced before, the device id it last ran as, if known)."""
    row = await session.get(SyncToken, account)
    return (row is not None, row.device_id if row else None)


async def set_device(session: AsyncSession, account: str, device_id: str) -> None:
    """Record the device the account runs as; it has synced (its token is on record)."""
    row = await session.get(SyncToken, account)
    if row is not None:
        row.device_id = device_id
