"""Benchmark (not a test): `!airtime` and `!powermap` on a year of history for 20 members.

Runs a throwaway Synapse, the bot as a host runs it (SQLite), a member client, and
a bare matrix-nio echo client on the same homeserver. Prints median and p90 round
trips (member sends, reply arrives) and their ratio to the bare echo client's, all
from one run, so the figures compare like with like.

    .venv/bin/python -m bench.mirrors [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.proc import rss_mb
from bot.synapse import Homeserver, start_homeserver
from tests.e2e.member import Member

ROOT = Path(__file__).parents[1]
MEMBERS = 20
DAYS = 365


def _config(hs: Homeserver, user: str, password: str, inviter: str, db: Path) -> str:
    return f"""
[matrix]
homeserver = "{hs.base_url}"
user_id = "{user}"
password = "{password}"
store_path = "./store"

[storage]
database_url = "sqlite+aiosqlite:///{db}"

[bot]
allowed_inviters = ["{inviter}"]
timezone = "Europe/Berlin"
"""


class BotProcess:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.directory / "bot.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "-c", "config.toml", "--log-level", "WARNING"],
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)

    def rss_mb(self) -> float:
        assert self.proc is not None
        return rss_mb(self.proc.pid)


def backfill(db: Path, room_id: str, users: list[str], seed: int = 1) -> None:
    """A year of plausible history: uneven airtime, labour of all kinds, rotating roles."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    cid = con.execute("SELECT id FROM collectives WHERE room_id = ?", (room_id,)).fetchone()[0]
    today = datetime.now(UTC).date()
    weights = [rng.paretovariate(1.5) for _ in users]
    airtime, tasks = [], []
    for d in range(DAYS):
        day = today - timedelta(days=d)
        for user, w in zip(users, weights, strict=True):
            if rng.random() < 0.6:
                n = max(1, int(w * rng.randint(1, 6)))
                airtime.append((cid, user, day.isoformat(), n, n * rng.randint(4, 18)))
            if rng.random() < 0.05:
                kind = rng.choice(["visible", "visible", "invisible", "care"])
                at = datetime.combine(day, datetime.min.time()) + timedelta(
                    hours=rng.randint(8, 20)
                )
                tasks.append((cid, f"task {rng.randint(1, 60)}", kind, user, at.isoformat(sep=" ")))
    con.executemany(
        "INSERT OR IGNORE INTO airtime_days (collective_id, user_id, day, messages, words) "
        "VALUES (?, ?, ?, ?, ?)",
        airtime,
    )
    con.executemany(
        "INSERT INTO task_completions (collective_id, name, kind, user_id, done_at) "
        "VALUES (?, ?, ?, ?, ?)",
        tasks,
    )
    for area in range(30):
        for user in rng.sample(users, rng.choice([1, 1, 2, 3])):
            con.execute(
                "INSERT OR IGNORE INTO knowledge (collective_id, user_id, area, level, since) "
                "VALUES (?, ?, ?, 'knows', ?)",
                (cid, user, f"area {area}", datetime.now().isoformat(sep=" ")),
            )
    con.commit()
    print(f"backfilled {len(airtime)} airtime days, {len(tasks)} tasks, 30 knowledge areas")
    con.close()


async def timed(member: Member, room: str, body: str, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        await member.ask(room, body, timeout=60)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def describe(name: str, xs: list[float], base: float) -> str:
    med = statistics.median(xs)
    p90 = sorted(xs)[int(0.9 * (len(xs) - 1))]
    ratio = med / base
    return f"{name:<22} median {med:7.1f} ms   p90 {p90:7.1f} ms   ratio to bare nio {ratio:5.2f}x"


async def main(rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="flattening-bench-"))
    hs = start_homeserver(work / "hs", relaxed_ratelimits=True, log=print)
    try:
        bot_user = hs.register("flattening-bench")
        echo_user = hs.register("echo")
        member_user = hs.register("member0")
        others = [hs.register(f"member{i}") for i in range(1, MEMBERS)]
        botdir = work / "bot"
        botdir.mkdir()
        db = botdir / "flattening.db"
        (botdir / "config.toml").write_text(
            _config(hs, bot_user.user_id, bot_user.password, member_user.user_id, db)
        )
        bot = BotProcess(botdir)
        bot.start()
        member = Member(hs.base_url, member_user.user_id, member_user.password, work / "m")
        await member.login()
        room = await member.create_room(bot_user.user_id, encrypted=False)
        await member.wait_joined(room, bot_user.user_id, timeout=60)
        echo_room = await member.create_room(echo_user.user_id, encrypted=False)
        for other in others:
            hs.request(
                "POST",
                f"/_matrix/client/v3/rooms/{room}/invite",
                {"user_id": other.user_id},
                token=member_user.access_token,
            )
            hs.request("POST", f"/_matrix/client/v3/join/{room}", {}, token=other.access_token)
        await member.ask(room, "!ping", timeout=60)  # the bot has seen everyone join
        bot.stop()
        backfill(db, room, [member_user.user_id] + [o.user_id for o in others])
        bot.start()

        echo = subprocess.Popen(
            [sys.executable, "-m", "bench.echo", hs.base_url, echo_user.user_id,
             echo_user.device_id, echo_user.access_token, echo_room],
            cwd=ROOT, stdout=subprocess.PIPE, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert echo.stdout is not None
        echo.stdout.readline()  # "ready"
        await member.ask(room, "!ping", timeout=60)
        await member.ask(echo_room, "echo warm-up", timeout=60)

        bare = await timed(member, echo_room, "echo", rounds)
        ping = await timed(member, room, "!ping", rounds)
        air = await timed(member, room, "!airtime 30d", rounds)
        air_year = await timed(member, room, "!airtime month", rounds)
        # One power map at a time, as in use: the text, then the chart that follows it.
        pm, chart_ms = [], []
        for _ in range(max(5, rounds // 2)):
            seen = len(member.images)
            start = time.perf_counter()
            await member.ask(room, "!powermap last", timeout=60)
            pm.append((time.perf_counter() - start) * 1000)
            while len(member.images) == seen:
                await member.sync(timeout_ms=1000)
            chart_ms.append((time.perf_counter() - start) * 1000)
        base = statistics.median(bare)
        print(f"\n{MEMBERS} members, {DAYS} days of history, {rounds} rounds, one Synapse, one run")
        print(describe("bare nio echo", bare, base))
        print(describe("!ping", ping, base))
        print(describe("!airtime 30d", air, base))
        print(describe("!airtime month", air_year, base))
        print(describe("!powermap (text)", pm, base))
        print(describe("!powermap (chart)", chart_ms, base))
        bot_rss, echo_rss = bot.rss_mb(), rss_mb(echo.pid)
        print(f"RSS after the run: bot {bot_rss:.0f} MB, bare nio client {echo_rss:.0f} MB, "
              f"ratio {bot_rss / echo_rss:.2f}x")  # fmt: skip
        echo.terminate()
        echo.wait(10)
        await member.close()
        bot.stop()
    finally:
        hs.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args: Any = parser.parse_args()
    asyncio.run(main(args.rounds))
