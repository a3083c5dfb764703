"""Random crashes, repeated: SIGKILL at random moments of a scripted conversation.

Three collectives (two plain rooms, one encrypted), a per-minute rotation in each, and a
member who talks, gives commands, and keeps talking while the bot is down. The bot is
killed with SIGKILL at random moments (one of them just after a minute's rotation fired,
while its posts are being written and sent) and started again at once. Afterwards:

- every command is answered exactly once, and its effect is stored once (task ledger);
- airtime is exact, read from the bot's own database;
- every rotation the database recorded was posted exactly once, and nothing else was.

On SQLite and PostgreSQL. The short form (5 kills, about 80 s per database) runs in CI;
FLATTENING_SOAK_KILLS=20 makes it longer (about 10 s more per kill), and
FLATTENING_SOAK_SEED=N replays one draw (the seed is printed, and named when it fails).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.synapse import Homeserver, RegisteredUser
from handlers.context import TIME_FORMAT
from storage.models import AirtimeDay, Collective, Occurrence, OutboxMessage, TaskCompletion
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e

KILLS = int(os.environ.get("FLATTENING_SOAK_KILLS", "5"))
ZONE = ZoneInfo("Europe/Berlin")  # the e2e bots' time zone
ROTATION = re.compile(
    r"\*\*Role rotation\*\* for the term starting (\w{3} \d{2} \w{3} \d{4} \d{2}:\d{2})"
)


@dataclass
class Script:
    """What the member did, and so what the bot's database and the rooms must show."""

    messages: Counter[str] = field(default_factory=Counter)  # room -> plain messages
    words: Counter[str] = field(default_factory=Counter)
    tasks: Counter[str] = field(default_factory=Counter)  # room -> `!task done` commands
    commands: dict[str, str] = field(default_factory=dict)  # event id -> command


async def talk(member: Member, script: Script, room: str, n: int) -> None:
    body = f"soak message {n} " + "word " * (n % 5)
    await member.say(room, body)
    script.messages[room] += 1
    script.words[room] += len(body.split())


async def command(member: Member, script: Script, room: str, n: int, rng: random.Random) -> None:
    line = rng.choice(
        [
            "!ping",
            f"!task done soak job {n}",
            f"!knows soak area {n}",
            "!airtime 7d",
            f"!note soak note {n}",
            "!roles",
            "!whohas soak area",
        ]
    )
    script.commands[await member.say(room, line)] = line
    if line.startswith("!task done"):
        script.tasks[room] += 1


async def database_state(
    url: str,
) -> tuple[dict[str, tuple[int, int]], Counter[str], dict[str, list[datetime]], int]:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            airtime = {
                room: (int(m), int(w))
                for room, m, w in (
                    await session.execute(
                        select(
                            Collective.room_id,
                            func.sum(AirtimeDay.messages),
                            func.sum(AirtimeDay.words),
                        )
                        .join(Collective, Collective.id == AirtimeDay.collective_id)
                        .group_by(Collective.room_id)
                    )
                ).all()
            }
            tasks = Counter(
                {
                    room: int(n)
                    for room, n in (
                        await session.execute(
                            select(Collective.room_id, func.count(TaskCompletion.id))
                            .join(Collective, Collective.id == TaskCompletion.collective_id)
                            .group_by(Collective.room_id)
                        )
                    ).all()
                }
            )
            due: dict[str, list[datetime]] = {}
            for room, at in (
                await session.execute(
                    select(Collective.room_id, Occurrence.due_at)
                    .join(Collective, Collective.id == Occurrence.collective_id)
                    .where(Occurrence.job == "rotation")
                )
            ).all():
                due.setdefault(room, []).append(at)
            outbox = int(await session.scalar(select(func.count(OutboxMessage.id))) or 0)
    finally:
        await engine.dispose()
    return airtime, tasks, due, outbox


def rotations(
    member: Member, room: str, due: dict[str, list[datetime]]
) -> tuple[Counter[str], Counter[str]]:
    """The rotations posted in the room (by their term's start, as shown) and those the
    database recorded as run: equal when each ran once and was posted once."""
    posted = Counter(
        m.group(1) for notice in member.notices_in(room) if (m := ROTATION.search(notice.body))
    )
    recorded = Counter(
        at.astimezone(UTC).astimezone(ZONE).strftime(TIME_FORMAT) for at in due.get(room, [])
    )
    return posted, recorded


async def wait_outbox_empty(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (await database_state(url))[3]:
        assert time.monotonic() < deadline, "the outbox did not empty"
        await asyncio.sleep(0.5)


def kill_times(rng: random.Random, start: float, duration: float) -> list[float]:
    """`KILLS` moments in the conversation, one just after the first minute boundary in it
    (the rotations are being written and sent then)."""
    wall = time.time()
    boundary = start + (60 - wall % 60)
    if boundary > start + duration - 1:
        boundary -= 60
    times = [max(start + 1, boundary) + rng.uniform(0.05, 1.0)]
    times += [start + rng.uniform(2, duration) for _ in range(KILLS - 1)]
    return sorted(times)


@pytest.mark.slow
async def test_random_kills_lose_nothing_and_repeat_nothing(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    bot_database: str,
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("FLATTENING_SOAK_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    print(f"soak seed {seed}, {KILLS} kills")
    account = homeserver.register(f"flattening-soak-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "soak-bot"
    directory.mkdir()
    bot = BotProcess(
        directory,
        homeserver,
        account,
        member_account.user_id,
        bot_database,
        extra='[schedule]\nrotation = "* * * * *"\n',
    )
    bot.start()
    try:
        rooms = []
        for encrypted in (False, False, True):
            room = await member.create_room(account.user_id, encrypted=encrypted)
            await member.wait_joined(room, account.user_id)
            await member.wait_for(room, "Hello! I'm")
            rooms.append(room)

        script = Script()
        duration = max(62.0, 10.0 * KILLS)
        start = time.monotonic()
        kills = kill_times(rng, start, duration)
        n = 0
        while time.monotonic() < start + duration or kills:
            n += 1
            room = rng.choice(rooms)
            if rng.random() < 0.4:
                await command(member, script, room, n, rng)
            else:
                await talk(member, script, room, n)
            if kills and time.monotonic() >= kills[0]:
                kills.pop(0)
                await asyncio.sleep(rng.uniform(0, 0.3))  # mid-batch, mid-send, or idle
                bot.stop(signal.SIGKILL)
                for _ in range(rng.randint(0, 2)):  # said while the bot is down
                    n += 1
                    await talk(member, script, rng.choice(rooms), n)
                bot.start()
            # Keep up with the rooms: one sync shows a room's latest 100 events only, so a
            # member who only talked would miss the early answers of a long run.
            await member.sync()
            await asyncio.sleep(rng.uniform(0.05, 0.6))

        for event_id, line in script.commands.items():
            try:
                await member.reply_to(event_id, timeout=60)
            except AssertionError as exc:
                raise AssertionError(f"{line}: {exc} (seed {seed})") from None
        if time.time() % 60 > 50:  # let the next rotation come and go before stopping
            await asyncio.sleep(65 - time.time() % 60)
        await wait_outbox_empty(bot_database)
        bot.stop()
        await member.settle(2)

        airtime, tasks, due, outbox = await database_state(bot_database)
        assert outbox == 0
        for event_id, line in script.commands.items():
            assert len(member.replies_to(event_id)) == 1, f"{line} {event_id} (seed {seed})"
        assert tasks == script.tasks, f"seed {seed}"
        for room in rooms:
            expected = (script.messages[room], script.words[room])
            assert airtime.get(room, (0, 0)) == expected, f"{room} (seed {seed})"
            posted, recorded = rotations(member, room, due)
            assert recorded, f"no rotation ran in {room} (seed {seed})"
            assert posted == recorded, f"{room}: posted {posted}, recorded {recorded} (seed {seed})"
        assert "Traceback" not in bot.output(), bot.output()[-4000:]
        print(
            f"soak: {KILLS} kills, {len(script.commands)} commands, "
            f"{sum(script.messages.values())} messages, "
            f"{sum(len(v) for v in due.values())} rotations, all exactly once"
        )
    finally:
        bot.stop()
