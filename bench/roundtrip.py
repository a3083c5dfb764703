"""Benchmark (not a test): the command round trip, interleaved, against two yardsticks.

One throwaway Synapse; three bots, each in rooms of its own (one plain, one encrypted)
with the same five members:

- Flattening, run as a host runs it (SQLite), answering `!ping`;
- a bare matrix-nio client (bench/echo.py) answering `!ping` with a notice;
- matrix-reminder-bot from the package registry, answering `!help` (it has no `!ping`).

Each round, one member (they take turns) sends to every bot in turn, the order rotating
from round to round, so the machine's noise hits all of them alike. Prints p50 and p95 per
bot and room kind, the ratios to the bare client, and the ratio paired by round.

    .venv/bin/python -m bench.roundtrip [--rounds 40] [--profile] [--twin [like-bot]] [--keep]

`--profile` runs Flattening under bench/traced.py, which logs how long each step between
receiving a sync and sending the reply took, and prints a summary of them. `--twin` adds a
second bare client, identical to the first (the bench's own noise); `--twin like-bot`
makes its answers shaped as Flattening's.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import reminder
from bench.common import (
    BenchMember,
    bot_config,
    create_room,
    homeserver,
    join,
    median,
    pct,
    register,
)
from bench.contenders import BareBot, FlatteningBot
from bot.synapse import Homeserver, RegisteredUser

MEMBERS = 5
GOAL_P50 = 1.05
GOAL_P95 = 1.10
TWIN = "bare nio twin"  # `--twin`: a second bare client, the bench's own noise against bare


@dataclass
class Contender:
    name: str
    user_id: str
    command: str
    by_reply: bool  # does it mark its answer as a reply to the command?
    rooms: dict[str, str] = field(default_factory=dict)  # kind -> room id
    samples: dict[str, list[float]] = field(default_factory=dict)
    # On the homeserver's clock: command stored -> answer stored (the bot's turn, from the
    # sync that wakes it to the answer accepted), and answer stored -> the member has it.
    turn: dict[str, list[float]] = field(default_factory=dict)
    delivery: dict[str, list[float]] = field(default_factory=dict)


def _rooms_for(
    hs: Homeserver, members: list[RegisteredUser], bot_user: str, kinds: list[str]
) -> dict[str, str]:
    rooms = {}
    for kind in kinds:
        invite = [m.user_id for m in members[1:]] + [bot_user]
        room = create_room(hs, members[0], invite, encrypted=kind == "encrypted", name=kind)
        for m in members[1:]:
            join(hs, m, room)
        rooms[kind] = room
    return rooms


async def _warm_up(members: list[BenchMember], bot: Contender, kind: str) -> None:
    """Every member gets an answer once (keys exchanged, sessions shared) before timing."""
    room = bot.rooms[kind]
    for m in members:
        for attempt in range(6):
            try:
                await m.round_trip(
                    room, bot.user_id, bot.command, by_reply=bot.by_reply, timeout=20
                )
                break
            except TimeoutError:
                print(
                    f"  warm-up: no answer from {bot.name} in the {kind} room yet ({attempt + 1})"
                )
        else:
            raise RuntimeError(f"{bot.name} never answered in its {kind} room")


def report(contenders: list[Contender], kinds: list[str], rounds: int) -> list[str]:
    lines = [f"{rounds} rounds, {MEMBERS} members per room, one Synapse, interleaved"]
    bare = next(c for c in contenders if c.name == "bare nio")
    for kind in kinds:
        b50, b95 = median(bare.samples[kind]), pct(bare.samples[kind], 95)
        lines.append(f"{kind} rooms:")
        for c in contenders:
            xs = c.samples.get(kind, [])
            if not xs:
                continue
            p50, p95 = median(xs), pct(xs, 95)
            lines.append(
                f"  {c.name:<22} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms   "
                f"ratio to bare p50 {p50 / b50:4.2f}x  p95 {p95 / b95:4.2f}x"
            )
        flat = next(c for c in contenders if c.name == "Flattening")
        f50, f95 = median(flat.samples[kind]), pct(flat.samples[kind], 95)
        verdict = [
            f"p50 {'within' if f50 <= GOAL_P50 * b50 else 'NOT within'} {GOAL_P50}x of bare",
            f"p95 {'within' if f95 <= GOAL_P95 * b95 else 'NOT within'} {GOAL_P95}x of bare",
        ]
        other = next((c for c in contenders if c.name == "matrix-reminder-bot"), None)
        if other is not None and other.samples.get(kind):
            o50 = median(other.samples[kind])
            verdict.append(f"{'not slower' if f50 <= o50 else 'SLOWER'} than matrix-reminder-bot")
        lines.append("  goals: " + "; ".join(verdict))
        # Each pair was timed in the same round (a few round trips apart), so under much the
        # same load of the machine; the median of their ratios is a second reading.
        for c in contenders:
            if c.name not in (flat.name, TWIN) or not c.samples.get(kind):
                continue
            pairs = list(zip(c.samples[kind], bare.samples[kind], strict=True))
            faster = sum(1 for f, b in pairs if f < b)
            lines.append(
                f"  paired by round, {c.name}: median of its time / bare's "
                f"{median([f / b for f, b in pairs]):4.2f}x, median difference "
                f"{median([f - b for f, b in pairs]):+5.1f} ms; faster in {faster} "
                f"of {len(pairs)} rounds"
            )
        lines.append(
            "  split on the homeserver's clock (p50, ms): command stored -> answer stored; "
            "answer stored -> seen by the member"
        )
        for c in contenders:
            turn, delivery = c.turn.get(kind, []), c.delivery.get(kind, [])
            if turn:
                lines.append(
                    f"    {c.name:<22} {median(turn):6.1f}  {median(delivery):6.1f}"
                    f"   ({len(turn)} answers that reply to their command)"
                )
    return lines


async def main(rounds: int, kinds: list[str], profile: bool, keep: bool, twin: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="flattening-roundtrip-"))
    hs = homeserver(work)
    procs: list[FlatteningBot | BareBot | reminder.ReminderBot] = []
    members: list[BenchMember] = []
    try:
        accounts = [register(hs, f"member{i}") for i in range(MEMBERS)]
        contenders: list[Contender] = []

        flat_account = register(hs, "flattening")
        flat = FlatteningBot(
            work / "flattening",
            bot_config(hs, flat_account, accounts[0].user_id, "sqlite+aiosqlite:///flattening.db"),
            module="bench.traced" if profile else "bot",
        )
        flat.start()
        procs.append(flat)
        flat.wait_running()
        contenders.append(Contender("Flattening", flat_account.user_id, "!ping", True))

        bare_account = register(hs, "bare")
        contenders.append(Contender("bare nio", bare_account.user_id, "!ping", True))
        twin_account = register(hs, "twin") if twin else None
        if twin_account is not None:
            contenders.append(Contender(TWIN, twin_account.user_id, "!ping", True))

        mrb: reminder.ReminderBot | None = None
        try:
            python = reminder.ensure()
            mrb_account = register(hs, "reminder")
            mrb = reminder.ReminderBot(
                python, work / "reminder", reminder.config(hs, mrb_account, "REMINDERBENCH")
            )
            procs.append(mrb)
            mrb.wait_for_log("Startup complete")
            contenders.append(
                Contender("matrix-reminder-bot", mrb_account.user_id, reminder.COMMAND, False)
            )
        except reminder.Unavailable as exc:
            print(f"matrix-reminder-bot is left out: {exc}")

        for c in contenders:
            c.rooms = _rooms_for(hs, accounts, c.user_id, kinds)
            c.samples = {kind: [] for kind in kinds}
            c.turn = {kind: [] for kind in kinds}
            c.delivery = {kind: [] for kind in kinds}
        bare = next(c for c in contenders if c.name == "bare nio")
        echo = BareBot(
            hs,
            bare_account,
            list(bare.rooms.values()),
            store=work / "bare-store",
            extra=["--trace"] if profile else [],
        )
        procs.append(echo)
        echo.wait_ready()
        if twin_account is not None:
            same = next(c for c in contenders if c.name == TWIN)
            other = BareBot(
                hs,
                twin_account,
                list(same.rooms.values()),
                store=work / "twin-store",
                extra=(["--like-bot"] if twin == "like-bot" else [])
                + (["--trace"] if profile else []),  # traced alike, or not identical
            )
            procs.append(other)
            other.wait_ready()

        members = [BenchMember(hs, a, work / f"m{i}") for i, a in enumerate(accounts)]
        for m in members:
            await m.start()
        print("warming up (every member, every room)...")
        for c in contenders:
            for kind in kinds:
                await _warm_up(members, c, kind)
        await asyncio.sleep(1)

        print(f"timing {rounds} rounds...")
        started = time.monotonic()
        for i in range(rounds):
            member = members[i % MEMBERS]
            order = contenders[i % len(contenders) :] + contenders[: i % len(contenders)]
            for kind in kinds:
                for c in order:
                    ms, answer = await member.round_trip(
                        c.rooms[kind], c.user_id, c.command, by_reply=c.by_reply
                    )
                    c.samples[kind].append(ms)
                    command_stored = member.stored_at(answer.reply_to or "")
                    if command_stored and answer.server_ts:
                        c.turn[kind].append(answer.server_ts - command_stored)
                        c.delivery[kind].append(answer.wall_ms - answer.server_ts)
                    await asyncio.sleep(0.02)  # let each bot's after-work settle alike
        print(f"timed in {time.monotonic() - started:.0f} s\n")
        for line in report(contenders, kinds, rounds):
            print(line)
        if profile:
            from bench.traced import summarise

            print()
            for line in summarise(flat.log):
                print(line)
            woke: dict[str, list[float]] = {}
            for line in echo.lines():  # what it printed after each answer
                if line.startswith("woke "):
                    _, room, ms = line.split()
                    woke.setdefault(room, []).append(float(ms))
            for kind, room in bare.rooms.items():
                if woke.get(room):
                    print(
                        f"  bare nio, {kind} rooms: its callback started {median(woke[room]):.1f} "
                        f"ms after the command was stored (median of {len(woke[room])})"
                    )
        if flat.tracebacks():
            print(f"\nWARNING: the bot logged {flat.tracebacks()} traceback(s); see {flat.log}")
    finally:
        for m in members:
            await m.close()
        for p in procs:
            p.stop()
        hs.stop()
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrip")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--kinds", default="plain,encrypted", help="plain,encrypted")
    parser.add_argument("--profile", action="store_true", help="trace where the bot's time goes")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument(
        "--twin",
        nargs="?",
        const="same",
        default="",
        choices=["same", "like-bot"],
        help="time a second bare client too: how far two identical clients differ in a run "
        "(`--twin like-bot`: the twin answers with content shaped as Flattening's)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.kinds.split(","), args.profile, args.keep, args.twin))
