"""The matrix-nio connection: login kept in the store, E2EE chores, sending and joining
(a sync response becomes plain data in `bot/incoming.py`)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nio import (
    AsyncClient,
    AsyncClientConfig,
    DirectRoomsResponse,
    JoinError,
    LoginResponse,
    RoomCreateResponse,
    RoomPreset,
    RoomPutStateResponse,
    RoomSendResponse,
    UploadResponse,
    WhoamiResponse,
)

from bot.config import MatrixConfig

log = logging.getLogger(__name__)

CREDENTIALS = "credentials.json"
# A generous timeline so a short outage does not leave a gap in what we see.
SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 200}, "state": {"lazy_load_members": False}},
    "presence": {"not_types": ["*"]},
}
TRANSIENT = {"M_LIMIT_EXCEEDED", "M_UNKNOWN"}


class LoginFailed(RuntimeError):
    """The homeserver refused our credentials; worded for the host."""


@dataclass
class SendOutcome:
    ok: bool
    retry: bool = False
    error: str = ""


class Client(AsyncClient):  # type: ignore[misc]
    """nio's client, but an encrypted event keeps its `m.relates_to` in the clear, as the
    spec asks, so the homeserver threads a reply in an encrypted room as in a plain one."""

    def encrypt(
        self, room_id: str, message_type: str, content: dict[Any, Any]
    ) -> tuple[str, dict[str, Any]]:
        kind, encrypted = super().encrypt(room_id, message_type, content)
        relates = content.get("m.relates_to")
        if isinstance(relates, dict):
            encrypted = {**encrypted, "m.relates_to": relates}
        return kind, encrypted


def new_client(cfg: MatrixConfig) -> AsyncClient:
    try:
        # Keys, device id and access token: for the bot's owner only.
        cfg.store_path.mkdir(parents=True, exist_ok=True, mode=0o700)
        cfg.store_path.chmod(0o700)
    except OSError as exc:
        raise LoginFailed(f"cannot create store_path {cfg.store_path}: {exc.strerror}") from exc
    client_config = AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=False,  # our token lives in our database, with the batch's effects
        max_timeouts=2,  # surface outages to our loop, which backs off and reconnects
        max_limit_exceeded=None,  # wait out every 429 for retry_after_ms, never drop
        request_timeout=30,
    )
    return Client(cfg.homeserver, cfg.user_id, store_path=str(cfg.store_path), config=client_config)


def _write_credentials(path: Path, data: dict[str, str]) -> None:
    """Owner-only (0600) whatever the umask; a stale temporary file is not reused, as it
    would keep its own mode."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    tmp.replace(path)


async def login(client: AsyncClient, cfg: MatrixConfig) -> None:
    """Reuse the device from the first login, so members see one device and keys persist."""
    path = cfg.store_path / CREDENTIALS
    saved: dict[str, str] = {}
    if path.exists():
        try:
            saved = json.loads(path.read_text())
            if not isinstance(saved, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            raise LoginFailed(
                f"{path} is unreadable ({exc}); move it away to log in afresh "
                "(members will then see a new bot device)"
            ) from exc
    if saved.get("user_id") == cfg.user_id and saved.get("homeserver") == cfg.homeserver:
        try:
            client.restore_login(saved["user_id"], saved["device_id"], saved["access_token"])
            log.info("restored device %s for %s", saved["device_id"], cfg.user_id)
            return
        except Exception as exc:  # the encryption store cannot be read (corrupt, not a DB)
            aside = _move_store_aside(cfg.store_path)
            log.error(
                "the encryption store of device %s cannot be read (%r); moved it to %s and "
                "logging in as a new device (members will see a new bot device)",
                saved.get("device_id"),
                exc,
                aside,
            )
            if not cfg.password:
                raise LoginFailed(
                    "the encryption store was unreadable and was moved aside; a new device "
                    "needs the password (or a new access_token) in the config"
                ) from exc
            # A new device, with a fresh store: forget the old one's id and token.
            client.store, client.olm = None, None
            client.device_id, client.access_token = None, ""
    if cfg.access_token:
        client.access_token = cfg.access_token
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse) or not who.device_id:
            raise LoginFailed(f"the access token was refused by {cfg.homeserver}: {who}")
        if who.user_id != cfg.user_id:
            raise LoginFailed(f"the access token belongs to {who.user_id}, not {cfg.user_id}")
        client.restore_login(cfg.user_id, who.device_id, cfg.access_token)
        device_id, token = who.device_id, cfg.access_token
    else:
        resp = await client.login(cfg.password, device_name=cfg.device_name)
        if not isinstance(resp, LoginResponse):
            raise LoginFailed(f"login to {cfg.homeserver} as {cfg.user_id} failed: {resp.message}")
        device_id, token = resp.device_id, resp.access_token
    _write_credentials(
        path,
        {
            "homeserver": cfg.homeserver,
            "user_id": cfg.user_id,
            "device_id": device_id,
            "access_token": token,
        },
    )
    log.info("logged in as %s with new device %s", cfg.user_id, device_id)


def _move_store_aside(store: Path) -> Path:
    """Keep an unreadable store for whoever runs the bot, out of the way of a new device."""
    aside = store / f"broken-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    aside.mkdir(mode=0o700, exist_ok=True)
    for item in store.iterdir():
        if item.is_file():
            item.rename(aside / item.name)
    return aside


def forget_login(cfg: MatrixConfig) -> None:
    """Drop a revoked access token so the next login starts a new device."""
    (cfg.store_path / CREDENTIALS).unlink(missing_ok=True)


# Waits (seconds) before each new try at a join that failed: about two hours in all,
# after which only a new invitation or a restart tries again.
JOIN_RETRY_DELAYS: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600)


class NioMembership:
    """Joins and refusals; a failed join on an allowed invitation is retried with backoff
    in the background, so the batch goes on and the invitation is not lost until restart.
    """

    def __init__(
        self,
        client: Any,
        *,
        retry_delays: Sequence[float] = JOIN_RETRY_DELAYS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        before_retry: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """`before_retry(room_id)` runs before each retry (the bot records the invitation's
        facts then, so they are in the database before the join shows up in a sync)."""
        self.client = client
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep
        self.before_retry = before_retry
        self._retries: dict[str, asyncio.Task[None]] = {}

    async def join(self, room_id: str) -> bool:
        """Try once now; on failure answer False and keep trying in the background."""
        if await self._join_once(room_id):
            return True
        if not self.retrying(room_id):
            task = asyncio.create_task(self._retry(room_id))
            self._retries[room_id] = task
            task.add_done_callback(lambda done: self._finished(room_id, done))
        return False

    def retrying(self, room_id: str) -> bool:
        task = self._retries.get(room_id)
        return task is not None and not task.done()

    def _finished(self, room_id: str, task: asyncio.Task[None]) -> None:
        if self._retries.get(room_id) is task:
            del self._retries[room_id]

    async def _join_once(self, room_id: str) -> bool:
        try:
            resp = await self.client.join(room_id)
        except Exception as exc:  # the connection, not the homeserver's answer
            log.warning("could not join %s: %r", room_id, exc)
            return False
        if isinstance(resp, JoinError):
            log.warning("could not join %s: %s", room_id, resp.message)
            return False
        return True

    async def _retry(self, room_id: str) -> None:
        for attempt, delay in enumerate(self.retry_delays, start=1):
            await self.sleep(delay)
            try:
                if self.before_retry is not None:
                    await self.before_retry(room_id)
            except Exception:
                log.exception("preparing to join %s again failed", room_id)
                continue
            if await self._join_once(room_id):
                log.info("joined %s on try %d", room_id, attempt + 1)
                return
        log.warning(
            "gave up joining %s after %d tries; a new invitation or a restart tries again",
            room_id,
            len(self.retry_delays) + 1,
        )

    def forget(self, room_id: str) -> None:
        """Stop retrying: the bot is in the room after all, or the invitation was withdrawn.

        (Joining a room the bot is already in is harmless, so a late retry does no harm.)"""
        task = self._retries.pop(room_id, None)
        if task is not None:
            task.cancel()

    async def idle(self) -> None:
        """Wait for every retry to finish (tests)."""
        while self._retries:
            await asyncio.gather(*self._retries.values(), return_exceptions=True)
            await asyncio.sleep(0)  # let the done callbacks run

    async def close(self) -> None:
        for task in self._retries.values():
            task.cancel()
        await asyncio.gather(*self._retries.values(), return_exceptions=True)
        self._retries.clear()

    async def refuse(self, room_id: str) -> None:
        await self.client.room_leave(room_id)


class NioTransport:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        # m.direct is read, changed and written whole: one change at a time, or direct
        # chats opened side by side would overwrite each other's entries.
        self._direct_lock = asyncio.Lock()

    async def upload(
        self, room_id: str, data: bytes, mimetype: str, filename: str
    ) -> dict[str, Any]:
        room = self.client.rooms.get(room_id)
        encrypt = bool(room and room.encrypted)
        resp, keys = await self.client.upload(
            io.BytesIO(data),
            content_type=mimetype,
            filename=filename,
            encrypt=encrypt,
            filesize=len(data),
        )
        if not isinstance(resp, UploadResponse):
            raise RuntimeError(f"upload failed: {getattr(resp, 'message', resp)}")
        if encrypt and keys:
            return {"file": {**keys, "url": resp.content_uri}}
        return {"url": resp.content_uri}

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> SendOutcome:
        if room_id not in self.client.rooms:
            return SendOutcome(False, retry=True, error="room not synced yet")
        resp = await self.client.room_send(
            room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
        )
        if isinstance(resp, RoomSendResponse):
            return SendOutcome(True)
        code = getattr(resp, "status_code", None) or ""
        retry = code in TRANSIENT or not code.startswith("M_")
        return SendOutcome(False, retry=retry, error=f"{code}: {getattr(resp, 'message', resp)}")

    async def _direct_map(self) -> dict[str, list[str]]:
        """The bot's `m.direct` account data: user id -> rooms. Empty when it has none;
        raises when the homeserver cannot say (so it is never overwritten blindly)."""
        resp = await self.client.list_direct_rooms()
        if isinstance(resp, DirectRoomsResponse):
            rooms = resp.rooms if isinstance(resp.rooms, dict) else {}
            return {
                str(user): [r for r in listed if isinstance(r, str)]
                for user, listed in rooms.items()
                if isinstance(listed, list)
            }
        if getattr(resp, "status_code", None) == "M_NOT_FOUND":
            return {}
        raise RuntimeError(f"could not read m.direct: {getattr(resp, 'message', resp)}")

    async def find_direct(self, user_id: str) -> str | None:
        for room_id in (await self._direct_map()).get(user_id, []):
            room = self.client.rooms.get(room_id)
            if room is not None and set(room.users) == {self.client.user_id, user_id}:
                return room_id
        return None

    async def create_direct(self, user_id: str) -> str:
        resp = await self.client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            initial_state=[
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        )
        if not isinstance(resp, RoomCreateResponse):
            raise RuntimeError(f"could not open a direct chat: {getattr(resp, 'message', resp)}")
        return str(resp.room_id)

    def sees(self, room_id: str, user_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return room is not None and user_id in room.users

    async def invite_direct(self, room_id: str, user_id: str) -> None:
        """Invite with `is_direct` in the membership (as createRoom would), unless the
        user is already there or invited; raises when the homeserver refuses, to retry."""
        room = self.client.rooms.get(room_id)
        if room is not None and user_id in room.users:
            return
        resp = await self.client.room_put_state(
            room_id, "m.room.member", {"membership": "invite", "is_direct": True}, user_id
        )
        if isinstance(resp, RoomPutStateResponse):
            return
        message = str(getattr(resp, "message", resp))
        if "already" in message.lower():
            return  # invited (or joined) meanwhile
        raise RuntimeError(f"could not invite {user_id} to {room_id}: {message}")

    async def mark_direct(self, user_id: str, room_id: str) -> None:
        async with self._direct_lock:
            await self._mark_direct(user_id, room_id)

    async def _mark_direct(self, user_id: str, room_id: str) -> None:
        mapping = await self._direct_map()
        listed = mapping.setdefault(user_id, [])
        if room_id in listed:
            return
        listed.append(room_id)
        path = (
            "/_matrix/client/v3/user/"
            + quote(self.client.user_id, safe="")
            + "/account_data/m.direct"
        )
        resp = await self.client.send(
            "PUT",
            path,
            json.dumps(mapping),
            headers={
                "Authorization": f"Bearer {self.client.access_token}",
                "Content-Type": "application/json",
            },
        )
        if resp.status != 200:
            raise RuntimeError(f"m.direct not updated: HTTP {resp.status}")


def keys_pending(client: AsyncClient) -> bool:
    """Whether `housekeeping` has devices to look up or sessions to claim: until it has, an
    encrypted message's key may miss a device that just appeared."""
    return client.olm is not None and bool(client.should_query_keys or client.should_claim_keys)


async def housekeeping(client: AsyncClient) -> None:
    """The E2EE chores nio's sync_forever would do: keys and to-device messages."""
    if client.olm is None:
        return
    if client.outgoing_to_device_messages:
        await client.send_to_device_messages()
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
