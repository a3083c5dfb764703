"""Faults a host meets, short and bounded: the database going away and coming back, the
E2EE store lost or corrupt, the homeserver answering 500s and timing out for a while.

The database and the homeserver are reached through proxies on loopback that the test
cuts and restores (tests/e2e/proxies.py), so nothing is done to the machine's shared
PostgreSQL server or to the session's Synapse.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.synapse import Homeserver, RegisteredUser
from storage.models import AirtimeDay, Collective, SyncToken
from tests.conftest import _admin, fresh_postgres_database
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member
from tests.e2e.proxies import HttpFaultProxy, TcpProxy

pytestmark = pytest.mark.e2e


def _bot(
    homeserver: Homeserver | SimpleNamespace,
    real: Homeserver,
    inviter: RegisteredUser,
    db_url: str,
    directory: Path,
) -> BotProcess:
    account = real.register(f"flattening-fault-{uuid.uuid4().hex[:6]}")
    real.lift_ratelimit(account.user_id)
    directory.mkdir()
    return BotProcess(directory, homeserver, account, inviter.user_id, db_url)  # type: ignore[arg-type]


async def _room(member: Member, bot: BotProcess, *, encrypted: bool = False) -> str:
    room = await member.create_room(bot.account.user_id, encrypted=encrypted)
    await member.wait_joined(room, bot.account.user_id)
    await member.wait_for(room, "Hello! I'm")
    return room


async def _airtime(url: str, room: str) -> tuple[int, int]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            row = (
                await session.execute(
                    select(func.sum(AirtimeDay.messages), func.sum(AirtimeDay.words))
                    .join(Collective, Collective.id == AirtimeDay.collective_id)
                    .where(Collective.room_id == room)
                )
            ).one()
    finally:
        await engine.dispose()
    return int(row[0] or 0), int(row[1] or 0)


async def _converse(
    member: Member, room: str, tag: str, seconds: float
) -> tuple[list[str], int, int]:
    """Talk and give commands for a while; (command event ids, messages, words)."""
    commands, messages, words = [], 0, 0
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        if n % 3 == 0:
            commands.append(await member.say(room, f"!task done {tag} {n}"))
        else:
            body = f"{tag} message {n} counted"
            await member.say(room, body)
            messages += 1
            words += len(body.split())
        await asyncio.sleep(0.4)
    return commands, messages, words


async def _answered_once(member: Member, commands: list[str], timeout: float = 90) -> None:
    for event_id in commands:
        await member.reply_to(event_id, timeout=timeout)
    await member.settle(2)
    for event_id in commands:
        assert len(member.replies_to(event_id)) == 1, event_id


@pytest.fixture
def postgres_direct(postgres_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database's URL, straight to the server."""
    with fresh_postgres_database("flattening_fault") as url:
        yield url


@pytest.mark.slow
async def test_the_database_going_away_and_coming_back_loses_nothing(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    postgres_direct: str,
    tmp_path: Path,
) -> None:
    """PostgreSQL restarted under a running bot (here: every connection to it cut, new
    ones refused, for 6 s): the bot keeps going, reconnects, and nothing is lost."""
    parsed = make_url(postgres_direct)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    via_proxy = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    bot = _bot(homeserver, homeserver, member_account, via_proxy, tmp_path / "bot")
    try:
        bot.start()
        room = await _room(member, bot)
        before, m0, w0 = await _converse(member, room, "before", 2)
        await _answered_once(member, before)

        proxy.cut()
        during, m1, w1 = await _converse(member, room, "during", 6)
        assert bot.process is not None and bot.process.poll() is None
        proxy.restore()
        after, m2, w2 = await _converse(member, room, "after", 2)

        await _answered_once(member, [*during, *after])
        assert bot.process.poll() is None, "the bot exited"
        assert await _airtime(postgres_direct, room) == (m0 + m1 + m2, w0 + w1 + w2)
        log = bot.output()
        assert "it will be replayed" in log  # the failed batch was replayed, not lost
    finally:
        bot.stop()
        proxy.close()


async def _token(url: str, account: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            row = await session.get(SyncToken, account)
            return row.next_batch if row else None
    finally:
        await engine.dispose()


@pytest.mark.slow
async def test_a_database_refusing_writes_is_said_once_and_loses_nothing(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    postgres_direct: str,
    tmp_path: Path,
) -> None:
    """PostgreSQL turned read-only under a running bot (as an administrator, a full disk or
    a failover to a standby would): nothing is answered or committed, the log says so in
    one line, and when writes return everything is answered once and counted exactly."""
    name = make_url(postgres_direct).database
    bot = _bot(homeserver, homeserver, member_account, postgres_direct, tmp_path / "bot")
    try:
        bot.start()
        room = await _room(member, bot)
        before, m0, w0 = await _converse(member, room, "before", 2)
        await _answered_once(member, before)
        token = await _token(postgres_direct, bot.account.user_id)
        assert token is not None

        # New sessions are read-only; the bot's pooled ones are cut, so it reconnects.
        await _admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        await _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        ping = await member.say(room, "!ping")
        during, m1, w1 = await _converse(member, room, "during", 4)
        await member.settle(2)
        assert [e for e in [ping, *during] if member.replies_to(e)] == []
        assert await _token(postgres_direct, bot.account.user_id) == token
        assert bot.process is not None and bot.process.poll() is None, "the bot exited"

        # Writes are allowed again; the bot's connections are left as they are.
        await _admin(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        after, m2, w2 = await _converse(member, room, "after", 2)

        await _answered_once(member, [ping, *during, *after], timeout=45)
        assert member.replies_to(ping)[0].body.startswith("pong")
        assert bot.process.poll() is None, "the bot exited"
        assert await _airtime(postgres_direct, room) == (m0 + m1 + m2, w0 + w1 + w2)
        assert await _token(postgres_direct, bot.account.user_id) != token
        log = bot.output()
        refused = [line for line in log.splitlines() if "refuses writes" in line]
        assert len(refused) == 1, refused
        assert "(read-only)" in refused[0] and "nothing is lost" in refused[0]
        assert "replayed" in refused[0] and name in refused[0]
        assert log.count("accepts writes again; going on") == 1
        assert "Traceback" not in log, log[-4000:]
    finally:
        bot.stop()


@pytest.mark.slow
async def test_homeserver_500s_and_timeouts_are_waited_out(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    tmp_path: Path,
) -> None:
    """For 5 s every request gets an HTTP 500, then for 5 s no answer at all (requests in
    flight dropped); the bot backs off, comes back, and nothing is lost or repeated."""
    proxy = HttpFaultProxy(homeserver.base_url)
    db = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    shim = SimpleNamespace(base_url=proxy.base_url)
    bot = _bot(shim, homeserver, member_account, db, tmp_path / "bot")
    try:
        bot.start()
        room = await _room(member, bot)
        before, m0, w0 = await _converse(member, room, "before", 2)
        await _answered_once(member, before)

        proxy.fail("500")
        errors, m1, w1 = await _converse(member, room, "errors", 5)
        proxy.fail("hang")
        hangs, m2, w2 = await _converse(member, room, "hangs", 5)
        proxy.heal()
        after, m3, w3 = await _converse(member, room, "after", 2)

        await _answered_once(member, [*errors, *hangs, *after])
        assert bot.process is not None and bot.process.poll() is None, "the bot exited"
        assert await _airtime(db, room) == (m0 + m1 + m2 + m3, w0 + w1 + w2 + w3)
        assert proxy.answered["500"] > 0 and proxy.answered["hang"] > 0, proxy.answered
        log = bot.output()
        assert "sync refused" in log or "sync failed" in log
        assert "Traceback" not in log, log[-4000:]
    finally:
        bot.stop()
        proxy.close()


def _device(bot: BotProcess) -> str:
    return str(json.loads((bot.directory / "store" / "credentials.json").read_text())["device_id"])


async def _new_session_for_new_devices(
    member: Member, room: str, user_id: str, device: str
) -> None:
    """What a member's client does when a device joins the room: learn of it (the device
    list changes), and share its keys with it. nio (our member) only ever shares a session
    once, so it starts a new one instead; with the old one the new device could never read
    the member (nio does not answer the bot's key requests either)."""
    deadline = time.monotonic() + 30
    while device not in {d.id for d in member.client.device_store.active_user_devices(user_id)}:
        assert time.monotonic() < deadline, f"the member never saw the bot's device {device}"
        await member.sync(timeout_ms=1000)
    member.client.olm.outbound_group_sessions.pop(room, None)


def _break_store(bot: BotProcess, how: str) -> None:
    store = bot.directory / "store"
    if how == "deleted":
        for path in store.iterdir():
            path.unlink()
        store.rmdir()
        return
    # Corrupt: the encryption keys' database is garbage; the login next to it is intact.
    (keys,) = store.glob("*.db")
    keys.write_bytes(b"\x00garbage, not a database\xff" * 512)


@pytest.mark.parametrize(
    "how",
    [
        "deleted",
        "corrupt",
    ],
)
async def test_a_lost_or_corrupt_store_means_a_new_device_not_a_crash_loop(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    tmp_path: Path,
    how: str,
) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    bot = _bot(homeserver, homeserver, member_account, db, tmp_path / "bot")
    try:
        bot.start()
        room = await _room(member, bot, encrypted=True)
        await member.ask(room, "!ping")
        first = _device(bot)
        bot.stop()

        _break_store(bot, how)
        bot.start(timeout=30)  # waits for "is running as": it started, synced, and runs
        await asyncio.sleep(3)
        assert bot.process is not None and bot.process.poll() is None, "the bot exited"
        run = bot.output()[bot._offset :]
        assert run.count("is running as") == 1
        assert "new device" in run  # a clear line: which device it is now
        assert _device(bot) != first
        await _new_session_for_new_devices(member, room, bot.account.user_id, _device(bot))
        pong = await member.ask(room, "!ping", timeout=60)  # encrypted to the new device
        assert pong.body.startswith("pong")
    finally:
        bot.stop()


async def test_members_are_told_once_when_the_bots_device_changed(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    tmp_path: Path,
) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    bot = _bot(homeserver, homeserver, member_account, db, tmp_path / "bot")
    try:
        bot.start()
        room = await _room(member, bot, encrypted=True)
        bot.stop()
        _break_store(bot, "deleted")
        bot.start()
        bot.stop()
        bot.start()  # a second start with the new device says nothing more
        await member.settle(5)
        told = [n for n in member.notices_in(room) if "device" in n.body.lower()]
        assert len(told) == 1, [n.body for n in told]
        assert _device(bot) in told[0].body and "unverified" in told[0].body
    finally:
        bot.stop()
