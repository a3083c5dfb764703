"""A test bot: the real processor, dispatcher, outbox and sender, with a recording transport
instead of a homeserver and a fake clock instead of the wall clock.

    await bot.send("!ping")
    assert bot.last.body.startswith("pong")
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Config, parse
from bot.database import Database
from bot.events import Batch, Invite, JoinedRoom, RoomEvent
from bot.matrix import SendOutcome
from bot.processor import Hooks, Processor
from bot.scheduler import Rituals
from bot.sender import Sender
from handlers.context import MARKER, Runtime
from handlers.practices import practices
from handlers.registry import Practice, Registry
from handlers.renderers import RENDERERS
from storage.sealing import Sealer

BOT = "@flattening:test.org"
ROOM = "!collective:test.org"
ALICE = "@alice:test.org"
BOB = "@bob:test.org"
CAROL = "@carol:test.org"

BASE_CONFIG = f"""
[matrix]
homeserver = "https://test.org"
user_id = "{BOT}"
password = "secret"

[bot]
allowed_inviters = ["{ALICE}", ":friends.org"]
timezone = "Europe/Berlin"
"""


# The key that seals reflection answers, as a host keeps it in `store_path`: one for every
# test bot of this process (a restarted bot must open what the first sealed), in a
# temporary folder removed at exit. A test of a lost key passes its own `sealer`.
_KEYS = Path(tempfile.mkdtemp(prefix="flattening-test-keys-"))
atexit.register(shutil.rmtree, _KEYS, ignore_errors=True)
TEST_SEALER = Sealer.in_store(_KEYS)


def make_config(extra: str = "") -> Config:
    return parse(BASE_CONFIG + extra, Path("/etc/flattening/test.toml"), env={})


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)


@dataclass
class Sent:
    room_id: str
    event_type: str
    content: dict[str, Any]
    txn_id: str

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def html(self) -> str:
        return str(self.content.get("formatted_body", ""))

    @property
    def reply_to(self) -> str | None:
        relates = self.content.get("m.relates_to") or {}
        return relates.get("m.in_reply_to", {}).get("event_id")


@dataclass
class RecordingTransport:
    """Records what would have been sent; `script` makes the next sends fail."""

    sent: list[Sent] = field(default_factory=list)
    script: list[SendOutcome | Exception] = field(default_factory=list)
    attempts: int = 0

    # Direct chats: user -> room, as the bot's m.direct would list them; and each one
    # opened, in order (a second for the same person would be a bug).
    direct: dict[str, str] = field(default_factory=dict)
    opened: list[tuple[str, str]] = field(default_factory=list)
    create_fails: int = 0  # the next creations fail (a homeserver down)
    invite_fails: int = 0  # the next invitations fail (the member's homeserver down)
    invited: list[tuple[str, str]] = field(default_factory=list)
    rooms: dict[str, dict[str, str | None]] = field(default_factory=dict)  # who is where

    uploads: list[tuple[str, bytes, str]] = field(default_factory=list)
    filenames: list[str] = field(default_factory=list)
    encrypted_rooms: set[str] = field(default_factory=set)  # uploads there come back as `file`

    async def upload(
        self, room_id: str, data: bytes, mimetype: str, filename: str
    ) -> dict[str, Any]:
        self.uploads.append((room_id, data, mimetype))
        self.filenames.append(filename)
        url = f"mxc://test.org/{len(self.uploads)}"
        if room_id in self.encrypted_rooms:
            return {"file": {"url": url, "key": {"k": "test"}, "iv": "iv", "hashes": {}, "v": "v2"}}
        return {"url": url}

    def upload_of(self, sent: Sent) -> bytes:
        """The bytes an image or file message points at."""
        url = sent.content.get("url") or sent.content.get("file", {}).get("url")
        return self.uploads[int(str(url).rsplit("/", 1)[1]) - 1][1]

    async def find_direct(self, user_id: str) -> str | None:
        """The m.direct room, if the user is still in it (or only invited, as far as known)."""
        room_id = self.direct.get(user_id)
        if room_id is None or (room_id in self.rooms and user_id not in self.rooms[room_id]):
            return None
        return room_id

    async def create_direct(self, user_id: str) -> str:
        if self.create_fails:
            self.create_fails -= 1
            raise RuntimeError("homeserver unreachable")
        room_id = f"!dm{len(self.opened) + 1}:test.org"
        self.opened.append((user_id, room_id))
        return room_id

    async def mark_direct(self, user_id: str, room_id: str) -> None:
        self.direct[user_id] = room_id

    def sees(self, room_id: str, user_id: str) -> bool:
        return True

    async def invite_direct(self, room_id: str, user_id: str) -> None:
        if self.invite_fails:
            self.invite_fails -= 1
            raise RuntimeError("their homeserver is unreachable")
        if (room_id, user_id) not in self.invited:
            self.invited.append((room_id, user_id))

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> SendOutcome:
        self.attempts += 1
        if self.script:
            outcome = self.script.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            if not outcome.ok:
                return outcome
        self.sent.append(Sent(room_id, event_type, content, txn_id))
        return SendOutcome(True)


@dataclass
class FakeMembership:
    joined: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    async def join(self, room_id: str) -> bool:
        self.joined.append(room_id)
        return True

    async def refuse(self, room_id: str) -> None:
        self.refused.append(room_id)


class Harness:
    def __init__(
        self,
        db: Database,
        config: Config,
        clock: FakeClock,
        extra_practices: list[Practice] | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        self.db = db
        self.sealer = sealer or TEST_SEALER
        self.config = config
        self.clock = clock
        self.registry = Registry([*practices(), *(extra_practices or [])])
        self.transport = RecordingTransport()
        self.membership = FakeMembership()
        self.bot_id = config.matrix.user_id
        self.sender = Sender(db, self.transport, RENDERERS, clock, account=self.bot_id)
        self.started_at = clock.now()
        self.members: dict[str, dict[str, str | None]] = {
            ROOM: {ALICE: "Alice", BOB: "Bob", CAROL: "Carol"}
        }
        self.transport.rooms = self.members  # what the homeserver knows of who is where
        self.rituals = Rituals(
            db=db,
            config=config,
            registry=self.registry,
            clock=clock,
            runtime=self.runtime,
            sender=self.sender,
        )
        self.processor = Processor(
            db=db,
            config=config,
            registry=self.registry,
            clock=clock,
            runtime=self.runtime,
            membership=self.membership,
            hooks=Hooks(on_new_collective=self.rituals.add_collective),
        )
        self._ids = itertools.count(1)
        self.event_prefix = "$ev"  # another harness on the same database needs its own
        self._tokens = itertools.count(1)
        self._dm_joined: set[str] = set()
        self.names: dict[str, str] = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol"}
        self.room_names: dict[str, str] = {}
        self.echoed = 0  # how many of the sent messages came back to the bot's timeline
        self.event_ids: dict[int, str] = {}  # index in `sent` -> event id, once echoed

    def runtime(self, room_id: str) -> Runtime:
        return Runtime(
            "test",
            self.started_at,
            self.registry,
            self.bot_id,
            {},
            lambda job, after: self.rituals.next_fire(job, room_id, after),
            [*self.rituals.problems(room_id), *self.sender.problems(room_id)],
            sealer=self.sealer,
        )

    def event_id(self) -> str:
        return f"{self.event_prefix}{next(self._ids)}"

    def token(self) -> str:
        return f"s{next(self._tokens)}"

    def message(self, body: str, sender: str = ALICE, **content: Any) -> RoomEvent:
        return RoomEvent(
            event_id=self.event_id(),
            sender=sender,
            type="m.room.message",
            content={"msgtype": "m.text", "body": body, **content},
        )

    def own_join(self) -> RoomEvent:
        return RoomEvent(
            self.event_id(),
            self.bot_id,
            "m.room.member",
            {"membership": "join"},
            state_key=self.bot_id,
        )

    def room(self, events: list[RoomEvent], room_id: str = ROOM) -> JoinedRoom:
        return JoinedRoom(
            room_id,
            events,
            dict(self.members.get(room_id, {})),
            name=self.room_names.get(room_id, "Test collective"),
        )

    async def process(
        self,
        events: list[RoomEvent] | None = None,
        *,
        room_id: str = ROOM,
        invites: list[Invite] | None = None,
        initial: bool = False,
    ) -> Batch:
        batch = Batch(
            next_batch=self.token(),
            joined=[self.room(events or [], room_id)] if events is not None else [],
            invites=invites or [],
        )
        await self.processor.process(batch, initial=initial)
        await self.sender.idle()
        await self.sender.drain()
        return batch

    async def start(self) -> None:
        """The bot is invited by Alice and joins; its introduction is the first message."""
        await self.process(invites=[Invite(ROOM, ALICE)])
        await self.process([self.own_join()])

    async def send(self, body: str, sender: str = ALICE, room_id: str = ROOM) -> list[Sent]:
        """A member types `body`; returns what the bot sent in answer."""
        before = len(self.transport.sent)
        await self.process([self.message(body, sender)], room_id=room_id)
        return self.transport.sent[before:]

    async def ask(self, text: str, author: str = ALICE, room_id: str = ROOM) -> str:
        """A member types a command; returns the body of the bot's one reply."""
        replies = await self.send(text, author, room_id)
        assert len(replies) == 1, [r.body for r in replies]
        return replies[0].body

    def dm_room(self, user: str) -> str:
        """The direct chat the bot opened (or found) with a user."""
        for who, room_id in reversed(self.transport.opened):
            if who == user:
                return room_id
        return self.transport.direct[user]

    def dms(self, user: str) -> list[Sent]:
        """What the bot sent to a user's direct chats."""
        rooms = {r for who, r in self.transport.opened if who == user}
        rooms |= {r for who, r in self.transport.direct.items() if who == user}
        return [s for s in self.sent if s.room_id in rooms]

    async def answer(self, text: str, user: str = ALICE, room_id: str | None = None) -> list[Sent]:
        """A member writes `text` in their direct chat with the bot (accepting its
        invitation first, the first time); returns what the bot sent in answer."""
        room = room_id or self.dm_room(user)
        events = []
        if room not in self._dm_joined:
            self._dm_joined.add(room)
            events += [
                self.own_join(),
                RoomEvent(
                    self.event_id(),
                    self.bot_id,
                    "m.room.member",
                    {"membership": "invite", "is_direct": True},
                    state_key=user,
                ),
                RoomEvent(
                    self.event_id(), user, "m.room.member", {"membership": "join"}, state_key=user
                ),
            ]
        self.members[room] = {user: self.names.get(user)}
        events.append(self.message(text, user))
        before = len(self.transport.sent)
        await self.process(events, room_id=room)
        return self.transport.sent[before:]

    async def join(self, user: str, name: str, room_id: str = ROOM) -> list[Sent]:
        """Someone joins the collective's room while the bot is there."""
        self.names[user] = name
        self.members.setdefault(room_id, {})[user] = name
        before = len(self.transport.sent)
        event = RoomEvent(
            self.event_id(), user, "m.room.member", {"membership": "join", "displayname": name},
            state_key=user,
        )  # fmt: skip
        await self.process([event], room_id=room_id)
        return self.transport.sent[before:]

    async def echo(self, room_id: str = ROOM) -> list[tuple[str, Sent]]:
        """The bot's own marked messages come back in the room's timeline, as a homeserver
        sends them (with event ids): returns (event id, message) for each."""
        events, echoed = [], []
        for i in range(self.echoed, len(self.transport.sent)):
            sent = self.transport.sent[i]
            if sent.room_id != room_id or MARKER not in sent.content:
                continue
            event_id = self.event_id()
            self.event_ids[i] = event_id
            events.append(RoomEvent(event_id, self.bot_id, sent.event_type, dict(sent.content)))
            echoed.append((event_id, sent))
        self.echoed = len(self.transport.sent)
        if events:
            await self.process(events, room_id=room_id)
        return echoed

    def reaction(self, target: str, key: str, sender: str = ALICE, at_ms: int = 0) -> RoomEvent:
        """A member's reaction (an `m.reaction` annotation) to an event."""
        relates = {"rel_type": "m.annotation", "event_id": target, "key": key}
        return RoomEvent(
            self.event_id(), sender, "m.reaction", {"m.relates_to": relates}, timestamp_ms=at_ms
        )

    def redaction(self, target: str, sender: str = ALICE) -> RoomEvent:
        """A redaction of an event (a removed reaction, a deleted message)."""
        return RoomEvent(self.event_id(), sender, "m.room.redaction", {"redacts": target})

    @property
    def sent(self) -> list[Sent]:
        return self.transport.sent

    @property
    def last(self) -> Sent:
        return self.transport.sent[-1]
