"""Delivers the outbox: in order, retried until the homeserver accepts, then deleted."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

from bot.database import Database
from storage import outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 30


class SendResult(Protocol):
    ok: bool
    retry: bool  # a transient failure: keep the message and try again later
    error: str


class Transport(Protocol):
    """Sends one event with a transaction id; the nio client in production."""

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> SendResult: ...


class Sender:
    def __init__(self, db: Database, transport: Transport) -> None:
        self.db = db
        self.transport = transport
        self._lock = asyncio.Lock()

    async def drain(self) -> int:
        """Send what is queued; returns how many were delivered. Stops at a transient failure."""
        delivered = 0
        async with self._lock:
            while True:
                async with self.db.transaction() as session:
                    rows = await outbox.pending(session)
                    batch = [
                        (r.id, r.room_id, r.event_type, r.content, r.txn_id, r.attempts)
                        for r in rows
                    ]
                if not batch:
                    return delivered
                for row_id, room_id, event_type, content, txn, attempts in batch:
                    try:
                        result = await self.transport.send(
                            room_id, event_type, json.loads(content), txn
                        )
                    except Exception as exc:  # network down, room not synced yet, ...
                        log.warning("sending %s to %s failed, will retry: %r", txn, room_id, exc)
                        async with self.db.transaction() as session:
                            await outbox.failed(session, row_id, repr(exc))
                        return delivered
                    async with self.db.transaction() as session:
                        if result.ok:
                            await outbox.delivered(session, row_id)
                            delivered += 1
                        elif result.retry and attempts + 1 < MAX_ATTEMPTS:
                            log.warning(
                                "sending %s to %s failed, will retry: %s",
                                txn,
                                room_id,
                                result.error,
                            )
                            await outbox.failed(session, row_id, result.error)
                        else:
                            log.error("dropping message %s to %s: %s", txn, room_id, result.error)
                            await outbox.delivered(session, row_id)
                    if not result.ok and result.retry and attempts + 1 < MAX_ATTEMPTS:
                        return delivered
