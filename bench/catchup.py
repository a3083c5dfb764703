"""Benchmark (not a test): catching up on a backlog sent while the bot was down.

A throwaway Synapse, ten plain rooms with the same five members, the bot (SQLite) and a
bare matrix-nio client in each. The bot is stopped; a backlog of messages is sent across
the rooms (every 50th a command); the bot is started again and timed from its process
start until its own database shows every message counted exactly (airtime) and every
command handled, and its outbox is empty (every answer accepted by the homeserver).
Each answer is then checked to exist exactly once in the room.

The baseline is a bare nio client (bench/echo.py --catch-up) that syncs from a token
taken before the backlog with the bot's own filter, pages back the limited timelines as
the bot does, and only parses: timed from its process start until it has counted every
message. It runs before and after the bot; the median is the baseline.

    .venv/bin/python -m bench.catchup [--messages 5000] [--rooms 10]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.common import (
    BENCH_ENV,
    ROOT,
    airtime_counts,
    bot_config,
    create_room,
    homeserver,
    join,
    register,
    send_text,
)
from bench.contenders import FlatteningBot
from bench.proc import cpu_s
from bot.sender import ROOMS_AT_ONCE
from bot.synapse import Homeserver, RegisteredUser

MEMBERS = 5
COMMAND_EVERY = 50
COMMANDS = ("!ping", "!airtime 7d", "!task done leaflets", "!roles", "!whohas printing")
GOAL = 0.8
SEND_LANES = ROOMS_AT_ONCE  # rooms the bot's sender posts to at once


@dataclass
class Backlog:
    messages: dict[str, int] = field(default_factory=dict)  # room -> counted messages
    words: dict[str, int] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)  # event id -> room
    total: int = 0


def send_backlog(
    hs: Homeserver, members: list[RegisteredUser], rooms: list[str], n: int
) -> Backlog:
    backlog = Backlog(messages=dict.fromkeys(rooms, 0), words=dict.fromkeys(rooms, 0), total=n)
    per_room = [n // len(rooms) + (1 if i < n % len(rooms) else 0) for i in range(len(rooms))]

    def one_room(index: int) -> tuple[str, int, int, dict[str, str]]:
        room, messages, words, commands = rooms[index], 0, 0, {}
        for i in range(per_room[index]):
            member = members[(i + index) % len(members)]
            if i % COMMAND_EVERY == COMMAND_EVERY - 1:
                body = COMMANDS[(i // COMMAND_EVERY + index) % len(COMMANDS)]
                commands[send_text(hs, member, room, body)] = room
                continue
            body = f"backlog {index} {i} " + "word " * (i % 7)
            send_text(hs, member, room, body)
            messages += 1
            words += len(body.split())
        return room, messages, words, commands

    with ThreadPoolExecutor(max_workers=min(len(rooms), 8)) as pool:
        for room, messages, words, commands in pool.map(one_room, range(len(rooms))):
            backlog.messages[room] = messages
            backlog.words[room] = words
            backlog.commands.update(commands)
    return backlog


def _bot_state(db: Path, commands: set[str]) -> tuple[int, int, int, dict[str, int]]:
    """(messages counted, words, commands handled, outbox) from the bot's own database."""
    counts = airtime_counts(db)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        handled = 0
        ids = list(commands)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            handled += con.execute(
                f"SELECT COUNT(*) FROM processed_events WHERE event_id IN ({marks})", chunk
            ).fetchone()[0]
        outbox = con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    finally:
        con.close()
    return counts.messages, counts.words, handled, {"outbox": outbox, **counts.per_room}


def _stamp(line: str) -> datetime:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


def where_the_time_went(output: str, started: datetime) -> tuple[float, float]:
    """From the bot's log: seconds from its process start to its first log line, and to
    "synced" (its first batch, the whole backlog, committed)."""
    lines = [line for line in output.splitlines() if line[:2] == "20" and len(line) > 23]
    synced = next(line for line in lines if FlatteningBot.RUNNING in line)
    return (
        (_stamp(lines[0]) - started).total_seconds(),
        (_stamp(synced) - started).total_seconds(),
    )


@dataclass
class Took:
    """A phase's wall time, and the CPU time the homeserver and the client spent in it."""

    wall: float
    homeserver_cpu: float
    client_cpu: float


def bare_catch_up(hs: Homeserver, account: RegisteredUser, token: str, expect: int) -> Took:
    hs_cpu = cpu_s(hs.pid)
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.echo", hs.base_url, account.user_id, account.device_id,
         account.access_token, "--catch-up", token],
        cwd=ROOT, env=BENCH_ENV, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    wall, hs_used = time.monotonic() - start, cpu_s(hs.pid) - hs_cpu
    counted = [line for line in done.stdout.splitlines() if line.startswith("caught up")]
    used = [line for line in done.stdout.splitlines() if line.startswith("cpu ")]
    if not counted:
        raise RuntimeError(f"the bare client failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    seen = int(counted[0].split()[-1])
    if seen != expect:
        print(f"  WARNING: the bare client counted {seen} messages, not {expect}")
    return Took(wall, hs_used, float(used[0].split()[1]) if used else 0.0)


def answers(hs: Homeserver, member: RegisteredUser, bot: str, rooms: list[str]) -> dict[str, int]:
    """How many answers from the bot each event has, read back from the rooms' history."""
    replies: dict[str, int] = {}
    for room in rooms:
        start = ""
        for _ in range(200):
            query = urllib.parse.urlencode(
                {"dir": "b", "limit": 1000, **({"from": start} if start else {})}
            )
            page = hs.request(
                "GET",
                f"/_matrix/client/v3/rooms/{urllib.parse.quote(room)}/messages?{query}",
                token=member.access_token,
            )
            for ev in page.get("chunk", []):
                if ev.get("sender") != bot:
                    continue
                relates = ev.get("content", {}).get("m.relates_to") or {}
                target = (relates.get("m.in_reply_to") or {}).get("event_id")
                if target:
                    replies[target] = replies.get(target, 0) + 1
            if not page.get("chunk") or not page.get("end"):
                break
            start = page["end"]
    return replies


def answer_floor(hs: Homeserver, sender: RegisteredUser, rooms_of_answers: list[str]) -> Took:
    """How long the homeserver itself takes to accept as many messages as the bot answered,
    in the same rooms, posted by a bare client the way the bot's sender posts them (each
    room in order, `SEND_LANES` rooms at once, one kept-alive connection per lane, a notice
    replying to nothing): the part of the bot's catch-up that no client can go below, and
    that the parse-only baseline does not include. The bot, still running, syncs them."""
    by_room: dict[str, int] = {}
    for room in rooms_of_answers:
        by_room[room] = by_room.get(room, 0) + 1
    where = urllib.parse.urlsplit(hs.base_url)
    headers = {
        "Authorization": f"Bearer {sender.access_token}",
        "Content-Type": "application/json",
    }
    local = threading.local()

    def one_room(room: str) -> None:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        quoted = urllib.parse.quote(room)
        for i in range(by_room[room]):
            path = f"/_matrix/client/v3/rooms/{quoted}/send/m.room.message/{uuid.uuid4().hex}"
            body = json.dumps({"msgtype": "m.notice", "body": f"floor {i}"})
            local.conn.request("PUT", path, body, headers)
            reply = local.conn.getresponse()
            reply.read()
            if reply.status != 200:
                raise RuntimeError(f"the homeserver refused a floor message: {reply.status}")

    hs_cpu, started = cpu_s(hs.pid), time.monotonic()
    with ThreadPoolExecutor(max_workers=SEND_LANES) as pool:
        list(pool.map(one_room, by_room))
    return Took(time.monotonic() - started, cpu_s(hs.pid) - hs_cpu, 0.0)


async def main(n: int, room_count: int, keep: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="flattening-catchup-"))
    hs = homeserver(work)
    bot: FlatteningBot | None = None
    try:
        members = [register(hs, f"member{i}") for i in range(MEMBERS)]
        account = register(hs, "flattening")
        bare = register(hs, "bare")
        db = work / "bot" / "flattening.db"
        bot = FlatteningBot(
            work / "bot",
            bot_config(hs, account, members[0].user_id, f"sqlite+aiosqlite:///{db}"),
        )
        bot.start()
        bot.wait_running()
        rooms = []
        for r in range(room_count):
            invite = [m.user_id for m in members[1:]] + [account.user_id, bare.user_id]
            room = create_room(hs, members[0], invite, name=f"catch-up {r}")
            for m in [*members[1:], bare]:
                join(hs, m, room)
            rooms.append(room)
        deadline = time.monotonic() + 120
        while True:  # joined and introduced everywhere, nothing left to send
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
            introduced = con.execute(
                "SELECT COUNT(*) FROM collectives WHERE introduced_at IS NOT NULL"
            ).fetchone()[0]
            outbox = con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            con.close()
            if introduced == room_count and outbox == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bot joined {introduced} of {room_count} rooms")
            time.sleep(0.2)
        time.sleep(1)  # the last syncs committed
        printed = subprocess.run(
            [sys.executable, "-m", "bench.echo", hs.base_url, bare.user_id, bare.device_id,
             bare.access_token, "--print-token"],
            cwd=ROOT, env=BENCH_ENV, capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        token = next(line.split()[1] for line in printed.splitlines() if line.startswith("token"))
        bot.stop()

        print(f"sending a backlog of {n} messages to {room_count} rooms while the bot is down...")
        started = time.monotonic()
        backlog = send_backlog(hs, members, rooms, n)
        print(
            f"  sent in {time.monotonic() - started:.0f} s: {sum(backlog.messages.values())} "
            f"messages to count, {len(backlog.commands)} commands"
        )

        bare_runs = [bare_catch_up(hs, bare, token, n)]
        print(f"bare nio client: {bare_runs[0].wall:.2f} s")

        expected_messages = sum(backlog.messages.values())
        expected_words = sum(backlog.words.values())
        commands = set(backlog.commands)
        wall_start = datetime.now()
        hs_cpu = cpu_s(hs.pid)
        bot.start()
        state = (0, 0, 0, {})
        while True:
            state = _bot_state(db, commands)
            messages, words, handled, extra = state
            if messages >= expected_messages and handled == len(commands) and extra["outbox"] == 0:
                break
            if time.monotonic() - bot.started > 600:
                raise RuntimeError(f"the bot did not catch up within 10 minutes: {state}")
            time.sleep(0.05)
        bot_time = time.monotonic() - bot.started
        bot_run = Took(bot_time, cpu_s(hs.pid) - hs_cpu, cpu_s(bot.pid))
        print(f"Flattening: {bot_time:.2f} s")
        bare_runs.append(bare_catch_up(hs, bare, token, n))
        print(f"bare nio client again: {bare_runs[1].wall:.2f} s")
        bare_times = [run.wall for run in bare_runs]

        time.sleep(1)
        messages, words, handled, extra = _bot_state(db, commands)
        exact = messages == expected_messages and words == expected_words
        per_room_ok = all(extra.get(r, 0) == backlog.messages[r] for r in rooms)
        replies = answers(hs, members[0], account.user_id, rooms)
        once = sum(1 for e in commands if replies.get(e) == 1)
        twice = sum(1 for e in commands if replies.get(e, 0) > 1)

        floor_run = answer_floor(hs, bare, list(backlog.commands.values()))
        floor = floor_run.wall
        base = statistics.median(bare_times)
        bot_rate, bare_rate = n / bot_time, n / base
        print(f"\n{n} events in {room_count} rooms, {len(commands)} of them commands, one run")
        print(
            f"  bare nio (parse only)  {base:6.2f} s  {bare_rate:7.0f} events/s  "
            f"(runs: {', '.join(f'{t:.2f}' for t in bare_times)} s)"
        )
        print(
            f"  Flattening             {bot_time:6.2f} s  {bot_rate:7.0f} events/s  "
            f"ratio {bot_rate / bare_rate:4.2f}x (goal at least {GOAL}x)"
        )
        print(
            f"  airtime {'exact' if exact and per_room_ok else 'WRONG'}: {messages} messages, "
            f"{words} words counted; expected {expected_messages}, {expected_words}"
        )
        print(
            f"  commands: {once} of {len(commands)} answered exactly once"
            + (f", {twice} answered more than once" if twice else "")
        )
        try:
            first, synced = where_the_time_went(bot.output(), wall_start)
            print(
                f"  of the bot's {bot_time:.1f} s: {first:.1f} s to its first log line "
                f"(interpreter, imports), {synced - first:.1f} s from there to its first batch "
                f"committed (migrations, login, sync, paging back, every event in one "
                f"transaction), {bot_time - synced:.1f} s after it (the answers delivered)"
            )
        except (StopIteration, ValueError):
            pass
        print(
            f"  the homeserver's floor for the answers: a bare client posting {len(commands)} "
            f"messages to the same rooms, {SEND_LANES} rooms at a time as the bot does, took "
            f"{floor:.2f} s; the bot's time less that floor: {bot_time - floor:.2f} s "
            f"(ratio {base / max(bot_time - floor, 0.01):4.2f}x of the bare parse)"
        )
        # Synapse is one Python process: its work for one client's requests does not
        # overlap its work for another's by much (its database thread aside), so its CPU
        # time is close to a floor on the wall time. The least of the parse runs is taken.
        parse_cpu = min(run.homeserver_cpu for run in bare_runs)
        needed = parse_cpu + floor_run.homeserver_cpu
        print(
            f"  the homeserver's CPU time: {parse_cpu:.2f} s while the bare client parsed "
            f"(the least of {', '.join(f'{r.homeserver_cpu:.2f}' for r in bare_runs)} s), "
            f"{floor_run.homeserver_cpu:.2f} s accepting the floor's answers "
            f"({floor_run.homeserver_cpu / max(floor, 0.01):.0%} of one core), "
            f"{bot_run.homeserver_cpu:.2f} s during the bot's catch-up; the clients' own: the "
            f"bare client {statistics.median(r.client_cpu for r in bare_runs):.2f} s, the bot "
            f"{bot_run.client_cpu:.2f} s (from its start)"
        )
        print(
            f"  a client that reads this backlog and answers its commands keeps the homeserver "
            f"busy for at least {needed:.2f} s of CPU: at best {base / max(needed, 0.01):4.2f}x "
            f"of the bare parse on this homeserver (goal {GOAL}x)"
        )
        print(
            json.dumps(
                {
                    "bot_s": round(bot_time, 2),
                    "bare_s": [round(t, 2) for t in bare_times],
                    "answer_floor_s": round(floor, 2),
                    "homeserver_cpu_s": {
                        "bare_parse": [round(r.homeserver_cpu, 2) for r in bare_runs],
                        "answer_floor": round(floor_run.homeserver_cpu, 2),
                        "bot": round(bot_run.homeserver_cpu, 2),
                    },
                    "client_cpu_s": {
                        "bare": [round(r.client_cpu, 2) for r in bare_runs],
                        "bot": round(bot_run.client_cpu, 2),
                    },
                }
            )
        )
        if bot.tracebacks():
            print(f"WARNING: the bot logged {bot.tracebacks()} traceback(s); see {bot.log}")
    finally:
        if bot is not None:
            bot.stop()
        hs.stop()
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.catchup")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.rooms, args.keep))
