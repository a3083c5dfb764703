"""An encrypted message the bot cannot read yet is kept, read once its key arrives, or
its sender is told once that it could not be read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from nio import LocalProtocolError, MegolmEvent, RoomMessageText

from bot.undecrypted import GIVE_UP, Undecrypted

ROOM = "!r:test.org"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def megolm(event_id: str, session: str = "s1") -> MegolmEvent:
    return MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": event_id,
            "sender": "@alice:test.org",
            "origin_server_ts": 1,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "x",
                "sender_key": "k",
                "device_id": "D",
                "session_id": session,
            },
        }
    )


class FakeClient:
    def __init__(self) -> None:
        self.requested: list[str] = []
        self.keys: set[str] = set()

    async def request_room_key(self, event: MegolmEvent) -> None:
        if event.session_id in self.requested:
            raise LocalProtocolError("already")
        self.requested.append(event.session_id)

    def decrypt_event(self, event: MegolmEvent) -> Any:
        if event.session_id not in self.keys:
            raise RuntimeError("no key")
        return RoomMessageText.from_dict(
            {
                "type": "m.room.message",
                "event_id": event.event_id,
                "sender": event.sender,
                "origin_server_ts": 1,
                "content": {"msgtype": "m.text", "body": "!ping"},
            }
        )


def sync(*events: MegolmEvent) -> Any:
    timeline = SimpleNamespace(events=list(events))
    return SimpleNamespace(rooms=SimpleNamespace(join={ROOM: SimpleNamespace(timeline=timeline)}))


async def test_read_once_its_key_arrives() -> None:
    client = FakeClient()
    waiting = Undecrypted(client)  # type: ignore[arg-type]
    await waiting.collect(sync(megolm("$a"), megolm("$b")), NOW)
    assert client.requested == ["s1"]  # one request per session
    assert waiting.readable() == {}
    client.keys.add("s1")
    late = waiting.readable()
    assert [e.event_id for e in late[ROOM]] == ["$a", "$b"]
    assert waiting.readable() == late  # not forgotten until the batch is committed
    waiting.handled(late)
    assert waiting.readable() == {} and waiting.given_up(NOW + GIVE_UP) == []


async def test_a_session_that_stays_unreadable_is_told_once() -> None:
    waiting = Undecrypted(FakeClient())  # type: ignore[arg-type]
    await waiting.collect(sync(megolm("$a"), megolm("$b"), megolm("$c", "s2")), NOW)
    assert waiting.given_up(NOW + timedelta(minutes=1)) == []
    told = waiting.given_up(NOW + GIVE_UP)
    assert sorted(u.event_id for u in told) == ["$a", "$c"]
    assert waiting.given_up(NOW + 2 * GIVE_UP) == []
