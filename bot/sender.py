"""Delivers the outbox: in order, retried until the homeserver accepts, then deleted.

A transaction that queued messages hands them over as it commits (`bot/database.py`), so
in the common case they are sent without being read back. The outbox is read when what
is in memory may not be all of it: at start, after a failed send or transaction, after a
room was left or joined again, or when more was queued than one pass takes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from bot import formatter
from bot.clock import SystemClock
from bot.database import Database
from bot.outgoing import RENDER_PREFIX
from handlers.context import Clock
from handlers.i18n import SOURCE, _, ngettext, speaking
from storage import collectives, direct, outbox
from storage.engine import WritesRefused
from storage.outbox import Queued

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 30
PASS = 500  # messages read from the outbox for one pass (then deleted together, once sent)
ROOMS_AT_ONCE = 4  # rooms whose messages are sent at the same time (each room's in order)


def _went(task: asyncio.Task[bool]) -> bool:
    """Whether a finished early send went through."""
    return task.done() and not task.cancelled() and task.result()


class Unsendable(Exception):
    """A message that can never be sent as it is; dropped with a log line, not retried."""


class SendResult(Protocol):
    ok: bool
    retry: bool  # a transient failure: keep the message and try again later
    error: str


class Transport(Protocol):
    """Sends one event with a transaction id; the nio client in production."""

    async def upload(
        self, room_id: str, data: bytes, mimetype: str, filename: str
    ) -> dict[str, Any]:
        """Upload media; returns the content fields that point at it (`url` or `file`)."""
        ...

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> SendResult: ...

    async def find_direct(self, user_id: str) -> str | None:
        """A direct chat with the user the bot is already in (its `m.direct`, with the
        user still there), if any."""
        ...

    async def create_direct(self, user_id: str) -> str:
        """Open an encrypted room for a direct chat, nobody invited yet; its room id."""
        ...

    async def invite_direct(self, room_id: str, user_id: str) -> None:
        """Invite the user with `is_direct`, unless they are already in the room or invited."""
        ...

    def sees(self, room_id: str, user_id: str) -> bool:
        """Whether the synced room shows the user joined or invited: only then does an
        encrypted message share its key with them."""
        ...

    async def mark_direct(self, user_id: str, room_id: str) -> None:
        """List the room under the user in the bot's own `m.direct` account data."""
        ...


class Sender:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        renderers: Mapping[str, Callable[[bytes], tuple[bytes, int, int]]] | None = None,
        clock: Clock | None = None,
        *,
        account: str,
    ) -> None:
        """`account`: the bot account whose queued messages this sender delivers."""
        self.db = db
        self.account = account
        self.transport = transport
        self.renderers = renderers or {}
        self.clock = clock or SystemClock()
        self._lock = asyncio.Lock()
        # room -> why messages to it were given up, since the start (for `!status`).
        self.dropped: dict[str, list[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._again = False
        # Rows committed since the outbox was last read, in order; valid while `_whole`:
        # then they and nothing else are what waits (besides what a pass is sending).
        self._handed: list[Queued] = []
        self._whole = False
        self._left: set[str] = set()  # rooms the bot left, as of the last read
        self._sending: set[str] = set()  # rooms whose rows a pass has taken and not settled
        # Read-only commands' answers sent before their batch committed: txn id -> (room,
        # the send, True once it went through), until a pass takes the committed row.
        self._early: dict[str, tuple[str, asyncio.Task[bool]]] = {}
        self._flying: set[asyncio.Task[bool]] = set()  # early sends not yet answered
        # Whether a message may go out now: in production, not while nio has devices to
        # look up or sessions to claim (a new member's device must get the room key).
        self.may_send_early: Callable[[], bool] = lambda: True
        # The language of a room, for what the sender says there itself (set by the app).
        self.language_of: Callable[[str], str] = lambda room_id: SOURCE
        db.committed.append(self._committed)

    def _committed(self, info: dict[str, Any] | None) -> None:
        """A transaction ended (under the database's lock): keep what it queued."""
        if info is None or info.get(collectives.ROOMS_CHANGED):
            self._whole = False  # read the outbox (and the rooms left) again next time
        if info is not None:  # (another account's sender may share the database object)
            self._handed.extend(q for q in outbox.queued_from(info) if q.account == self.account)

    def send_early(self, row: Queued) -> None:
        """Send a read-only command's answer now, inside the transaction that queued it
        (under the database's lock), without waiting for the commit.

        The row is committed with the batch all the same. The pass that takes it after the
        commit waits for this send: if it went through, the row is deleted as delivered;
        if not, it is sent as usual. A crash before the commit replays the batch, which
        queues the row again under the same transaction id: sent again by a new process,
        the homeserver answers with the event it already has; in this process, an early
        send under way or done is not repeated. Only when nothing else waits for the room
        (queued, being sent, or sent early and still in flight), so its order is kept."""
        known = self._early.get(row.txn_id)
        if known is not None and (not known[1].done() or _went(known[1])):
            return  # a replayed batch: its answer is on its way, or there
        room = row.room_id
        if (
            row.direct_to is not None
            or row.attachment is not None
            or row.account != self.account
            or not self._whole  # there may be rows in the outbox it does not know of
            or room in self._left
            or room in self._sending
            or any(q.room_id == room for q in self._handed)
            or any(r == room and not t.done() for r, t in self._early.values())
            or not self.may_send_early()
        ):
            return
        if len(self._early) > 1000:  # sends of batches that never committed
            self._early = {k: v for k, v in self._early.items() if not v[1].done()}
        task = asyncio.create_task(self._send_now(row))
        self._early[row.txn_id] = (room, task)
        self._flying.add(task)
        task.add_done_callback(self._flying.discard)

    async def early_landed(self, timeout: float) -> None:
        """Wait, up to `timeout` seconds, until the homeserver has answered every early
        send (without cancelling any). The sync loop asks for its next sync only then, as
        a client whose callbacks send does: a sync request reaching the homeserver while
        it stores an answer delays that answer's delivery to the members (README,
        Performance)."""
        # Each send is waited for once: one held up by rate limits or timeouts must not
        # hold up every sync after it (it goes on all the same).
        flying, self._flying = self._flying, set()
        if flying:
            await asyncio.wait(flying, timeout=timeout)

    async def _send_now(self, row: Queued) -> bool:
        try:
            result = await self.transport.send(
                row.room_id, row.event_type, json.loads(row.content), row.txn_id
            )
        except Exception as exc:
            log.warning("sending %s early failed, it goes after the commit: %r", row.txn_id, exc)
            return False
        if not result.ok:
            log.warning(
                "sending %s early failed, it goes after the commit: %s", row.txn_id, result.error
            )
        return result.ok

    async def _sent_early(self, txn: str) -> bool:
        """Whether the message was sent early and went through (waiting for that send)."""
        early = self._early.pop(txn, None)
        if early is None:
            return False
        task = early[1]
        await asyncio.wait({task})
        return _went(task)

    def kick(self) -> None:
        """Deliver in the background, so a slow upload never holds up the next sync."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._drain_until_quiet())

    async def _drain_until_quiet(self) -> None:
        while True:
            self._again = False
            try:
                await self.drain()
            except WritesRefused:
                pass  # said once by the database; they stay queued
            except Exception:
                log.exception("delivering queued messages failed; they stay queued")
            if not self._again:
                return

    async def idle(self) -> None:
        """Wait for a background delivery to finish (at shutdown, in tests)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await asyncio.gather(*(t for _, t in self._early.values()), return_exceptions=True)

    async def _attach(self, room_id: str, body: dict[str, Any], data: bytes, kind: str) -> None:
        """Render a spec if needed (in a thread), upload, and point the event at the media."""
        if kind.startswith(RENDER_PREFIX):
            render = self.renderers.get(kind.removeprefix(RENDER_PREFIX))
            if render is None:
                raise Unsendable(f"no renderer for {kind}")
            try:
                data, width, height = await asyncio.to_thread(render, data)
            except Exception as exc:  # the same spec would fail the same way next time
                raise Unsendable(f"rendering failed: {exc!r}") from exc
            kind = "image/png"
            body.setdefault("info", {}).update(w=width, h=height, size=len(data), mimetype=kind)
        filename = str(body.get("filename") or body.get("body") or "file")
        body.update(await self.transport.upload(room_id, data, kind, filename))

    async def drain(self) -> int:
        """Send what is queued; returns how many were delivered.

        Order is kept per room: after a transient failure in one room, its later
        messages wait for the next pass while other rooms go on. Delivered messages are
        deleted in one transaction at the end of the pass (a crash before it resends them
        with the same transaction ids).
        """
        async with self._lock:
            if self._whole:
                rows, self._handed = self._handed, []
            else:
                rows = await self._read()
            done: list[int] = []
            failed: list[tuple[int, str]] = []
            delivered = 0
            self._sending = {row.room_id for row in rows}
            try:
                delivered = await self._send(rows, done, failed)
            except BaseException:
                self._whole = False
                raise
            finally:
                try:
                    if done or failed:
                        await self._settle_all(done, failed)
                finally:
                    self._sending = set()
        return delivered

    async def _read(self) -> list[Queued]:
        """What waits in the outbox, read back; what was handed over until now is in it."""
        async with self.db.transaction() as session:
            queued = await outbox.pending(session, self.account, limit=PASS)
            rows = [
                Queued(
                    id=r.id,
                    room_id=r.room_id,
                    event_type=r.event_type,
                    content=r.content,
                    txn_id=r.txn_id,
                    attempts=r.attempts,
                    direct_to=r.direct_to,
                    attachment=r.attachment,
                    attachment_type=r.attachment_type,
                    account=r.account,
                )
                for r in queued
            ]
            self._left = set(await collectives.left_rooms(session, self.account))
            # Under the database's lock: every commit handed over so far is in this read,
            # every later one is handed over after it.
            self._handed = []
            self._whole = len(rows) < PASS
        return rows

    async def _send(
        self, rows: list[Queued], done: list[int], failed: list[tuple[int, str]]
    ) -> int:
        """Send each room's messages in order (and each person's direct messages), up to
        `ROOMS_AT_ONCE` rooms at the same time: a backlog's answers to ten rooms do not
        wait for one another's round trips."""
        lines: dict[str, list[Queued]] = {}
        for row in rows:
            key = f"direct|{row.direct_to}" if row.direct_to else row.room_id
            lines.setdefault(key, []).append(row)
        if len(lines) == 1:
            return await self._send_line(next(iter(lines.values())), done, failed)
        slots = asyncio.Semaphore(ROOMS_AT_ONCE)

        async def one(line: list[Queued]) -> int:
            async with slots:
                return await self._send_line(line, done, failed)

        outcomes = await asyncio.gather(
            *(one(line) for line in lines.values()), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return sum(o for o in outcomes if isinstance(o, int))

    async def _send_line(
        self, rows: list[Queued], done: list[int], failed: list[tuple[int, str]]
    ) -> int:
        """One room's (or person's) messages in order; after a transient failure the rest
        wait for the next pass."""
        delivered = 0
        for row in rows:
            room_id, txn, direct_to = row.room_id, row.txn_id, row.direct_to
            if await self._sent_early(txn):
                delivered += 1
                done.append(row.id)
                continue
            if room_id in self._left and not direct_to:
                log.warning("dropping message %s: the bot is no longer in %s", txn, room_id)
                done.append(row.id)
                continue
            try:
                if direct_to:
                    room_id = await self._direct_room(row.id, direct_to)
                body = json.loads(row.content)
                if row.attachment is not None:
                    kind = row.attachment_type or "application/octet-stream"
                    await self._attach(room_id, body, row.attachment, kind)
                result = await self.transport.send(room_id, row.event_type, body, txn)
                ok, retry, error = result.ok, result.retry, result.error
            except Unsendable as exc:
                ok, retry, error = False, False, str(exc)
            except Exception as exc:  # network down, room not synced yet, ...
                ok, retry, error = False, True, repr(exc)
            if ok:
                delivered += 1
                done.append(row.id)
            elif retry and row.attempts + 1 < MAX_ATTEMPTS:
                log.warning("sending %s to %s failed, will retry: %s", txn, room_id, error)
                failed.append((row.id, error))
                self._whole = False  # it stays queued: the next pass reads the outbox
                break
            else:
                log.error(
                    "dropping message %s to %s after %d tries: %s",
                    txn,
                    room_id,
                    row.attempts + 1,
                    error,
                )
                done.append(row.id)
                await self._tell(room_id, txn, error)
        return delivered

    async def _tell(self, room_id: str, txn: str, error: str) -> None:
        """Say once, in the room, that something the bot meant to post there was given up;
        best effort, as the homeserver may be the reason."""
        self.dropped.setdefault(room_id, []).append(error[:200])
        del self.dropped[room_id][:-10]
        with speaking(self.language_of(room_id)):
            notice = formatter.content(
                _(
                    "Something the bot meant to post here could not be sent and was given up "
                    "({why}). `!status` lists what went wrong; the log has the details."
                ),
                {"why": error[:120]},
            )
        try:
            await self.transport.send(room_id, "m.room.message", notice, f"{txn}.dropped")
        except Exception:
            log.warning("could not tell %s about a dropped message", room_id)

    def problems(self, room_id: str) -> list[str]:
        errors = self.dropped.get(room_id, [])
        return (
            [
                ngettext(
                    "{n} message could not be delivered: {last}",
                    "{n} messages could not be delivered; last: {last}",
                    len(errors),
                ).format(n=len(errors), last=errors[-1])
            ]
            if errors
            else []
        )

    async def _direct_room(self, row_id: int, user_id: str) -> str:
        """The direct chat a queued direct message goes to: the one on record, else one the
        bot is already in, else a new one. A new room is recorded the moment it exists, and
        only then is the member invited (a step retried on its own), so neither a crash nor
        a failed invitation opens a second room."""
        async with self.db.transaction() as session:
            room_id = await direct.room_for(session, user_id, self.account)
        if room_id is None:
            room_id = await self.transport.find_direct(user_id)
            if room_id is not None:
                async with self.db.transaction() as session:
                    known = await collectives.by_room(session, room_id)
                if known is not None and not known.is_direct:
                    room_id = None  # a collective's room of two is no direct chat
            opened = room_id is None
            if room_id is None:
                if self.db.refusing is not None:  # it could not be recorded: a room a try
                    raise RuntimeError("the database refuses writes; not opening a room")
                room_id = await self.transport.create_direct(user_id)
                log.info("opened a direct chat %s", room_id)
            async with self.db.transaction() as session:
                now = self.clock.now()
                await collectives.mark_direct(session, room_id, now, self.account)
                room_id = await direct.record(session, user_id, room_id, now, self.account)
            if opened:
                try:
                    await self.transport.mark_direct(user_id, room_id)
                except Exception as exc:  # the chat works without it; clients just file it
                    log.warning("could not list %s in m.direct: %r", room_id, exc)
        await self.transport.invite_direct(room_id, user_id)
        if not self.transport.sees(room_id, user_id):
            raise RuntimeError("waiting for the invitation to show in a sync")  # retried
        async with self.db.transaction() as session:
            await outbox.set_room(session, row_id, room_id)
        return room_id

    async def _settle_all(self, done: list[int], failed: list[tuple[int, str]]) -> None:
        """Delete what was delivered (or given up) and count failed tries, in one
        transaction. A crash before it resends those messages with the same transaction
        ids, which the homeserver answers with the events it already has."""
        async with self.db.transaction() as session:
            await outbox.delivered_all(session, done)
            for row_id, error in failed:
                await outbox.failed(session, row_id, error)
