"""The running bot: migrate, log in, then sync, process, deliver, forever; reconnect on failure."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from nio import SyncResponse
from sqlalchemy.engine import make_url

from bot import __version__, gaps, incoming, matrix, unread_notices
from bot.clock import SystemClock
from bot.config import Config
from bot.database import Database
from bot.events import Batch, Invite
from bot.outgoing import QueuedOutgoing
from bot.processor import Hooks, Processor
from bot.scheduler import Rituals
from bot.sender import Sender
from bot.undecrypted import Undecrypted, Unread
from handlers.context import Clock, Message, Runtime
from handlers.i18n import N_, _, speaking
from handlers.practices import practices
from handlers.registry import Registry
from handlers.renderers import RENDERERS
from storage import collectives, sync_state
from storage.engine import StorageError, WritesRefused
from storage.sealing import Sealer

log = logging.getLogger(__name__)

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
SYNC_TIMEOUT_MS = 30_000
ISOLATE_AFTER = 3  # failed replays of one batch before rooms are processed one by one
GAP_TRIES = 6  # syncs asked for again when what an outage left out cannot be fetched
EARLY_WAIT = 2.0  # seconds the next sync waits for read-only answers already sent to land
DEVICE_CHANGED = N_(
    "The bot now runs as a new device, {device}: its encryption keys were lost or replaced, "
    "or it had to log in again. Your client may show this device as new and unverified; it "
    "is the bot's. Nothing else is needed, and everything the bot keeps is as it was."
)


class Bot:
    def __init__(self, config: Config, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.started_at = self.clock.now()
        self.registry = Registry(practices())
        self.db = Database(config.database_url)
        # Reflection answers are sealed with a key beside the E2EE store, never in the database.
        self.sealer = Sealer.in_store(config.matrix.store_path)
        self.client = matrix.new_client(config.matrix)
        self.sender = Sender(
            self.db,
            matrix.NioTransport(self.client),
            RENDERERS,
            self.clock,
            account=config.matrix.user_id,
        )
        self.undecrypted = Undecrypted(self.client)
        self.scheduler = AsyncIOScheduler()
        self.rituals = Rituals(
            db=self.db,
            config=config,
            registry=self.registry,
            clock=self.clock,
            runtime=self.runtime,
            sender=self.sender,
            scheduler=self.scheduler,
            deliver_in_background=True,
        )
        # Invitations whose join is being retried, so their facts survive until it works.
        self._invites: dict[str, Invite] = {}
        self.membership = matrix.NioMembership(self.client, before_retry=self._remember_invite)
        self.processor = Processor(
            db=self.db,
            config=config,
            registry=self.registry,
            clock=self.clock,
            runtime=self.runtime,
            membership=self.membership,
            hooks=Hooks(on_new_collective=self.rituals.add_collective),
            early=self.sender.send_early,
        )
        # A read-only command's answer goes out before its batch commits, unless a new
        # device could then be left out of an encrypted room's key.
        self.sender.may_send_early = lambda: not matrix.keys_pending(self.client)
        self.sender.language_of = lambda room_id: config.for_room(room_id).language
        self._stop = asyncio.Event()
        self._current_room: str | None = None
        # The device id on record in the database once this run has compared it.
        self._device_recorded: str | None = None
        # Unreadable messages not yet told because the database refused the writes.
        self._untold: list[Unread] = []

    def runtime(self, room_id: str) -> Runtime:
        return Runtime(
            version=__version__,
            started_at=self.started_at,
            registry=self.registry,
            user_id=self.config.matrix.user_id,
            next_runs=self.rituals.next_runs(room_id),
            next_fire=lambda job, after: self.rituals.next_fire(job, room_id, after),
            problems=self._problems(room_id),
            sealer=self.sealer,
        )

    def _problems(self, room_id: str) -> list[str]:
        """What went wrong in a room, worded in its language (a runtime is made before the
        context that sets the language)."""
        with speaking(self.config.for_room(room_id).language):
            return [*self.rituals.problems(room_id), *self.sender.problems(room_id)]

    async def handle(self, batch: Batch, *, initial: bool = False, isolate: bool = False) -> None:
        """Process one batch (one transaction), keeping what a retried join needs."""
        for invite in batch.invites:
            self._invites[invite.room_id] = invite
        for room_id in [*batch.left, *(room.room_id for room in batch.joined)]:
            self.membership.forget(room_id)  # withdrawn, or joined after all
        try:
            await self.processor.process(batch, initial=initial, isolate=isolate)
        finally:
            self._invites = {
                room_id: invite
                for room_id, invite in self._invites.items()
                if self.membership.retrying(room_id)
            }

    async def _remember_invite(self, room_id: str) -> None:
        """Before a join is retried: record whether the invitation was to a direct chat,
        as the processor does for a join that worked at once (invariant 6)."""
        invite = self._invites.get(room_id)
        if invite is None:
            return
        async with self.db.transaction() as session:
            await collectives.remember_invite(
                session, room_id, invite.is_direct, self.clock.now(), self.config.matrix.user_id
            )

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        try:
            await self.db.migrate()
        except Exception as exc:
            where = make_url(self.config.database_url).render_as_string(hide_password=True)
            raise StorageError(f"cannot open or upgrade the database {where}: {exc}") from exc
        try:
            await self._connect()
            await self._loop()
        finally:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            await self.membership.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sender.idle(), 10)
            # Never logout(): that would delete the device and its encryption keys.
            await self.client.close()
            await self.db.close()

    async def _connect(self) -> None:
        delay = BACKOFF_START
        while not self._stop.is_set():
            try:
                await matrix.login(self.client, self.config.matrix)
                return
            except matrix.LoginFailed:
                raise
            except Exception as exc:
                log.warning(
                    "cannot reach %s (%r); retrying in %.0fs",
                    self.config.matrix.homeserver,
                    exc,
                    delay,
                )
                await self._sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)

    async def _relogin(self) -> None:
        """The homeserver revoked our token: log in again with the password, or stop clearly."""
        cfg = self.config.matrix
        if not cfg.password:
            raise matrix.LoginFailed(
                f"{cfg.homeserver} no longer accepts the bot's access token; "
                "put a new access_token in the config and move store/credentials.json away"
            )
        log.warning("the access token was revoked; logging in again (a new device)")
        matrix.forget_login(cfg)
        self.client.access_token = ""
        await matrix.login(self.client, cfg)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _loop(self) -> None:
        account = self.config.matrix.user_id
        async with self.db.transaction() as session:
            token = await sync_state.get_token(session, account)
        first = True
        delay = BACKOFF_START
        replay = BACKOFF_START  # a failed batch's replays back off on their own
        failures = 0
        gap_failures = 0
        while not self._stop.is_set():
            await self.sender.early_landed(EARLY_WAIT)
            if self._stop.is_set():
                break
            try:
                resp = await self._sync(token, first)
            except Exception as exc:
                log.warning("sync failed (%r); reconnecting in %.0fs", exc, delay)
                await self._sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            if self._stop.is_set():
                break
            if getattr(resp, "status_code", None) == "M_UNKNOWN_TOKEN":
                await self._relogin()
                continue
            if not isinstance(resp, SyncResponse):
                log.warning(
                    "sync refused: %s; retrying in %.0fs", getattr(resp, "message", resp), delay
                )
                await self._sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            delay = BACKOFF_START
            try:
                missed = await gaps.fill_gaps(self.client, resp, token)
                gap_failures = 0
            except Exception as exc:
                # Going on would move the token past what the outage left out, uncounted
                # for good: the same sync is asked for again, as for a failed batch, for a
                # few minutes; after that the bot goes on rather than stop for good.
                gap_failures += 1
                if gap_failures < GAP_TRIES:
                    log.warning(
                        "could not fetch the events an outage left out (%r); trying again in %.0fs",
                        exc,
                        replay,
                    )
                    self.client.next_batch = None
                    await self._sleep(replay)
                    replay = min(replay * 2, BACKOFF_MAX)
                    continue
                log.error(
                    "could not fetch the events an outage left out after %d tries (%r); going "
                    "on without them: what they held is not counted or answered",
                    gap_failures,
                    exc,
                )
                gap_failures = 0
                missed = {}
            paged = set(missed)
            late = self.undecrypted.readable()  # events whose keys arrived since
            for room_id, evs in late.items():
                missed[room_id] = [*evs, *missed.get(room_id, [])]
            try:
                batch = incoming.to_batch(
                    self.client, resp, missed, received_at=self.clock.now(), paged=paged
                )
                await self.handle(batch, initial=token is None, isolate=failures >= ISOLATE_AFTER)
                failures = 0
            except Exception as exc:
                # Nothing of the batch was committed: the same token replays it.
                if isinstance(exc, WritesRefused):
                    # The host's fault, not the batch's: said once by the database, and
                    # never a reason to skip a room's events.
                    log.debug("sync batch not committed (%s); replaying in %.0fs", exc, replay)
                else:
                    failures += 1
                    log.exception(
                        "processing a sync batch failed (%d); it will be replayed", failures
                    )
                # nio skips (and so does not decrypt) a response whose next_batch it has
                # already seen; forget it so the replay is decrypted like the original.
                self.client.next_batch = None
                await self._sleep(replay)
                replay = min(replay * 2, BACKOFF_MAX)
                continue
            replay = BACKOFF_START
            self.db.writes_work()
            token = resp.next_batch
            if not matrix.keys_pending(self.client):
                self.sender.kick()  # replies first: what follows is not on their way
            self.undecrypted.handled(late)
            try:
                await self.undecrypted.collect(resp, self.clock.now())
                await self._tell_unread(self.undecrypted.given_up(self.clock.now()))
            except Exception:
                log.exception("keeping unreadable events for later failed; going on")
            if self._device_recorded != self.client.device_id:
                await self._tell_device_change()
            if first:
                first = False
                await self._first_synced()
                log.info("synced; Flattening %s is running as %s", __version__, account)
                # What start-up built (modules, the schema, nio's rooms) lives as long as
                # the process: the collector need not scan it again. A full collection
                # took 105 ms with it, 1.7 ms without (README, Performance). Garbage is
                # collected first, or frozen cycles would never be.
                gc.collect()
                gc.freeze()
            try:
                await matrix.housekeeping(self.client)
            except Exception as exc:
                log.warning("encryption housekeeping failed (%r); will retry", exc)
            self.sender.kick()  # (again) for what was queued since: unreadable messages, ...

    async def _tell_unread(self, unread: list[Unread]) -> None:
        """Tell each member once that their encrypted message could not be read; kept for
        the next try while writes are refused."""
        self._untold = await unread_notices.tell(
            self.db, self.config, self.clock, [*self._untold, *unread]
        )

    async def _tell_device_change(self) -> None:
        """After a committed sync (so nio knows which rooms are encrypted): when the bot runs
        as another device than it did before (its encryption store was lost, or it logged in
        again, or kept its device id with a new store and so new keys), tell each encrypted
        collective once; the new device goes on record in the same transaction, so a crash
        before it tells again and one after it never does."""
        device = self.client.device_id
        if not device:
            return
        account = self.config.matrix.user_id
        olm = getattr(self.client, "olm", None)
        key = olm.account.identity_keys.get("ed25519", "") if olm is not None else ""
        identity = f"{device} {key}".strip()  # what is on record: the device and its key
        try:
            async with self.db.transaction() as session:
                known, before = await sync_state.get_device(session, account)
                if not known:
                    return  # nothing committed yet: the next batch records it
                if before is not None and _another_device(before, identity):
                    served = await collectives.joined(session, account)
                    told = 0
                    for room_id in [c.room_id for c in served if not c.is_direct]:
                        room = self.client.rooms.get(room_id)
                        if room is None or not room.encrypted:
                            continue
                        outgoing = QueuedOutgoing(
                            session, self.clock, f"{room_id}|device|{identity}", account
                        )
                        with speaking(self.config.for_room(room_id).language):
                            await outgoing.post(
                                Message(room_id, _(DEVICE_CHANGED), {"device": device})
                            )
                        told += 1
                    log.info(
                        "the bot's device changed from %s to %s; told %d encrypted room(s)",
                        before,
                        device,
                        told,
                    )
                await sync_state.set_device(session, account, identity)
        except WritesRefused:
            return  # said once by the database; tried again after the next batch
        except Exception:
            log.exception("could not record the bot's device; will try again")
            return
        self._device_recorded = device

    async def _first_synced(self) -> None:
        """The first batch is committed: start the scheduler and catch up on missed rituals.

        Their messages are queued and delivered in the background, so the next sync
        does not wait for them."""
        self.scheduler.start()
        try:
            await self.rituals.start()
        except Exception:
            log.exception("scheduling rituals failed; they will be retried on their triggers")

    async def _sync(self, token: str | None, first: bool) -> object:
        stop = asyncio.ensure_future(self._stop.wait())
        sync = asyncio.ensure_future(
            self.client.sync(
                timeout=0 if first else SYNC_TIMEOUT_MS,
                sync_filter=matrix.SYNC_FILTER,
                since=token,
                # After a restart nio knows no room state; ask for all of it once.
                full_state=True if (first and token) else None,
            )
        )
        done, _ = await asyncio.wait({stop, sync}, return_when=asyncio.FIRST_COMPLETED)
        if sync not in done:
            sync.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sync
            return None
        stop.cancel()
        return sync.result()


def _another_device(before: str, now: str) -> bool:
    """Whether the device on record ("DEVICE" or "DEVICE ed25519-key") is another one: a
    new device id, or the same id with another key (a store lost while an access token
    kept the id). A record without a key only compares the id."""
    before_id, _, before_key = before.partition(" ")
    now_id, _, now_key = now.partition(" ")
    return before_id != now_id or bool(before_key and now_key and before_key != now_key)


async def serve(config: Config) -> None:
    bot = Bot(config)
    loop = asyncio.get_running_loop()
    if sys.platform != "win32":  # asyncio has no signal handlers there
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, bot.stop)
    await bot.run()
