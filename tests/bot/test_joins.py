"""A failed join on an allowed invitation is retried with backoff, not left until restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nio import JoinError, JoinResponse

from bot.app import Bot
from bot.config import Config, parse, with_database
from bot.events import Batch, Invite, JoinedRoom, RoomEvent
from bot.matrix import NioMembership
from storage import collectives
from tests.harness import ALICE, BASE_CONFIG, BOT, FakeClock, RecordingTransport

DM = "!dm:test.org"
ROOM = "!room:test.org"


@dataclass
class FlakyClient:
    """Joins fail (with an error answer, or a dropped connection) as scripted, then work."""

    failures: list[Any] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    rooms: dict[str, object] = field(default_factory=dict)

    async def join(self, room_id: str) -> Any:
        self.attempts.append(room_id)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        self.rooms[room_id] = object()
        return JoinResponse(room_id)


@dataclass
class Naps:
    """Sleeps that return at once, remembering how long they were asked to last."""

    taken: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


def unavailable() -> JoinError:
    return JoinError("no server could be reached", "M_UNKNOWN")


async def test_a_failed_join_is_retried_with_growing_waits() -> None:
    client = FlakyClient([unavailable(), ConnectionResetError("gone"), unavailable()])
    naps = Naps()
    retried: list[str] = []

    async def before_retry(room_id: str) -> None:
        retried.append(room_id)

    membership = NioMembership(
        client, retry_delays=(10, 30, 60, 120), sleep=naps, before_retry=before_retry
    )
    assert await membership.join(ROOM) is False  # the processor is told at once
    await membership.idle()
    assert client.attempts == [ROOM] * 4
    assert naps.taken == [10, 30, 60]
    assert retried == [ROOM] * 3
    assert ROOM in client.rooms


async def test_retries_give_up_after_the_schedule_and_never_double_up() -> None:
    client = FlakyClient([unavailable() for _ in range(10)])
    naps = Naps()
    membership = NioMembership(client, retry_delays=(10, 30), sleep=naps)
    assert await membership.join(ROOM) is False
    assert await membership.join(ROOM) is False  # a second invite: one retry loop, not two
    await membership.idle()
    assert client.attempts == [ROOM] * 4  # two immediate tries, then the two retries
    assert naps.taken == [10, 30]


async def test_a_withdrawn_invitation_stops_the_retries() -> None:
    client = FlakyClient([unavailable()])
    membership = NioMembership(client, retry_delays=(10, 30), sleep=Naps())
    await membership.join(ROOM)
    assert membership.retrying(ROOM)
    membership.forget(ROOM)
    await membership.idle()
    assert client.attempts == [ROOM] and not membership.retrying(ROOM)


# --- in the running bot: the retried join keeps the invitation's facts ---


@pytest.fixture
def config(tmp_path: Path) -> Config:
    parsed = parse(BASE_CONFIG, tmp_path / "config.toml", env={})
    return with_database(parsed, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")


@pytest.fixture
async def bot(config: Config, clock: FakeClock) -> AsyncIterator[Bot]:
    running = Bot(config, clock=clock)
    await running.db.migrate()
    try:
        yield running
    finally:
        await running.membership.close()
        await running.client.close()
        await running.db.close()


async def test_the_running_bot_retries_and_a_direct_chat_stays_direct(
    bot: Bot, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    flaky = FlakyClient([unavailable(), unavailable()])
    monkeypatch.setattr(bot.client, "join", flaky.join)
    naps = Naps()
    bot.membership.sleep = naps
    transport = RecordingTransport()
    bot.sender.transport = transport

    await bot.handle(Batch("s1", invites=[Invite(DM, ALICE, is_direct=True)]), initial=False)
    await bot.membership.idle()
    assert flaky.attempts == [DM] * 3 and len(naps.taken) == 2
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, DM)
    assert found is not None and found.is_direct and not found.joined

    # The next sync shows the bot in the room: a direct chat, so no introduction.
    own_join = RoomEvent("$join", BOT, "m.room.member", {"membership": "join"}, state_key=BOT)
    await bot.handle(Batch("s2", joined=[JoinedRoom(DM, [own_join], {ALICE: "Alice"})]))
    await bot.sender.drain()
    assert transport.sent == []
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, DM)
    assert found is not None and found.joined and found.is_direct


async def test_a_room_that_shows_up_joined_or_left_is_not_retried(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyClient([unavailable() for _ in range(4)])
    monkeypatch.setattr(bot.client, "join", flaky.join)

    async def long_wait(seconds: float) -> None:
        await asyncio.Event().wait()

    bot.membership.sleep = long_wait
    await bot.handle(Batch("s1", invites=[Invite(ROOM, ALICE), Invite(DM, ALICE, is_direct=True)]))
    assert bot.membership.retrying(ROOM) and bot.membership.retrying(DM)
    await bot.handle(Batch("s2", joined=[JoinedRoom(ROOM, [], {ALICE: "Alice"})], left=[DM]))
    assert not bot.membership.retrying(ROOM) and not bot.membership.retrying(DM)
