"""Paging back what a limited timeline left out: every room's events, oldest first, with
rooms paged side by side and each room's pages in order."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from nio import RoomMessagesResponse

from bot import gaps, incoming, matrix


class Pages:
    """A homeserver's `/messages`: each room has events e0 (oldest) .. eN, served newest
    first, `limit` at a time, from a `start` token that is the index to go back from."""

    def __init__(
        self, sizes: dict[str, int], fail: str | None = None, unreachable: str | None = None
    ) -> None:
        self.sizes = sizes
        self.fail = fail  # answers with an error
        self.unreachable = unreachable  # raises, as nio does after its timeouts
        self.in_flight = 0
        self.most = 0
        self.requests = 0

    async def room_messages(
        self, room_id: str, start: str, end: str, limit: int
    ) -> RoomMessagesResponse | SimpleNamespace:
        self.in_flight += 1
        self.requests += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)
        finally:
            self.in_flight -= 1
        if room_id == self.unreachable and int(start) < self.sizes[room_id] - 200:
            raise TimeoutError("no answer")
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
    missed = await gaps.fill_gaps(client, _sync(sizes), "s0")  # type: ignore[arg-type]
    assert list(missed) == list(sizes)  # the sync's order, the quiet room left out
    for room, n in sizes.items():
        assert [e.event_id for e in missed[room]] == [f"{room}/e{i}" for i in range(1, n + 1)]
    assert 1 < client.most <= gaps.GAP_LANES


async def test_a_room_that_cannot_be_paged_keeps_what_came_and_others_are_whole() -> None:
    sizes = {"!a": 150, "!b": 120}
    missed = await gaps.fill_gaps(Pages(sizes, fail="!a"), _sync(sizes), "s0")  # type: ignore[arg-type]
    assert "!a" not in missed
    assert len(missed["!b"]) == 120


async def test_no_token_no_paging() -> None:
    assert await gaps.fill_gaps(Pages({}), _sync({"!a": 5}), None) == {}  # type: ignore[arg-type]


async def test_a_room_that_raises_stops_every_room_and_says_so() -> None:
    """The caller asks for the whole sync again; no request goes on paging behind it."""
    sizes = {f"!r{i}": 1500 for i in range(6)}
    client = Pages(sizes, unreachable="!r0")
    with pytest.raises(BaseException) as raised:
        await gaps.fill_gaps(client, _sync(sizes), "s0")  # type: ignore[arg-type]
    assert isinstance(raised.value, Exception)  # caught by the sync loop's `except Exception`
    made = client.requests
    await asyncio.sleep(0.1)
    assert client.requests == made and client.in_flight == 0


def test_a_limited_timeline_is_said_unseen_only_when_its_gap_was_not_paged_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from nio import SyncResponse

    rooms = {
        r: {"timeline": {"events": [], "limited": True, "prev_batch": "p"}} for r in ("!a", "!b")
    }
    resp = SyncResponse.from_dict(
        {"next_batch": "s1", "rooms": {"join": rooms, "invite": {}, "leave": {}}}
    )
    client = SimpleNamespace(rooms={}, user_id="@bot:test.org")
    with caplog.at_level("INFO", logger="bot.incoming"):
        # "!b" has late-decrypted events to add, but its gap was not paged back
        incoming.to_batch(client, resp, {"!a": [], "!b": []}, paged={"!a"})  # type: ignore[arg-type]
    unseen = [
        r.getMessage() for r in caplog.records if "earlier events are not seen" in r.getMessage()
    ]
    assert unseen == ["timeline of !b was limited; earlier events are not seen"]


def test_the_benchmarks_bare_client_asks_and_pages_as_the_bot_does() -> None:
    """bench/echo.py keeps copies (it must not import the bot); they must not drift."""
    from bench import echo

    assert echo.SYNC_FILTER == matrix.SYNC_FILTER
    assert (echo.GAP_PAGE, echo.GAP_PAGES, echo.GAP_LANES) == (
        gaps.GAP_PAGE,
        gaps.GAP_PAGES,
        gaps.GAP_LANES,
    )
