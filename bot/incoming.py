"""What comes in: a nio sync response turned into plain data for the processor (the
counterpart of `bot/outgoing.py`). Nothing past here sees a nio object, and nothing a
peer put in an event can fail the batch: odd values are dropped or replaced."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from nio import AsyncClient, MegolmEvent, RoomCreateEvent, RoomMemberEvent, SyncResponse

from bot.events import EARLIEST_MS, LATEST_MS, Batch, Invite, JoinedRoom, RoomEvent
from storage import room_power

log = logging.getLogger(__name__)


def _timestamp(raw: Any, received_ms: int) -> int:
    """`origin_server_ts` if it is a plausible integer time (2000..2100), else when we
    received the event: a peer's fancy must not fail the batch."""
    if isinstance(raw, int) and not isinstance(raw, bool) and EARLIEST_MS <= raw <= LATEST_MS:
        return raw
    return received_ms


def _event(ev: Any, received_ms: int) -> RoomEvent | None:
    """Plain data for one nio event; strings are cleaned by RoomEvent itself."""
    source = getattr(ev, "source", None)
    if not isinstance(source, dict):
        source = {}
    if isinstance(ev, MegolmEvent):
        log.warning("could not decrypt %s from %s in this batch", ev.event_id, ev.sender)
        return None
    event_id = getattr(ev, "event_id", None) or source.get("event_id")
    sender = getattr(ev, "sender", None) or source.get("sender")
    if not isinstance(event_id, str) or not isinstance(sender, str) or not event_id or not sender:
        return None
    content = source.get("content")
    kind = source.get("type")
    state_key = source.get("state_key")
    redacts = source.get("redacts")
    # The raw value, not nio's: nio turns a negative time into 0 and keeps other nonsense.
    raw_ts = source.get("origin_server_ts", getattr(ev, "server_timestamp", None))
    return RoomEvent(
        event_id=event_id,
        sender=sender,
        type=kind if isinstance(kind, str) else "",
        content=content if isinstance(content, dict) else {},
        timestamp_ms=_timestamp(raw_ts, received_ms),
        state_key=state_key if isinstance(state_key, str) else None,
        redacts=redacts if isinstance(redacts, str) else None,
    )


def _power_levels(room: Any) -> dict[str, Any] | None:
    """The room's power levels as plain data: who may invite, kick, change settings."""
    levels = getattr(room, "power_levels", None)
    if levels is None:
        return None
    d = levels.defaults
    return {
        "users": dict(levels.users),
        "users_default": d.users_default,
        "invite": d.invite,
        "kick": d.kick,
        "ban": d.ban,
        "redact": d.redact,
        "state_default": d.state_default,
        "events": dict(levels.events),
    }


def _creation(info: Any) -> tuple[tuple[str, ...] | None, str | None]:
    """The creators and room version from the room's `m.room.create` event, if this sync
    carries it (in the state section when joining or after a restart's full state, or in
    the timeline of a room joined young), read from the raw event: nio keeps neither the
    sender as creator nor `additional_creators`. (None, None) when it is not there."""
    if info is None:
        return None, None
    for ev in [*getattr(info, "state", []), *info.timeline.events]:
        source = getattr(ev, "source", None)
        if not isinstance(source, dict) or source.get("type") != "m.room.create":
            continue
        sender, content = source.get("sender"), source.get("content")
        if source.get("state_key") != "" or not isinstance(sender, str) or not sender:
            continue
        return room_power.creation(content if isinstance(content, dict) else {}, sender)
    return None, None


def _room_name(room: Any) -> str | None:
    if room is None:
        return None
    name = room.display_name
    return name if isinstance(name, str) else None


def _opened_by_bot(client: AsyncClient, info: Any) -> tuple[bool, str | None]:
    """Whether the bot created this room, and whom it invited as a direct chat, from the
    sync's state and timeline (a room new to the bot comes with its whole state)."""
    created, invitee = False, None
    if info is None:  # only late-decrypted events for a room quiet in this sync
        return created, invitee
    for ev in [*getattr(info, "state", []), *info.timeline.events]:
        if getattr(ev, "sender", None) != client.user_id:
            continue
        if isinstance(ev, RoomCreateEvent):
            created = True
        elif (
            isinstance(ev, RoomMemberEvent)
            and ev.membership == "invite"
            and ev.state_key != client.user_id
            and isinstance(ev.content, dict)
            and ev.content.get("is_direct") is True
        ):
            invitee = ev.state_key
    return created, invitee


def to_batch(
    client: AsyncClient,
    resp: SyncResponse,
    missed: dict[str, list[Any]] | None = None,
    *,
    received_at: datetime | None = None,
    paged: Collection[str] = (),
) -> Batch:
    """Plain data for the processor; nio has already decrypted what it could.

    `received_at` (now, by default) stands in for an event time that makes no sense.
    """
    received = received_at or datetime.now(UTC)
    received_ms = int(received.timestamp() * 1000)
    joined: list[JoinedRoom] = []
    missed = missed or {}
    rooms = [*resp.rooms.join, *(r for r in missed if r not in resp.rooms.join)]
    for room_id in rooms:
        info = resp.rooms.join.get(room_id)
        room = client.rooms.get(room_id)
        if info is None and room is None:
            continue  # events for a room the bot is no longer in
        members: dict[str, str | None] = {}
        if room is not None:
            for user_id, user in room.users.items():
                if user_id == client.user_id or user_id in room.invited_users:
                    continue
                name = user.display_name
                members[user_id] = name if isinstance(name, str) else None
        timeline = [*missed.get(room_id, []), *(info.timeline.events if info else [])]
        events = [e for e in (_event(ev, received_ms) for ev in timeline) if e is not None]
        if info is not None and info.timeline.limited and room_id not in paged:
            # Normal when joining; after an outage it means events beyond the filter's
            # timeline limit were not delivered (and could not be paged back).
            log.info("timeline of %s was limited; earlier events are not seen", room_id)
        created, invitee = _opened_by_bot(client, info)
        creators, version = _creation(info)
        joined.append(
            JoinedRoom(
                room_id=room_id,
                events=events,
                members=members,
                name=_room_name(room),
                encrypted=bool(room and room.encrypted),
                power_levels=_power_levels(room),
                opened_by_bot=created,
                direct_with=invitee,
                creators=creators,
                room_version=version,
            )
        )
    invites: list[Invite] = []
    for room_id, info in resp.rooms.invite.items():
        inviter, direct = None, False
        for ev in info.invite_state:
            if (
                getattr(ev, "state_key", None) == client.user_id
                and getattr(ev, "membership", None) == "invite"
            ):
                inviter = ev.sender
                content = getattr(ev, "content", None)
                direct = isinstance(content, dict) and content.get("is_direct") is True
        inviter = inviter if isinstance(inviter, str) else None
        invites.append(Invite(room_id=room_id, inviter=inviter, is_direct=direct))
    return Batch(
        next_batch=resp.next_batch,
        joined=joined,
        invites=invites,
        left=list(resp.rooms.leave),
    )
