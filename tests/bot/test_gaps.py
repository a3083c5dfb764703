"""Paging back what a limited timeline left out: every room's events, oldest first, with
rooms paged side by side and each room's pages in order."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from nio import RoomMessagesResponse

from bot import matrix


class Pages:
    """A homeserver's `/messages`: each room has events e0 (oldest) .. eN, served newest
    first, `limit` at a time, from a `start` token that is the index to go back from."""

    def __init__(self, sizes: dict[str, int], fail: str | None = None) -> None:
        self.sizes = sizes
        self.fail = fail
        self.in_flight = 0
        self.most = 0

    async def room_messages(
        self, room_id: str, start: str, end: str, limit: int
    ) -> RoomMessagesResponse | SimpleNamespace:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        if room_id == self.fail:
            return SimpleNamespace(message="M_UNKNOWN")
        top = int(start)
        chunk = [
            SimpleNamespace(event_id=f"{room_id}/e{i}") for i in range(top, max(top - limit, 0), -1)
        ]
        return RoomMessagesResponse(room_id, chunk, start, str(top - len(chunk)))


def _sync(rooms: dict[str, int]) -> Any:
    join = {
        r: SimpleNamespace(timeline=SimpleNamespace(limited=True, prev_batch=str(n)))
        for r, n in rooms.items()
    }
    join["!quiet"] = SimpleNamespace(timeline=SimpleNamespace(limited=False, prev_batch="9"))
    return SimpleNamespace(rooms=SimpleNamespace(join=join))


async def test_every_room_is_paged_back_oldest_first_side_by_side() -> None:
    sizes = {f"!r{i}": 250 + i for i in range(8)}
    client = Pages(sizes)
    missed = await matrix.fill_gaps(client, _sync(sizes), "s0")  # type: ignore[arg-type]
    assert list(missed) == list(sizes)  # the sync's order, the quiet room left out
    for room, n in sizes.items():
        assert [e.event_id for e in missed[room]] == [f"{room}/e{i}" for i in range(1, n + 1)]
    assert 1 < client.most <= matrix.GAP_LANES


async def test_a_room_that_cannot_be_paged_keeps_what_came_and_others_are_whole() -> None:
    sizes = {"!a": 150, "!b": 120}
    missed = await matrix.fill_gaps(Pages(sizes, fail="!a"), _sync(sizes), "s0")  # type: ignore[arg-type]
    assert "!a" not in missed
    assert len(missed["!b"]) == 120


async def test_no_token_no_paging() -> None:
    assert await matrix.fill_gaps(Pages({}), _sync({"!a": 5}), None) == {}  # type: ignore[arg-type]
