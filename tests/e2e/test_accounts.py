"""Two bot accounts, each its own process and device, on one PostgreSQL database.

Four collectives (two per account, one of each plain and one encrypted) and a fifth room
both accounts were invited to. A per-minute rotation runs in every room. The processes
start together (one migrates, the other waits), a member talks and gives commands in all
five rooms, one process is killed with SIGKILL and started again. Afterwards:

- every command was answered exactly once, by the account serving its room;
- in the shared room only the account that joined first ever spoke;
- every rotation the database recorded was posted once, by the room's account;
- airtime is exact in every room, and nothing waits in the outbox.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from nio import RoomInviteResponse

from bot.synapse import Homeserver, RegisteredUser
from tests.conftest import fresh_postgres_database
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member
from tests.e2e.test_crash_soak import database_state, rotations, wait_outbox_empty

pytestmark = pytest.mark.e2e

EVERY_MINUTE = '[schedule]\nrotation = "* * * * *"\n'


@pytest.fixture
def shared_postgres(postgres_server: str) -> Iterator[str]:
    with fresh_postgres_database("flattening_accounts") as url:
        yield url


def _bot(hs: Homeserver, inviter: RegisteredUser, url: str, directory: Path) -> BotProcess:
    account = hs.register(f"flattening-acct-{uuid.uuid4().hex[:6]}")
    hs.lift_ratelimit(account.user_id)
    directory.mkdir()
    return BotProcess(directory, hs, account, inviter.user_id, url, extra=EVERY_MINUTE)


@pytest.mark.slow
async def test_two_accounts_share_one_postgresql_and_each_serves_only_its_rooms(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    shared_postgres: str,
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    first = _bot(homeserver, member_account, shared_postgres, tmp_path / "first")
    second = _bot(homeserver, member_account, shared_postgres, tmp_path / "second")
    # Both start at once: the migrations run in one of them while the other waits.
    await asyncio.gather(asyncio.to_thread(first.start), asyncio.to_thread(second.start))
    try:
        owner: dict[str, str] = {}
        for bot in (first, second):
            for encrypted in (False, True):
                room = await member.create_room(bot.account.user_id, encrypted=encrypted)
                await member.wait_joined(room, bot.account.user_id)
                await member.wait_for(room, "Hello! I'm")
                owner[room] = bot.account.user_id
        shared = await member.create_room(first.account.user_id, encrypted=False)
        await member.wait_joined(shared, first.account.user_id)
        await member.wait_for(shared, "Hello! I'm")
        invited = await member.client.room_invite(shared, second.account.user_id)
        assert isinstance(invited, RoomInviteResponse), invited
        await member.wait_joined(shared, second.account.user_id)
        owner[shared] = first.account.user_id
        rooms = list(owner)

        commands: dict[str, tuple[str, str]] = {}  # event id -> (room, command)
        messages: Counter[str] = Counter()
        words: Counter[str] = Counter()

        async def talk(room: str, n: int) -> None:
            body = f"shared host message {n} " + "word " * (n % 4)
            await member.say(room, body)
            messages[room] += 1
            words[room] += len(body.split())

        start = time.monotonic()
        killed = False
        n = 0
        while time.monotonic() < start + 65:
            n += 1
            room = rooms[n % len(rooms)]
            if n % 3 == 0:
                line = rng.choice(["!ping", f"!task done shared job {n}", "!roles"])
                commands[await member.say(room, line)] = (room, line)
            else:
                await talk(room, n)
            if not killed and time.monotonic() > start + 20:
                killed = True
                first.stop(signal.SIGKILL)
                for room in [r for r, o in owner.items() if o == first.account.user_id]:
                    n += 1
                    await talk(room, n)  # said while its account is down
                await asyncio.to_thread(first.start)
            await member.sync()
            await asyncio.sleep(0.3)

        for event_id, (room, line) in commands.items():
            reply = await member.reply_to(event_id, timeout=60)
            assert reply.sender == owner[room], (line, room, reply.sender)
        if time.time() % 60 > 50:  # let the next rotation come and go before stopping
            await asyncio.sleep(65 - time.time() % 60)
        await wait_outbox_empty(shared_postgres)
        first.stop()
        second.stop()
        await member.settle(2)

        for event_id, (room, line) in commands.items():
            assert len(member.replies_to(event_id)) == 1, (line, room)
        airtime, _tasks, due, outbox = await database_state(shared_postgres)
        assert outbox == 0
        for room in rooms:
            assert airtime.get(room, (0, 0)) == (messages[room], words[room]), room
            spoke = {n.sender for n in member.notices_in(room)}
            assert spoke == {owner[room]}, (room, spoke)  # the silent account never spoke
            posted, recorded = rotations(member, room, due)
            assert recorded, f"no rotation ran in {room}"
            assert posted == recorded, (room, posted, recorded)
        for bot in (first, second):
            assert "Traceback" not in bot.output(), bot.output()[-4000:]
        assert "served by another bot account" in second.output()
    finally:
        first.stop()
        second.stop()
