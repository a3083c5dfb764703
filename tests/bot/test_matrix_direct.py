"""The bot's `m.direct` list survives direct chats opened side by side (the sender opens
several people's at once): each change is read, made and written whole, one at a time."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from nio import DirectRoomsResponse

from bot.matrix import NioTransport


@dataclass
class Reply:
    status: int = 200


@dataclass
class SlowAccountData:
    """A homeserver's account data, with a round trip's pause in each read and write."""

    user_id: str = "@bot:test.org"
    access_token: str = "token"
    stored: dict[str, list[str]] = field(default_factory=dict)

    async def list_direct_rooms(self) -> DirectRoomsResponse:
        snapshot = json.loads(json.dumps(self.stored))
        await asyncio.sleep(0.01)
        return DirectRoomsResponse(snapshot)

    async def send(self, method: str, path: str, data: str, headers: Any = None) -> Reply:
        assert method == "PUT" and path.endswith("/account_data/m.direct")
        await asyncio.sleep(0.01)
        self.stored = json.loads(data)
        return Reply()


async def test_direct_chats_marked_side_by_side_are_all_listed() -> None:
    homeserver = SlowAccountData()
    transport = NioTransport(homeserver)  # type: ignore[arg-type]
    people = [f"@member{i}:test.org" for i in range(5)]
    await asyncio.gather(
        *(transport.mark_direct(user, f"!dm{i}:test.org") for i, user in enumerate(people))
    )
    assert homeserver.stored == {user: [f"!dm{i}:test.org"] for i, user in enumerate(people)}
