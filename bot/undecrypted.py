"""Encrypted events the bot could not read when they arrived.

Keys often arrive a moment after the message (a member's device shares them late), so
an unreadable event is kept: the bot asks the sender's devices for its key, tries to
decrypt it again after every sync, and hands it to the processor when it can (the
event-id guard keeps that to once). After `GIVE_UP`, the member hears once per Megolm
session that the bot could not read them, so a command never vanishes silently.

Kept in memory: after a restart the bot no longer waits for old keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nio import AsyncClient, LocalProtocolError, MegolmEvent, SyncResponse

log = logging.getLogger(__name__)

GIVE_UP = timedelta(minutes=10)
MAX_WAITING = 1000


@dataclass
class Waiting:
    room_id: str
    event: MegolmEvent
    since: datetime


@dataclass(frozen=True)
class Unread:
    room_id: str
    sender: str
    event_id: str


class Undecrypted:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.waiting: dict[str, Waiting] = {}
        self.told: set[tuple[str, str]] = set()  # (room, Megolm session) already told

    async def collect(self, resp: SyncResponse, now: datetime) -> None:
        """Keep the batch's unreadable events and ask for their keys."""
        for room_id, info in resp.rooms.join.items():
            for ev in info.timeline.events:
                if not isinstance(ev, MegolmEvent) or ev.event_id in self.waiting:
                    continue
                if len(self.waiting) >= MAX_WAITING:
                    return
                self.waiting[ev.event_id] = Waiting(room_id, ev, now)
                try:
                    await self.client.request_room_key(ev)
                except LocalProtocolError:
                    pass  # already asked for this session's key
                except Exception as exc:
                    log.warning("could not ask for the key of %s: %r", ev.event_id, exc)

    def readable(self) -> dict[str, list[Any]]:
        """Events that can be decrypted now, by room, to go into the next batch."""
        out: dict[str, list[Any]] = {}
        for event_id, w in list(self.waiting.items()):
            try:
                decrypted = self.client.decrypt_event(w.event)
            except Exception:
                continue
            if isinstance(decrypted, MegolmEvent):
                continue
            out.setdefault(w.room_id, []).append(decrypted)
            log.info("read %s in %s once its key arrived", event_id, w.room_id)
        return out

    def handled(self, events: dict[str, list[Any]]) -> None:
        """Those events are committed with a batch: stop waiting for them."""
        for evs in events.values():
            for ev in evs:
                self.waiting.pop(getattr(ev, "event_id", ""), None)

    def given_up(self, now: datetime) -> list[Unread]:
        """Events still unreadable after GIVE_UP; each Megolm session is told once."""
        out = []
        for event_id, w in list(self.waiting.items()):
            if now - w.since < GIVE_UP:
                continue
            del self.waiting[event_id]
            key = (w.room_id, w.event.session_id)
            if key in self.told:
                continue
            self.told.add(key)
            out.append(Unread(w.room_id, w.event.sender, event_id))
        return out
