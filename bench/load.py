"""Benchmark (not a test): sustained load across many collectives.

A throwaway Synapse, 50 plain rooms with the same five members, the bot (SQLite) and a
bare matrix-nio client (bench/echo.py) in every room. For N minutes, 1,000 messages a
minute are sent at an even pace to random rooms by random members; every 20th is a
command (half of them `!ping`, which both bots answer). Each minute it prints how far the
bot's own database is behind what was sent (messages not yet counted: the backlog), the
p95 reply time of each bot in that minute, and both bots' memory. At the end it waits
for the bot to catch up and checks that airtime is exact.

    .venv/bin/python -m bench.load [--minutes 10] [--rate 1000] [--rooms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

from bench.common import (
    BenchMember,
    airtime_counts,
    bot_config,
    create_room,
    homeserver,
    join,
    median,
    pct,
    register,
)
from bench.contenders import BareBot, FlatteningBot
from bench.proc import rss_mb
from bot.synapse import RegisteredUser

MEMBERS = 5
COMMAND_EVERY = 20
OTHER_COMMANDS = ("!airtime 7d", "!task done load test", "!whohas load", "!roles")


@dataclass
class Sent:
    room: str
    at: float
    kind: str  # "talk", "ping", "command"
    words: int = 0


@dataclass
class Load:
    sent: dict[str, Sent] = field(default_factory=dict)  # event id -> what and when
    talk: int = 0
    words: int = 0
    failed: int = 0


async def send(
    http: ClientSession, base: str, user: RegisteredUser, room: str, body: str
) -> str | None:
    path = (
        f"{base}/_matrix/client/v3/rooms/{urllib.parse.quote(room)}/send/m.room.message/"
        f"{uuid.uuid4().hex}"
    )
    headers = {"Authorization": f"Bearer {user.access_token}"}
    async with http.put(path, json={"msgtype": "m.text", "body": body}, headers=headers) as resp:
        if resp.status != 200:
            return None
        return str((await resp.json())["event_id"])


def reply_times(
    member: BenchMember, load: Load, bot: str, kinds: tuple[str, ...], since: float, until: float
) -> tuple[list[float], int]:
    """Milliseconds from sending each command of `kinds` (sent in [since, until)) to the
    bot's reply, and how many such commands were sent."""
    first: dict[str, float] = {}
    for seen in member.seen:
        if seen.sender == bot and seen.reply_to in load.sent and seen.reply_to not in first:
            first[seen.reply_to] = seen.at
    asked = [(e, s) for e, s in load.sent.items() if s.kind in kinds and since <= s.at < until]
    return [(first[e] - s.at) * 1000 for e, s in asked if e in first], len(asked)


async def main(minutes: float, rate: int, room_count: int, keep: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="flattening-load-"))
    hs = homeserver(work)
    procs: list[FlatteningBot | BareBot] = []
    watcher: BenchMember | None = None
    try:
        members = [register(hs, f"member{i}") for i in range(MEMBERS)]
        account = register(hs, "flattening")
        bare_account = register(hs, "bare")
        db = work / "bot" / "flattening.db"
        bot = FlatteningBot(
            work / "bot", bot_config(hs, account, members[0].user_id, f"sqlite+aiosqlite:///{db}")
        )
        bot.start()
        procs.append(bot)
        bot.wait_running()
        print(f"creating {room_count} collectives...")
        rooms = []
        for r in range(room_count):
            invite = [m.user_id for m in members[1:]] + [account.user_id, bare_account.user_id]
            room = create_room(hs, members[0], invite, name=f"load {r}")
            for m in members[1:]:
                join(hs, m, room)
            rooms.append(room)
        bare = BareBot(hs, bare_account, rooms, store=work / "bare-store")
        procs.append(bare)
        bare.wait_ready(300)
        watcher = BenchMember(hs, members[0], work / "watcher")
        await watcher.start()
        for room in rooms:  # both bots are there and answering
            await watcher.round_trip(room, account.user_id, "!ping", by_reply=True, timeout=120)
            await watcher.round_trip(
                room, bare_account.user_id, "!ping", by_reply=True, timeout=120
            )
        watcher.seen.clear()

        load = Load()
        rng = random.Random(14)
        interval = 60.0 / rate
        total = int(minutes * rate)
        rows: list[tuple[float, int, float, float]] = []
        rss = {"start": (bot.rss_mb(), rss_mb(bare.pid))}
        print(f"sending {rate} messages a minute to {room_count} rooms for {minutes:g} minutes...")
        start = time.perf_counter()
        minute_end = start + 60
        tasks: set[asyncio.Task[None]] = set()
        limit = asyncio.Semaphore(32)
        async with ClientSession(timeout=ClientTimeout(total=60)) as http:

            async def one(i: int) -> None:
                room = rng.choice(rooms)
                user = rng.choice(members)
                if i % COMMAND_EVERY == COMMAND_EVERY - 1:
                    kind = "ping" if (i // COMMAND_EVERY) % 2 == 0 else "command"
                    body = "!ping" if kind == "ping" else rng.choice(OTHER_COMMANDS)
                else:
                    kind, body = "talk", f"load message {i} " + "word " * (i % 9)
                async with limit:
                    at = time.perf_counter()
                    try:
                        event_id = await send(http, hs.base_url, user, room, body)
                    except Exception:
                        event_id = None
                if event_id is None:
                    load.failed += 1
                    return
                words = len(body.split()) if kind == "talk" else 0
                load.sent[event_id] = Sent(room, at, kind, words)
                if kind == "talk":
                    load.talk += 1
                    load.words += words

            for i in range(total):
                due = start + i * interval
                now = time.perf_counter()
                if due > now:
                    await asyncio.sleep(due - now)
                task = asyncio.create_task(one(i))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                if time.perf_counter() >= minute_end or i == total - 1:
                    behind = load.talk - airtime_counts(db).messages
                    rows.append((minute_end - 60, behind, bot.rss_mb(), rss_mb(bare.pid)))
                    print(
                        f"  minute {len(rows)}: {len(load.sent)} sent, the bot's database "
                        f"behind by {behind}; memory {rows[-1][2]:.0f} MB (bare {rows[-1][3]:.0f} MB)"
                    )
                    if len(rows) == max(1, round(minutes / 2)):
                        rss["middle"] = (rows[-1][2], rows[-1][3])
                    minute_end += 60
            await asyncio.gather(*tasks)
        sent_for = time.perf_counter() - start
        rss.setdefault("middle", rss["start"])
        print("waiting for the bot to catch up...")
        caught_up = time.perf_counter()
        while airtime_counts(db).messages < load.talk:
            if time.perf_counter() - caught_up > 300:
                break
            await asyncio.sleep(0.25)
        catch_up = time.perf_counter() - caught_up
        await asyncio.sleep(5)
        rss["end"] = (bot.rss_mb(), rss_mb(bare.pid))
        counts = airtime_counts(db)

        everything = ("ping", "command")
        inf = float("inf")
        flat_all, commands = reply_times(watcher, load, account.user_id, everything, start, inf)
        flat_ping, pings = reply_times(watcher, load, account.user_id, ("ping",), start, inf)
        bare_all, _ = reply_times(watcher, load, bare_account.user_id, ("ping",), start, inf)
        print("\nminute  behind  Flattening p95 (all / !ping)   bare nio p95 (!ping)")
        for n, (since, behind_then, _, _) in enumerate(rows, start=1):
            f_all, _ = reply_times(watcher, load, account.user_id, everything, since, since + 60)
            f_ping, _ = reply_times(watcher, load, account.user_id, ("ping",), since, since + 60)
            b_ping, _ = reply_times(
                watcher, load, bare_account.user_id, ("ping",), since, since + 60
            )
            print(
                f"  {n:4d}  {behind_then:6d}  {pct(f_all, 95):8.0f} / {pct(f_ping, 95):5.0f} ms"
                f"            {pct(b_ping, 95):6.0f} ms"
            )
        behind = [r[1] for r in rows]
        # Growing: behind by 10 s of traffic more at the end than at the first minute.
        grows = len(behind) >= 2 and behind[-1] - behind[0] > rate / 6
        print(
            f"\n{room_count} collectives, {len(load.sent)} messages in {sent_for / 60:.1f} minutes "
            f"({len(load.sent) / sent_for * 60:.0f} a minute; {load.failed} refused), "
            f"{commands} commands ({pings} !ping, answered by both bots)"
        )
        print(
            f"  replies      Flattening, all commands: p50 {median(flat_all):5.0f} ms, "
            f"p95 {pct(flat_all, 95):5.0f} ms ({len(flat_all)} of {commands} answered)"
        )
        print(
            f"               !ping: Flattening p50 {median(flat_ping):5.0f} ms, p95 "
            f"{pct(flat_ping, 95):5.0f} ms ({len(flat_ping)} of {pings});  bare nio p50 "
            f"{median(bare_all):5.0f} ms, p95 {pct(bare_all, 95):5.0f} ms ({len(bare_all)} of "
            f"{pings});  ratio p50 {median(flat_ping) / median(bare_all):.2f}x, "
            f"p95 {pct(flat_ping, 95) / pct(bare_all, 95):.2f}x"
        )
        print(
            f"  backlog      behind at each minute's end (messages sent, not yet counted): "
            f"{', '.join(str(b) for b in behind)} -> {'GROWS' if grows else 'does not grow'}; "
            f"caught up {catch_up:.1f} s after the last message"
        )
        for when, (b, e) in rss.items():
            print(f"  memory {when:<6} Flattening {b:6.1f} MB   bare nio {e:6.1f} MB")
        exact = counts.messages == load.talk and counts.words == load.words
        print(
            f"  airtime {'exact' if exact else 'WRONG'}: {counts.messages} messages, "
            f"{counts.words} words counted; {load.talk}, {load.words} sent"
        )
        if bot.tracebacks():
            print(f"WARNING: the bot logged {bot.tracebacks()} traceback(s); see {bot.log}")
    finally:
        if watcher is not None:
            await watcher.close()
        for p in procs:
            p.stop()
        hs.stop()
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=int, default=1000, help="messages a minute")
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    asyncio.run(main(args.minutes, args.rate, args.rooms, args.keep))
