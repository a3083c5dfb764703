"""A sync batch in plain data, so routing and transactions are tested without nio.

This is the boundary for what a homeserver (or a federated peer) controls: every string
kept from it is cleaned of C0 control characters other than tab and newline, and of DEL,
however the object is built. They mean nothing in a name or a message, and PostgreSQL
refuses to store U+0000, which used to fail the whole batch and every replay of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
MAX_DEPTH = 32  # content nested deeper than this is dropped, not walked
# Event times (ms) believed from a homeserver: 2000-01-01 .. 2100-01-01 UTC. bot/incoming.py
# puts the receive time in place of anything else; here, as a last guard, 0 (unknown).
EARLIEST_MS = 946_684_800_000
LATEST_MS = 4_102_444_800_000


def clean_text(value: str) -> str:
    """`value` without NUL and the other C0 controls but tab and newline, and without DEL."""
    return _CONTROL.sub("", value) if _CONTROL.search(value) else value


def clean_json(value: Any, depth: int = 0) -> Any:
    """Event content with every string (keys too) cleaned; absurdly deep nesting dropped."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return {}
        return {clean_text(str(k)): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return []
        return [clean_json(v, depth + 1) for v in value]
    return value


def _optional(value: str | None) -> str | None:
    return clean_text(value) if isinstance(value, str) else None


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # the dataclasses are frozen


@dataclass(frozen=True)
class RoomEvent:
    event_id: str
    sender: str
    type: str
    content: dict[str, Any]
    timestamp_ms: int = 0  # ms since 1970; from a homeserver always in EARLIEST..LATEST_MS
    state_key: str | None = None
    redacts: str | None = None  # top-level `redacts` of a redaction in older room versions

    def __post_init__(self) -> None:
        _set(self, "event_id", clean_text(str(self.event_id)))
        _set(self, "sender", clean_text(str(self.sender)))
        _set(self, "type", clean_text(str(self.type)))
        content = self.content if isinstance(self.content, dict) else {}
        _set(self, "content", clean_json(content))
        _set(self, "state_key", _optional(self.state_key))
        _set(self, "redacts", _optional(self.redacts))
        ts = self.timestamp_ms
        if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts <= LATEST_MS:
            _set(self, "timestamp_ms", 0)


@dataclass(frozen=True)
class Invite:
    room_id: str
    inviter: str | None
    is_direct: bool = False

    def __post_init__(self) -> None:
        _set(self, "room_id", clean_text(str(self.room_id)))
        _set(self, "inviter", _optional(self.inviter))
        _set(self, "is_direct", self.is_direct is True)


@dataclass(frozen=True)
class JoinedRoom:
    room_id: str
    events: list[RoomEvent]
    members: dict[str, str | None]  # joined members, the bot excluded, with display names
    name: str | None = None
    encrypted: bool = False
    power_levels: dict[str, Any] | None = None  # the room's m.room.power_levels content
    # Facts from the room's state that make it a direct chat the bot opened itself: it
    # created the room, and whom it invited with `is_direct` (they survive a restart).
    opened_by_bot: bool = False
    direct_with: str | None = None
    # From the room's m.room.create event, when this batch carries it (at a join, or in the
    # full state asked for after a restart): its creators and room version. None: not seen.
    creators: tuple[str, ...] | None = None
    room_version: str | None = None

    def __post_init__(self) -> None:
        _set(self, "room_id", clean_text(str(self.room_id)))
        _set(self, "opened_by_bot", self.opened_by_bot is True)
        _set(self, "direct_with", _optional(self.direct_with))
        _set(
            self,
            "members",
            {clean_text(str(user)): _optional(name) for user, name in self.members.items()},
        )
        _set(self, "name", _optional(self.name))
        if self.power_levels is not None:
            _set(self, "power_levels", clean_json(self.power_levels))
        if self.creators is not None:
            _set(self, "creators", tuple(clean_text(str(c)) for c in self.creators))
        _set(self, "room_version", _optional(self.room_version))


@dataclass(frozen=True)
class Batch:
    next_batch: str
    joined: list[JoinedRoom] = field(default_factory=list)
    invites: list[Invite] = field(default_factory=list)
    left: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        _set(self, "next_batch", clean_text(str(self.next_batch)))
        _set(self, "left", [clean_text(str(room_id)) for room_id in self.left])


# What a message's content says beyond its text: whom it mentions, which thread it is in,
# and its text without the quoted reply some clients put first.

_PILL = re.compile(r"https://matrix\.to/#/(@[^\"'?>/\s]+)")


def mentioned(content: dict[str, object]) -> tuple[str, ...]:
    """User ids a message deliberately mentions: `m.mentions` and pills in its HTML."""
    found: list[str] = []
    listed = content.get("m.mentions")
    if isinstance(listed, dict) and isinstance(listed.get("user_ids"), list):
        found += [u for u in listed["user_ids"] if isinstance(u, str)]
    html = content.get("formatted_body")
    if isinstance(html, str):
        found += [unquote(m) for m in _PILL.findall(html[:20_000])]
    return tuple(dict.fromkeys(u for u in found if u.startswith("@") and len(u) <= 255))


def thread_of(content: dict[str, object]) -> str | None:
    """The root of the thread a message was sent in, if any."""
    relates = content.get("m.relates_to")
    if isinstance(relates, dict) and relates.get("rel_type") == "m.thread":
        root = relates.get("event_id")
        if isinstance(root, str) and root.startswith("$") and len(root) <= 255:
            return root
    return None


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted `> ...` lines some clients put before the text of a reply."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    return "\n".join(lines[i:]).lstrip("\n")
