"""What the benchmarks share: a throwaway Synapse with its limits lifted, the bot's config,
members as nio clients, statistics (the bots themselves are in bench/contenders.py).

Everything stays on loopback, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import statistics
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    MegolmEvent,
    RoomMessageNotice,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from bot.synapse import Homeserver, RegisteredUser, start_homeserver

ROOT = Path(__file__).parents[1]
BENCH_ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}


def homeserver(work: Path) -> Homeserver:
    """Synapse with every rate limit lifted (rooms, joins, invites, messages)."""
    return start_homeserver(work / "hs", relaxed_ratelimits=True, log=print)


def register(hs: Homeserver, prefix: str) -> RegisteredUser:
    user = hs.register(f"{prefix}-{uuid.uuid4().hex[:6]}")
    hs.lift_ratelimit(user.user_id)
    return user


def create_room(
    hs: Homeserver,
    owner: RegisteredUser,
    invite: Iterable[str] = (),
    *,
    encrypted: bool = False,
    name: str = "bench",
) -> str:
    state: list[dict[str, Any]] = []
    if encrypted:
        state.append(
            {
                "type": "m.room.encryption",
                "state_key": "",
                "content": {"algorithm": "m.megolm.v1.aes-sha2"},
            }
        )
    body = {"name": name, "preset": "private_chat", "invite": list(invite), "initial_state": state}
    room = hs.request("POST", "/_matrix/client/v3/createRoom", body, token=owner.access_token)
    return str(room["room_id"])


def join(hs: Homeserver, user: RegisteredUser, room_id: str) -> None:
    path = f"/_matrix/client/v3/join/{urllib.parse.quote(room_id)}"
    hs.request("POST", path, {}, token=user.access_token)


def send_text(hs: Homeserver, user: RegisteredUser, room_id: str, body: str) -> str:
    """A plain-room message over HTTP, without a nio client (for backlogs)."""
    txn = uuid.uuid4().hex
    path = f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/send/m.room.message/{txn}"
    reply = hs.request("PUT", path, {"msgtype": "m.text", "body": body}, token=user.access_token)
    return str(reply["event_id"])


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile, nearest rank (p in 0..100)."""
    if not xs:
        return float("nan")
    ordered = sorted(xs)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def bot_config(
    hs: Homeserver,
    account: RegisteredUser,
    inviter: str,
    database_url: str,
    extra: str = "",
    *,
    inviters: str | None = None,
) -> str:
    allowed = inviters if inviters is not None else f'"{inviter}"'
    return f"""
[matrix]
homeserver = "{hs.base_url}"
user_id = "{account.user_id}"
password = "{account.password}"
store_path = "./store"

[storage]
database_url = "{database_url}"

[bot]
allowed_inviters = [{allowed}]
timezone = "Europe/Berlin"
{extra}
"""


@dataclass
class Seen:
    room_id: str
    sender: str
    event_id: str
    body: str
    reply_to: str | None
    at: float  # time.perf_counter() when our sync delivered it
    server_ts: int = 0  # origin_server_ts: when the homeserver stored it (ms)
    wall_ms: float = 0.0  # time.time() when our sync delivered it (ms; same machine's clock)


@dataclass
class Waiter:
    room_id: str
    sender: str
    future: asyncio.Future[Seen]
    reply_to: str | None = None


class BenchMember:
    """A member's nio client on the device its registration made, with its own E2EE store,
    syncing in the background (long polls), so a reply is seen the moment it arrives."""

    def __init__(self, hs: Homeserver, account: RegisteredUser, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.account = account
        self.client = AsyncClient(
            hs.base_url,
            account.user_id,
            device_id=account.device_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.seen: list[Seen] = []
        self.waiters: list[Waiter] = []
        self.undecrypted = 0
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()

    async def sync_once(self, timeout_ms: int = 0) -> None:
        resp = await self.client.sync(
            timeout=timeout_ms,
            full_state=self.client.next_batch is None,
            sync_filter={"room": {"timeline": {"limit": 100}}, "presence": {"not_types": ["*"]}},
        )
        now, wall_ms = time.perf_counter(), time.time() * 1000
        if not isinstance(resp, SyncResponse):
            await asyncio.sleep(0.5)
            return
        for room_id, info in resp.rooms.join.items():
            for event in info.timeline.events:
                if isinstance(event, MegolmEvent):
                    self.undecrypted += 1
                    continue
                if not isinstance(event, RoomMessageText | RoomMessageNotice):
                    continue
                content = event.source.get("content", {})
                relates = content.get("m.relates_to") or {}
                reply_to = (relates.get("m.in_reply_to") or {}).get("event_id")
                seen = Seen(
                    room_id,
                    event.sender,
                    event.event_id,
                    event.body,
                    reply_to,
                    now,
                    int(event.server_timestamp or 0),
                    wall_ms,
                )
                self.seen.append(seen)
                for waiter in list(self.waiters):
                    if (
                        waiter.room_id == room_id
                        and waiter.sender == event.sender
                        and (waiter.reply_to is None or waiter.reply_to == reply_to)
                        and not waiter.future.done()
                    ):
                        waiter.future.set_result(seen)
                        self.waiters.remove(waiter)
        c = self.client
        if c.should_upload_keys:
            await c.keys_upload()
        if c.should_query_keys:
            await c.keys_query()
        if c.should_claim_keys:
            await c.keys_claim(c.get_users_for_key_claiming())
        await c.send_to_device_messages()
        self._synced.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.sync_once(timeout_ms=30_000)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bench keeps going; the waits are bounded anyway
                print(f"{self.account.user_id}: sync failed: {exc!r}", file=sys.stderr)
                await asyncio.sleep(0.5)

    async def start(self) -> None:
        await self.sync_once()
        self._task = asyncio.create_task(self._loop())

    def expect(self, room_id: str, sender: str, reply_to: str | None = None) -> Waiter:
        """Register interest before sending, so a fast reply is not missed."""
        waiter = Waiter(room_id, sender, asyncio.get_running_loop().create_future(), reply_to)
        self.waiters.append(waiter)
        return waiter

    async def say(self, room_id: str, body: str) -> str:
        resp = await self.client.room_send(
            room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": body},
            tx_id=uuid.uuid4().hex,
            ignore_unverified_devices=True,
        )
        if not isinstance(resp, RoomSendResponse):
            raise RuntimeError(f"sending failed: {resp}")
        return str(resp.event_id)

    async def round_trip(
        self, room_id: str, bot: str, body: str, *, by_reply: bool, timeout: float = 60
    ) -> tuple[float, Seen]:
        """Send `body`, wait for the bot's answer; milliseconds from send to seen."""
        waiter = self.expect(room_id, bot)
        start = time.perf_counter()
        event_id = await self.say(room_id, body)
        if by_reply:
            if not waiter.future.done():
                self.waiters.remove(waiter)
            waiter = self._reply_waiter(room_id, bot, event_id)
        try:
            seen = await asyncio.wait_for(waiter.future, timeout)
        finally:
            if waiter in self.waiters:
                self.waiters.remove(waiter)
        return (seen.at - start) * 1000, seen

    def stored_at(self, event_id: str) -> int | None:
        """When the homeserver stored an event this member has seen (origin_server_ts)."""
        return next((s.server_ts for s in reversed(self.seen) if s.event_id == event_id), None)

    def _reply_waiter(self, room_id: str, bot: str, event_id: str) -> Waiter:
        for seen in self.seen:  # it may have been seen already
            if seen.room_id == room_id and seen.sender == bot and seen.reply_to == event_id:
                fut = asyncio.get_running_loop().create_future()
                fut.set_result(seen)
                return Waiter(room_id, bot, fut, event_id)
        return self.expect(room_id, bot, event_id)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()


@dataclass
class SqliteCounts:
    """What the bot's own SQLite database says was counted."""

    messages: int = 0
    words: int = 0
    per_room: dict[str, int] = field(default_factory=dict)


def airtime_counts(db: Path) -> SqliteCounts:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute(
            "SELECT c.room_id, SUM(a.messages), SUM(a.words) FROM airtime_days a "
            "JOIN collectives c ON c.id = a.collective_id GROUP BY c.room_id"
        ).fetchall()
    finally:
        con.close()
    out = SqliteCounts()
    for room, messages, words in rows:
        out.per_room[room] = int(messages)
        out.messages += int(messages)
        out.words += int(words)
    return out


def env_flag(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if re.fullmatch(r"\d+", raw) else default
