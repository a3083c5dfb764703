"""The running bot's start-up, with its real parts wired as `flattening run` wires them."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from nio import MatrixRoom
from sqlalchemy import func, select

from bot.app import Bot
from bot.config import Config, parse, with_database
from bot.matrix import SendOutcome
from storage import sync_state
from storage.models import Collective, Occurrence, OutboxMessage
from tests.harness import ALICE, BASE_CONFIG, BOT, ROOM, FakeClock, Harness, RecordingTransport


@dataclass
class GatedTransport(RecordingTransport):
    """A homeserver that holds every send (a chart upload, a long 429 wait) until opened."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> SendOutcome:
        await self.gate.wait()
        return await super().send(room_id, event_type, content, txn_id)


@pytest.fixture(autouse=True)
def _collector_unfrozen() -> Iterator[None]:
    """The loop freezes what start-up built for the collector; not the test run's."""
    yield
    gc.unfreeze()


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


async def _outbox(bot: Bot) -> list[OutboxMessage]:
    async with bot.db.transaction() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_members_of_encrypted_collectives_are_told_once_of_a_new_device(
    bot: Bot, config: Config, clock: FakeClock
) -> None:
    member_side = Harness(bot.db, config, clock)
    await member_side.start()  # the bot serves ROOM, and its sync token is on record
    async with bot.db.transaction() as session:
        for room_id, direct, account in [
            ("!plain:test.org", False, BOT),  # not encrypted
            ("!dm:test.org", True, BOT),  # a direct chat
            ("!other:test.org", False, "@another-bot:test.org"),  # another account's
        ]:
            session.add(
                Collective(
                    room_id=room_id,
                    is_direct=direct,
                    joined=True,
                    joined_at=clock.now(),
                    account=account,
                )
            )
    for room_id in (ROOM, "!dm:test.org", "!other:test.org"):
        bot.client.rooms[room_id] = MatrixRoom(room_id, BOT, encrypted=True)
    bot.client.rooms["!plain:test.org"] = MatrixRoom("!plain:test.org", BOT)
    before = len(await _outbox(bot))

    # The first run with a device on record (a new install, or an upgrade): nothing said.
    bot.client.device_id = "OLDDEVICE"
    await bot._tell_device_change()
    assert len(await _outbox(bot)) == before
    async with bot.db.transaction() as session:
        assert await sync_state.get_device(session, BOT) == (True, "OLDDEVICE")

    bot.client.device_id = "NEWDEVICE"  # the store was lost: a new login
    await bot._tell_device_change()
    told = (await _outbox(bot))[before:]
    assert [m.room_id for m in told] == [ROOM]
    body = json.loads(told[0].content)["body"]
    assert "new device, NEWDEVICE" in body and "unverified" in body
    assert "Nothing else is needed" in body

    bot._device_recorded = None  # a restart with the same new device says nothing more
    await bot._tell_device_change()
    assert len(await _outbox(bot)) == before + 1
    async with bot.db.transaction() as session:
        assert await sync_state.get_device(session, BOT) == (True, "NEWDEVICE")


async def test_the_same_device_id_with_new_keys_is_a_new_device(
    bot: Bot, config: Config, clock: FakeClock
) -> None:
    """A store lost while an access token in the config kept the device id: the keys are
    new, and members are told once; a record from before keys were kept compares ids."""
    member_side = Harness(bot.db, config, clock)
    await member_side.start()
    bot.client.rooms[ROOM] = MatrixRoom(ROOM, BOT, encrypted=True)
    before = len(await _outbox(bot))
    bot.client.device_id = "SAMEDEVICE"
    await bot._tell_device_change()  # a record from before keys were kept: the id only

    def keys(ed25519: str) -> None:
        bot.client.olm = SimpleNamespace(  # type: ignore[assignment]
            account=SimpleNamespace(identity_keys={"ed25519": ed25519})
        )

    try:
        for key in ("KEY1", "KEY1", "KEY2", "KEY2"):
            keys(key)
            bot._device_recorded = None  # a restart
            await bot._tell_device_change()
    finally:
        bot.client.olm = None
    told = (await _outbox(bot))[before:]
    assert [m.room_id for m in told] == [ROOM]  # KEY1 only completed the record; KEY2 told
    async with bot.db.transaction() as session:
        assert await sync_state.get_device(session, BOT) == (True, "SAMEDEVICE KEY2")


async def test_a_device_change_is_not_recorded_without_its_notices(
    bot: Bot, config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while telling (here: queueing the notice) leaves the old device on record,
    so the next try tells the room; nothing is half done."""
    member_side = Harness(bot.db, config, clock)
    await member_side.start()
    bot.client.rooms[ROOM] = MatrixRoom(ROOM, BOT, encrypted=True)
    bot.client.device_id = "OLDDEVICE"
    await bot._tell_device_change()
    before = len(await _outbox(bot))

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk said no")

    bot.client.device_id = "NEWDEVICE"
    with monkeypatch.context() as patch:
        patch.setattr("bot.outgoing.QueuedOutgoing.post", broken)
        await bot._tell_device_change()
    assert bot._device_recorded == "OLDDEVICE"
    async with bot.db.transaction() as session:
        assert await sync_state.get_device(session, BOT) == (True, "OLDDEVICE")

    await bot._tell_device_change()  # tried again after the next batch: told once
    assert [m.room_id for m in (await _outbox(bot))[before:]] == [ROOM]
    assert bot._device_recorded == "NEWDEVICE"


async def test_a_gap_that_cannot_be_paged_back_is_asked_for_again_not_skipped(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """Going on without what an outage left out would move the token past it for good:
    the same sync is asked for again, and only a sync whose gaps were fetched commits."""
    from nio import SyncResponse

    from bot import app as app_module

    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with bot.db.transaction() as session:
        await sync_state.set_token(session, BOT, "s0", clock.now())
    asked: list[str | None] = []
    paging = ["unreachable", "fine"]

    async def sync(token: str | None, first: bool) -> SyncResponse:
        asked.append(token)
        rooms = {"join": {}, "invite": {}, "leave": {}}
        return SyncResponse.from_dict({"next_batch": f"s{len(asked)}", "rooms": rooms})

    async def fill_gaps(client: object, resp: object, since: str | None) -> dict[str, list[Any]]:
        if paging.pop(0) == "unreachable":
            raise TimeoutError("the homeserver did not answer /messages")
        return {}

    async def synced() -> None:
        bot.stop()

    async def no_wait(_seconds: float) -> None:
        return None

    monkeypatch.setattr(bot, "_sync", sync)
    monkeypatch.setattr(bot, "_sleep", no_wait)
    monkeypatch.setattr(bot, "_first_synced", synced)
    monkeypatch.setattr(app_module.gaps, "fill_gaps", fill_gaps)
    await asyncio.wait_for(bot._loop(), timeout=10)
    assert asked == ["s0", "s0"]  # asked again from the same token, not from past the gap
    async with bot.db.transaction() as session:
        assert await sync_state.get_token(session, BOT) == "s2"

    # A gap that never comes: after a few tries the bot goes on rather than stop for good.
    bot._stop.clear()
    asked.clear()
    paging[:] = ["unreachable"] * app_module.GAP_TRIES
    await asyncio.wait_for(bot._loop(), timeout=10)
    assert asked == ["s2"] * app_module.GAP_TRIES
    async with bot.db.transaction() as session:
        assert await sync_state.get_token(session, BOT) == f"s{app_module.GAP_TRIES}"


async def test_the_next_sync_is_asked_for_once_an_early_answer_has_landed(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """A sync request reaching the homeserver while it stores the bot's answer slows that
    answer's delivery: the loop lets an answer sent early land first (bounded)."""
    from nio import SyncResponse

    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with bot.db.transaction() as session:
        await sync_state.set_token(session, BOT, "s0", clock.now())
    landed = asyncio.Event()

    async def homeserver_stores_it() -> bool:
        await asyncio.sleep(0.1)
        landed.set()
        return True

    answer = asyncio.create_task(homeserver_stores_it())
    bot.sender._flying.add(answer)
    answer.add_done_callback(bot.sender._flying.discard)
    seen: list[bool] = []

    async def sync(token: str | None, first: bool) -> SyncResponse:
        seen.append(landed.is_set())
        bot.stop()
        rooms = {"join": {}, "invite": {}, "leave": {}}
        return SyncResponse.from_dict({"next_batch": "s1", "rooms": rooms})

    async def synced() -> None:
        return None

    monkeypatch.setattr(bot, "_sync", sync)
    monkeypatch.setattr(bot, "_first_synced", synced)
    await asyncio.wait_for(bot._loop(), timeout=10)
    assert seen == [True]


async def test_what_start_up_built_is_not_scanned_by_the_collector_again(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    from nio import SyncResponse

    async def sync(token: str | None, first: bool) -> SyncResponse:
        rooms = {"join": {}, "invite": {}, "leave": {}}
        return SyncResponse.from_dict({"next_batch": "s1", "rooms": rooms})

    async def synced() -> None:
        bot.stop()

    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(bot, "_sync", sync)
    monkeypatch.setattr(bot, "_first_synced", synced)
    gc.unfreeze()
    await asyncio.wait_for(bot._loop(), timeout=10)
    assert gc.get_freeze_count() > 10_000  # the modules and their objects


async def test_unreadable_messages_are_still_told_after_the_database_refused_the_writes(
    bot: Bot, config: Config, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.undecrypted import Unread
    from storage.engine import WritesRefused

    member_side = Harness(bot.db, config, clock)
    await member_side.start()  # the bot serves ROOM
    before = len(await _outbox(bot))
    real = bot.db.transaction
    refusals = [WritesRefused("read-only")]

    def refusing() -> Any:
        if refusals:
            raise refusals.pop()
        return real()

    monkeypatch.setattr(bot.db, "transaction", refusing)
    await bot._tell_unread([Unread(ROOM, ALICE, "$unreadable")])
    assert len(await _outbox(bot)) == before  # refused: nothing queued, nothing lost
    await bot._tell_unread([])  # the next round, writes work again
    await bot._tell_unread([])  # and it is told once only
    told = (await _outbox(bot))[before:]
    assert len(told) == 1 and "could not read your encrypted message" in told[0].content
