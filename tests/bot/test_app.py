"""The running bot's start-up, with its real parts wired as `flattening run` wires them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import Bot
from bot.config import Config, parse, with_database
from bot.matrix import SendOutcome
from storage.models import Occurrence, OutboxMessage
from tests.harness import BASE_CONFIG, FakeClock, Harness, RecordingTransport


@dataclass
class GatedTransport(RecordingTransport):
    """A homeserver that holds every send (a chart upload, a long 429 wait) until opened."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> SendOutcome:
        await self.gate.wait()
        return await super().send(room_id, event_type, content, txn_id)


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
        if running.scheduler.running:
            running.scheduler.shutdown(wait=False)
        await running.client.close()
        await running.db.close()


async def test_missed_rituals_do_not_hold_up_the_sync_loop(
    bot: Bot, config: Config, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))  # Sunday: the bot joins its room
    member_side = Harness(bot.db, config, clock)
    await member_side.start()
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))  # restarted after Monday's rotation

    transport = GatedTransport()
    bot.sender.transport = transport
    await asyncio.wait_for(bot._first_synced(), timeout=5)  # used to wait for the delivery

    async with bot.db.transaction() as session:
        ran = await session.scalar(
            select(func.count()).select_from(Occurrence).where(Occurrence.job == "rotation")
        )
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert ran == 1 and queued and transport.sent == []

    transport.gate.set()  # the homeserver answers: the outbox delivers by itself
    await asyncio.wait_for(bot.sender.idle(), timeout=5)
    assert any(s.body.startswith("**Role rotation**") for s in transport.sent)
