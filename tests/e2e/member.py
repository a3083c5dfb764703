"""A collective member for end-to-end tests: a real matrix-nio client with its own E2EE store."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadError,
    JoinResponse,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomMessageFile,
    RoomMessageImage,
    RoomMessageNotice,
    RoomMessageText,
    RoomRedactResponse,
    RoomSendResponse,
    SyncResponse,
    UnknownEvent,
)
from nio.crypto import decrypt_attachment


class Member:
    def __init__(self, base_url: str, user_id: str, password: str, store: Path) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            base_url,
            user_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        self.password = password
        # What others (the bot) posted: notices and texts, in order.
        self.notices: list[tuple[str, RoomMessageNotice | RoomMessageText]] = []
        self.images: list[tuple[str, Any]] = []
        self.files: list[tuple[str, RoomMessageFile | RoomEncryptedFile]] = []
        self.undecrypted: list[MegolmEvent] = []
        # Events of types nio does not know (polls), decrypted where encrypted.
        self.others: list[tuple[str, UnknownEvent]] = []
        # Invitations seen: (room id, inviter, whether the invitation says `is_direct`).
        self.invites: list[tuple[str, str, bool]] = []

    async def login(self) -> None:
        resp = await self.client.login(self.password, device_name="e2e-member")
        assert isinstance(resp, LoginResponse), resp
        await self.sync()

    async def close(self) -> None:
        await self.client.close()

    async def sync(self, timeout_ms: int = 0) -> None:
        resp = await self.client.sync(
            timeout=timeout_ms,
            full_state=self.client.next_batch is None,
            sync_filter={"room": {"timeline": {"limit": 500}}},
        )
        assert isinstance(resp, SyncResponse), resp
        for room_id, invited in resp.rooms.invite.items():
            for ev in invited.invite_state:
                if getattr(ev, "state_key", None) == self.client.user_id and (
                    getattr(ev, "membership", None) == "invite"
                ):
                    content = getattr(ev, "content", None) or {}
                    direct = isinstance(content, dict) and content.get("is_direct") is True
                    self.invites.append((room_id, ev.sender, direct))
        for room_id, info in resp.rooms.join.items():
            for event in info.timeline.events:
                if isinstance(event, RoomMessageNotice):
                    self.notices.append((room_id, event))
                elif isinstance(event, RoomMessageText) and event.sender != self.client.user_id:
                    self.notices.append((room_id, event))
                elif isinstance(event, RoomMessageImage | RoomEncryptedImage):
                    self.images.append((room_id, event))
                elif isinstance(event, RoomMessageFile | RoomEncryptedFile):
                    self.files.append((room_id, event))
                elif isinstance(event, MegolmEvent):
                    self.undecrypted.append(event)
                elif isinstance(event, UnknownEvent):
                    self.others.append((room_id, event))
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())
        await self.client.send_to_device_messages()

    async def create_room(self, invite: str, *, encrypted: bool, name: str = "e2e") -> str:
        state: list[dict[str, Any]] = []
        if encrypted:
            state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        resp = await self.client.room_create(name=name, invite=[invite], initial_state=state)
        assert isinstance(resp, RoomCreateResponse), resp
        await self.sync()
        return str(resp.room_id)

    async def join(self, room_id: str) -> None:
        resp = await self.client.join(room_id)
        assert isinstance(resp, JoinResponse), resp
        await self.sync()

    async def wait_joined(self, room_id: str, user_id: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            room = self.client.rooms.get(room_id)
            if room and user_id in room.users and user_id not in room.invited_users:
                return
            await self.sync(timeout_ms=1000)
        raise AssertionError(f"{user_id} did not join {room_id} within {timeout}s")

    async def say(self, room_id: str, body: str, **extra: Any) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": body, **extra}
        resp = await self.client.room_send(
            room_id,
            "m.room.message",
            content,
            tx_id=str(uuid.uuid4()),
            ignore_unverified_devices=True,
        )
        assert isinstance(resp, RoomSendResponse), resp
        return str(resp.event_id)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        """Put a reaction (an `m.reaction` annotation) on an event; its event id. (nio never
        encrypts reactions, so they go in the clear even in an encrypted room.)"""
        relates = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        resp = await self.client.room_send(
            room_id,
            "m.reaction",
            {"m.relates_to": relates},
            tx_id=str(uuid.uuid4()),
            ignore_unverified_devices=True,
        )
        assert isinstance(resp, RoomSendResponse), resp
        return str(resp.event_id)

    async def redact(self, room_id: str, event_id: str) -> None:
        """Remove an event of one's own (a reaction taken back)."""
        resp = await self.client.room_redact(room_id, event_id)
        assert isinstance(resp, RoomRedactResponse), resp

    def replies_to(self, event_id: str) -> list[RoomMessageNotice]:
        out = []
        for _room, notice in self.notices:
            relates = notice.source.get("content", {}).get("m.relates_to", {})
            if relates.get("m.in_reply_to", {}).get("event_id") == event_id:
                out.append(notice)
        return out

    def notices_in(self, room_id: str) -> list[RoomMessageNotice]:
        return [n for r, n in self.notices if r == room_id]

    async def reply_to(self, event_id: str, timeout: float = 30) -> RoomMessageNotice:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.replies_to(event_id)
            if found:
                return found[0]
            await self.sync(timeout_ms=1000)
        raise AssertionError(
            f"no reply to {event_id} within {timeout}s; undecrypted: {len(self.undecrypted)}"
        )

    async def ask(self, room_id: str, body: str, timeout: float = 30) -> RoomMessageNotice:
        return await self.reply_to(await self.say(room_id, body), timeout)

    async def wait_for(self, room_id: str, text: str, timeout: float = 30) -> RoomMessageNotice:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for notice in self.notices_in(room_id):
                if text in notice.body:
                    return notice
            await self.sync(timeout_ms=1000)
        raise AssertionError(f"no notice containing {text!r} in {room_id} within {timeout}s")

    async def wait_for_image(self, room_id: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for room, image in self.images:
                if room == room_id:
                    return image
            await self.sync(timeout_ms=1000)
        raise AssertionError(f"no image in {room_id} within {timeout}s")

    async def _get(self, path: str) -> dict[str, Any]:
        url = f"{self.client.homeserver}{path}"
        headers = {"Authorization": f"Bearer {self.client.access_token}"}

        def fetch() -> dict[str, Any]:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=10) as resp:
                data: dict[str, Any] = json.loads(resp.read())
            return data

        return await asyncio.to_thread(fetch)

    async def notifications(self) -> list[dict[str, Any]]:
        """The member's notifications as the homeserver's push rules decided them."""
        return list((await self._get("/_matrix/client/v3/notifications")).get("notifications", []))

    async def thread(self, room_id: str, root: str) -> list[str]:
        """Event ids the homeserver itself counts in a thread (it reads relations in the
        clear, so an encrypted reply is only there when its relation is)."""
        path = f"/_matrix/client/v1/rooms/{room_id}/relations/{root}/m.thread"
        return [e["event_id"] for e in (await self._get(path)).get("chunk", [])]

    async def wait_for_file(
        self, room_id: str, timeout: float = 60
    ) -> RoomMessageFile | RoomEncryptedFile:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for room, file in self.files:
                if room == room_id:
                    return file
            await self.sync(timeout_ms=1000)
        raise AssertionError(f"no file in {room_id} within {timeout}s")

    async def download(self, file: RoomMessageFile | RoomEncryptedFile) -> bytes:
        """A file's bytes as a client gets them: fetched, and decrypted if it was encrypted."""
        resp = await self.client.download(mxc=file.url)
        assert not isinstance(resp, DownloadError), resp
        data: bytes = resp.body
        if isinstance(file, RoomEncryptedFile):
            data = decrypt_attachment(data, file.key["k"], file.hashes["sha256"], file.iv)
        return data

    async def wait_invite(self, inviter: str, timeout: float = 60) -> tuple[str, bool]:
        """The first invitation from `inviter`: its room and whether it is direct."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for room_id, sender, direct in self.invites:
                if sender == inviter:
                    return room_id, direct
            await self.sync(timeout_ms=1000)
        raise AssertionError(f"no invitation from {inviter} within {timeout}s")

    async def settle(self, seconds: float) -> None:
        """Keep syncing for a while, to catch anything the bot should NOT have sent."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.sync(timeout_ms=500)
            await asyncio.sleep(0)
