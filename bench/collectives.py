"""Benchmark (not a test): memory and start-up time with many collectives joined.

A throwaway Synapse with every rate limit lifted (room creation, joins, invites); the
bot (SQLite) is invited to 1, then 100, then 500 collectives (plain rooms, three members
each). At each size both are restarted and measured the same way:

- start-up: from the process start to its first sync done (the bot logs "synced;
  Flattening ... is running"; the bare client prints "ready" after the same sync);
- resident memory (VmRSS) a few seconds after that, and the peak (VmHWM).

The baseline is a bare matrix-nio client (bench/echo.py, with an E2EE store as the bot
has) that is a member of the same rooms. Also reported: whether matplotlib is loaded in
the running bot before any chart is drawn, and what loading it costs.

    .venv/bin/python -m bench.collectives [--sizes 1,100,500] [--starts 2]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from bench.common import (
    BENCH_ENV,
    bot_config,
    create_room,
    homeserver,
    join,
    register,
)
from bench.contenders import BareBot, FlatteningBot
from bench.proc import loaded, peak_mb, rss_mb
from bot.synapse import Homeserver, RegisteredUser

MEMBERS = 3
SETTLE = 3.0  # seconds after start-up before memory is read
GOAL_MB = 150
GOAL_S = 3.0


def import_cost() -> tuple[float, float]:
    """(MB, ms) that importing matplotlib.pyplot adds to an interpreter with nio loaded."""
    code = (
        "import time, nio, sqlalchemy, apscheduler\n"
        "def rss():\n"
        "    for l in open('/proc/self/status'):\n"
        "        if l.startswith('VmRSS:'): return int(l.split()[1]) / 1024\n"
        "a = rss(); t = time.perf_counter()\n"
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot\n"
        "print(rss() - a, (time.perf_counter() - t) * 1000)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=BENCH_ENV, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def add_rooms(
    hs: Homeserver, members: list[RegisteredUser], invite: list[str], count: int, first: int
) -> list[str]:
    def one(i: int) -> str:
        room = create_room(hs, members[0], [m.user_id for m in members[1:]] + invite,
                           name=f"collective {first + i}")  # fmt: skip
        for m in members[1:]:
            join(hs, m, room)
        return room

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, range(count)))


def wait_joined(db: Path, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            joined = con.execute(
                "SELECT COUNT(*) FROM collectives WHERE joined AND introduced_at IS NOT NULL"
            ).fetchone()[0]
            outbox = con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        finally:
            con.close()
        if joined >= count and outbox == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bot joined {joined} of {count} collectives in time")
        time.sleep(0.5)


def _stamp(line: str) -> datetime:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


def log_split(output: str) -> float:
    """Seconds from the bot's first log line (imports done, migrating) to "synced"."""
    lines = [line for line in output.splitlines() if line[:2] == "20" and len(line) > 23]
    synced = next(line for line in lines if FlatteningBot.RUNNING in line)
    return (_stamp(synced) - _stamp(lines[0])).total_seconds()


def measure_bot(bot: FlatteningBot) -> tuple[float, float, float, bool, float]:
    bot.stop()
    bot.start()
    seconds = bot.wait_running(600)
    time.sleep(SETTLE)
    mapped = loaded(bot.pid, "matplotlib")
    return seconds, bot.rss_mb(), peak_mb(bot.pid), mapped, log_split(bot.output())


def measure_bare(hs: Homeserver, account: RegisteredUser, store: Path) -> tuple[float, float]:
    bare = BareBot(hs, account, [], store=store)
    try:
        bare.wait_ready(600)
        seconds = time.monotonic() - bare.started
        time.sleep(SETTLE)
        return seconds, rss_mb(bare.pid)
    finally:
        bare.stop()


def main(sizes: list[int], starts: int, keep: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="flattening-collectives-"))
    hs = homeserver(work)
    bot: FlatteningBot | None = None
    results = []
    try:
        members = [register(hs, f"member{i}") for i in range(MEMBERS)]
        account = register(hs, "flattening")
        bare = register(hs, "bare")
        db = work / "bot" / "flattening.db"
        bot = FlatteningBot(
            work / "bot", bot_config(hs, account, members[0].user_id, f"sqlite+aiosqlite:///{db}")
        )
        bot.start()
        bot.wait_running()
        rooms: list[str] = []
        for size in sizes:
            started = time.monotonic()
            new = add_rooms(hs, members, [account.user_id, bare.user_id], size - len(rooms),
                            len(rooms))  # fmt: skip
            for room in new:
                join(hs, bare, room)
            rooms += new
            wait_joined(db, size, timeout=60 + 2 * size)
            print(f"{size} collectives ready ({time.monotonic() - started:.0f} s to set up)")
            bot_runs = [measure_bot(bot) for _ in range(starts)]
            bare_runs = [measure_bare(hs, bare, work / "bare-store") for _ in range(starts)]
            row = {
                "size": size,
                "bot_s": statistics.median(r[0] for r in bot_runs),
                "bot_mb": statistics.median(r[1] for r in bot_runs),
                "bot_peak": max(r[2] for r in bot_runs),
                "mpl": any(r[3] for r in bot_runs),
                "bot_sync": statistics.median(r[4] for r in bot_runs),
                "bare_s": statistics.median(r[0] for r in bare_runs),
                "bare_mb": statistics.median(r[1] for r in bare_runs),
            }
            results.append(row)
            print(
                f"  Flattening {row['bot_s']:5.2f} s ({row['bot_sync']:.2f} s from its first log "
                f"line to synced) {row['bot_mb']:6.1f} MB (peak {row['bot_peak']:.0f});  "
                f"bare nio {row['bare_s']:5.2f} s {row['bare_mb']:6.1f} MB"
            )
        mb, ms = import_cost()
        print(f"\ncollectives of {MEMBERS} members, plain rooms, median of {starts} starts each")
        print(
            f"  {'collectives':>11}  {'Flattening':>21}  {'(migrate..synced)':>17}  "
            f"{'bare nio':>19}  ratio (time, memory)"
        )
        for r in results:
            print(
                f"  {r['size']:>11}  {r['bot_s']:6.2f} s {r['bot_mb']:7.1f} MB   "
                f"{r['bot_sync']:13.2f} s   "
                f"{r['bare_s']:6.2f} s {r['bare_mb']:6.1f} MB   "
                f"{r['bot_s'] / r['bare_s']:4.2f}x {r['bot_mb'] / r['bare_mb']:4.2f}x"
            )
        low = results[0]
        for r in results[1:]:
            n = r["size"] - low["size"]
            print(
                f"  per collective, {low['size']} to {r['size']}: Flattening "
                f"{(r['bot_mb'] - low['bot_mb']) / n * 1024:5.0f} KB "
                f"{(r['bot_s'] - low['bot_s']) / n * 1000:5.1f} ms "
                f"({(r['bot_sync'] - low['bot_sync']) / n * 1000:.1f} ms migrate..synced); bare nio "
                f"{(r['bare_mb'] - low['bare_mb']) / n * 1024:5.0f} KB "
                f"{(r['bare_s'] - low['bare_s']) / n * 1000:5.1f} ms"
            )
        at100 = next((r for r in results if r["size"] == 100), None)
        if at100 is not None:
            print(
                f"  goals at 100: memory {at100['bot_mb']:.0f} MB "
                f"({'under' if at100['bot_mb'] < GOAL_MB else 'NOT under'} {GOAL_MB} MB), "
                f"start-up {at100['bot_s']:.2f} s "
                f"({'under' if at100['bot_s'] < GOAL_S else 'NOT under'} {GOAL_S:.0f} s)"
            )
        state = "LOADED" if any(r["mpl"] for r in results) else "not loaded"
        print(
            f"  matplotlib in the running bot before any chart: {state} "
            f"(loading it costs {mb:.0f} MB and {ms:.0f} ms in an interpreter with nio loaded)"
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
    parser = argparse.ArgumentParser(prog="python -m bench.collectives")
    parser.add_argument("--sizes", default="1,100,500")
    parser.add_argument("--starts", type=int, default=2, help="starts measured at each size")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    main([int(s) for s in args.sizes.split(",")], args.starts, args.keep)
