"""The audit log of state-changing actions: an action key, its parameters, and the members
it concerns by user id. Nothing here is a sentence; `handlers.audit_actions` words an
entry when it is read, with the members' display names of that moment."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, AuditMember

# A parameter is a number, a flag, the name of a thing (a task, a role), or a moment.
Param = str | int | float | bool | datetime | None


@dataclass(frozen=True)
class Entry:
    """One audit entry as read back: its parameters decoded, its members by role."""

    id: int
    at: datetime
    actor: str | None
    automatic: bool
    action: str
    params: Mapping[str, Any]
    members: Mapping[str, str | None]


def _encode(value: Param) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    return value


async def record(
    session: AsyncSession,
    collective_id: int,
    actor: str | None,
    action: str,
    at: datetime,
    *,
    automatic: bool = False,
    members: Mapping[str, str | None] | None = None,
    params: Mapping[str, Param] | None = None,
) -> None:
    entry = AuditEntry(
        collective_id=collective_id,
        actor=None if automatic else actor,
        automatic=automatic,
        action=action,
        params=json.dumps({k: _encode(v) for k, v in (params or {}).items()}, ensure_ascii=False),
        at=at,
    )
    session.add(entry)
    if members:
        await session.flush()
        for role, user_id in members.items():
            session.add(AuditMember(entry_id=entry.id, role=role, user_id=user_id))


async def _read(session: AsyncSession, rows: Sequence[AuditEntry]) -> list[Entry]:
    ids = [r.id for r in rows]
    concerned: dict[int, dict[str, str | None]] = {i: {} for i in ids}
    if ids:
        found = await session.execute(
            select(AuditMember.entry_id, AuditMember.role, AuditMember.user_id).where(
                AuditMember.entry_id.in_(ids)
            )
        )
        for entry_id, role, user_id in found.all():
            concerned[entry_id][role] = user_id
    return [
        Entry(
            id=r.id,
            at=r.at,
            actor=r.actor,
            automatic=r.automatic,
            action=r.action,
            params={k: _decode(v) for k, v in json.loads(r.params or "{}").items()},
            members=concerned[r.id],
        )
        for r in rows
    ]


async def latest(session: AsyncSession, collective_id: int, limit: int) -> list[Entry]:
    result = await session.execute(
        select(AuditEntry)
        .where(AuditEntry.collective_id == collective_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return await _read(session, list(result.scalars()))


async def about(session: AsyncSession, collective_id: int, user_id: str) -> list[Entry]:
    """Entries of one collective that the member made or that concern them, by id only."""
    concerns = select(AuditMember.entry_id).where(AuditMember.user_id == user_id)
    result = await session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.collective_id == collective_id,
            or_(AuditEntry.actor == user_id, AuditEntry.id.in_(concerns)),
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return await _read(session, list(result.scalars()))
