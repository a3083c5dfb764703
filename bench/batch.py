"""Benchmark (not a test): one sync batch through the real processor, in process.

No homeserver: the processor and the sender of tests/harness.py on a SQLite file, as the
bot runs them. Prints how many SQL statements and how many milliseconds a batch with one
`!ping` takes (the command's share of the round trip), and a batch of 100 plain messages
(catching up), once with the bot's `synchronous=FULL` and once with `synchronous=NORMAL`
(WAL either way), to show where the time between a sync and its reply goes.

    .venv/bin/python -m bench.batch [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from bot.database import Database
from bot.events import Batch
from tests.harness import FakeClock, Harness, make_config


def _kind(statement: str) -> str:
    words = statement.split()
    verb = words[0]
    if verb in ("INSERT", "DELETE"):
        return f"{verb} {words[2]}"
    if verb == "UPDATE":
        return f"{verb} {words[1]}"
    found = re.search(r"\bFROM\s+(\w+)", statement)
    if verb == "SELECT" and found:
        return f"SELECT {found.group(1)}"
    return verb


async def measure(synchronous: str, repeat: int) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="flattening-batch-")
    db = Database(f"sqlite+aiosqlite:///{folder}/f.db")
    if synchronous != "FULL":

        @event.listens_for(db.engine.sync_engine, "connect")
        def _pragma(conn: Any, _record: Any) -> None:
            conn.cursor().execute(f"PRAGMA synchronous={synchronous}")

    await db.migrate()
    harness = Harness(db, make_config(), FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    await harness.start()
    statements: list[str] = []
    event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, s, _p, _ctx, _many: statements.append(_kind(s)),
    )
    ping_ms, drain_ms, talk_ms = [], [], []
    ping_statements = talk_statements = 0
    ping_kinds: Counter[str] = Counter()
    for i in range(repeat):
        batch = Batch(next_batch=harness.token(), joined=[harness.room([harness.message("!ping")])])
        statements.clear()
        start = time.perf_counter()
        await harness.processor.process(batch)
        ping_ms.append((time.perf_counter() - start) * 1000)
        ping_statements = len(statements)
        if i == 0:
            ping_kinds = Counter(statements)
        start = time.perf_counter()
        await harness.sender.drain()
        drain_ms.append((time.perf_counter() - start) * 1000)
    for _ in range(max(3, repeat // 10)):
        events = [harness.message(f"plain talk number {i}") for i in range(100)]
        batch = Batch(next_batch=harness.token(), joined=[harness.room(events)])
        statements.clear()
        start = time.perf_counter()
        await harness.processor.process(batch)
        talk_ms.append((time.perf_counter() - start) * 1000)
        talk_statements = len(statements)
    await db.close()
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "ping": statistics.median(ping_ms),
        "drain": statistics.median(drain_ms),
        "ping_statements": ping_statements,
        "ping_kinds": ping_kinds,
        "talk": statistics.median(talk_ms),
        "talk_statements": talk_statements,
    }


async def main(repeat: int) -> None:
    results = {}
    for synchronous in ("FULL", "NORMAL", "FULL", "NORMAL"):  # interleaved
        got = await measure(synchronous, repeat)
        results.setdefault(synchronous, []).append(got)
    full = results["FULL"]
    print(f"one batch through the real processor on a SQLite file (WAL), medians of {repeat}")
    print(f"  a `!ping` batch: {full[0]['ping_statements']} statements")
    for kind, n in full[0]["ping_kinds"].items():
        print(f"      {n} x {kind}")
    for synchronous, runs in results.items():
        ping = statistics.median(r["ping"] for r in runs)
        drain = statistics.median(r["drain"] for r in runs)
        talk = statistics.median(r["talk"] for r in runs)
        print(
            f"  synchronous={synchronous:<6} `!ping` batch {ping:6.2f} ms, then its delivery "
            f"(send to a recording transport, delete) {drain:6.2f} ms; 100 plain messages "
            f"{talk:6.1f} ms ({runs[0]['talk_statements']} statements, "
            f"{talk / 100:.2f} ms a message)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.batch")
    parser.add_argument("--repeat", type=int, default=30)
    asyncio.run(main(parser.parse_args().repeat))
