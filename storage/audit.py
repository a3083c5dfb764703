"""The audit log of state-changing actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


async def record(
    session: AsyncSession,
    collective_id: int,
    actor: str | None,
    action: str,
    detail: str,
    at: datetime,
) -> None:
    session.add(
        AuditEntry(collective_id=collective_id, actor=actor, action=action, detail=detail, at=at)
    )


async def latest(session: AsyncSession, collective_id: int, limit: int) -> list[AuditEntry]:
    result = await session.execute(
        select(AuditEntry)
        .where(AuditEntry.collective_id == collective_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return list(result.scalars())
