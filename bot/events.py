"""A sync batch in plain data, so routing and transactions are tested without nio."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RoomEvent:
    event_id: str
    sender: str
    type: str
    content: dict[str, Any]
    timestamp_ms: int = 0
    state_key: str | None = None
    redacts: str | None = None  # top-level `redacts` of a redaction in older room versions


@dataclass(frozen=True)
class Invite:
    room_id: str
    inviter: str | None
    is_direct: bool = False


@dataclass(frozen=True)
class JoinedRoom:
    room_id: str
    events: list[RoomEvent]
    members: dict[str, str | None]  # joined members, the bot excluded, with display names
    name: str | None = None
    encrypted: bool = False
    power_levels: dict[str, Any] | None = None  # the room's m.room.power_levels content


@dataclass(frozen=True)
class Batch:
    next_batch: str
    joined: list[JoinedRoom] = field(default_factory=list)
    invites: list[Invite] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
