"""The bot, as `python -m bot`, with timers around each step from a sync to the reply.

    python -m bench.traced --log-level INFO run -c config.toml

Nothing in bot/ is changed: the steps are wrapped from outside, here. For every sync that
led to a message being sent, one line `TRACE {...}` is logged with each step's start and
end in milliseconds after the sync's HTTP response arrived. `summarise(log)` reads them.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("bench.traced")


class Record:
    def __init__(self, origin: float) -> None:
        self.origin = origin
        self.steps: list[tuple[str, float, float]] = []
        self.sent = False
        self.wall_ms = 0.0  # the wall clock at `origin`, against the homeserver's timestamps

    def add(self, name: str, start: float, end: float) -> None:
        self.steps.append((name, (start - self.origin) * 1000, (end - self.origin) * 1000))


class Tracer:
    def __init__(self) -> None:
        self.current: Record | None = None  # the latest sync's
        self.delivering: Record | None = None  # the sync whose kick started this delivery
        self.http_end = 0.0

    def emit(self, record: Record) -> None:
        if record.sent:
            steps = [[n, round(s, 2), round(e, 2)] for n, s, e in record.steps]
            log.warning("TRACE %s", json.dumps(steps))


TRACER = Tracer()


def _timed(
    owner: Any, name: str, step: str, record: Callable[[], Record | None] | None = None
) -> None:
    """Wrap the coroutine function `owner.name` so its span is added to a record."""
    original = getattr(owner, name)

    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            target = record() if record else TRACER.current
            if target is not None:
                target.add(step, start, time.perf_counter())

    setattr(owner, name, wrapper)


def _timed_sync(owner: Any, name: str, step: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if TRACER.current is not None:
                TRACER.current.add(step, start, time.perf_counter())

    setattr(owner, name, wrapper)


def install() -> None:
    from nio import AsyncClient

    from bot import app, gaps, incoming, matrix, processor, sender
    from storage import collectives, events, outbox, sqlite_inline

    # The raw HTTP answer to a /sync: the origin of the record.
    original_send = AsyncClient.send

    @functools.wraps(original_send)
    async def send(self: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        resp = await original_send(self, method, path, *args, **kwargs)
        end = time.perf_counter()
        if "/sync" in path:
            TRACER.current = Record(end)
            TRACER.current.wall_ms = time.time() * 1000
            TRACER.current.add("sync http (long poll)", start, end)
        else:
            target = TRACER.delivering or TRACER.current
            kind = "send" if "/send/" in path else path.split("?")[0].rsplit("/", 1)[-1]
            if target is not None:
                target.add(f"http {method} {kind}", start, end)
        return resp

    AsyncClient.send = send  # type: ignore[method-assign]

    # nio's own handling of the response: parse, decrypt, update rooms (the bare client
    # runs its callbacks in the middle of this).
    _timed(AsyncClient, "receive_response", "nio receive_response")
    _timed(AsyncClient, "_handle_joined_rooms", "nio handle joined rooms")
    _timed(gaps, "fill_gaps", "fill_gaps")
    built = incoming.to_batch

    @functools.wraps(built)
    def to_batch(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        batch = built(*args, **kwargs)
        record = TRACER.current
        if record is not None:
            record.add("to_batch", start, time.perf_counter())
        stamps = [
            e.timestamp_ms
            for room in batch.joined
            for e in room.events
            if e.type in ("m.room.message", "m.room.encrypted") and e.timestamp_ms
        ]
        if record is not None and record.wall_ms and stamps:
            # On the wall clock (the homeserver's is the same machine's): how long after the
            # newest message was stored its sync's answer arrived.
            before = record.wall_ms - max(stamps)
            record.steps.append(("command stored -> sync answer arrives", -before, 0.0))
        return batch

    incoming.to_batch = to_batch  # type: ignore[assignment]
    _timed(app.Bot, "handle", "process batch (one transaction)")
    # Inside the batch, up to the answer's send.
    _timed(collectives, "ensure", "  collective (locked read)")
    _timed(collectives, "known_users", "  members read")
    _timed(events, "first_time", "  processed-event insert")
    _timed(processor, "dispatch", "  command (savepoint, handler)")
    _timed(app.Bot, "_tell_unread", "tell unread")
    _timed(matrix, "housekeeping", "e2ee housekeeping")

    original_kick = sender.Sender.kick

    @functools.wraps(original_kick)
    def kick(self: Any) -> None:
        now = time.perf_counter()
        if TRACER.current is not None:
            TRACER.current.add("kick", now, now)
        TRACER.delivering = TRACER.current
        original_kick(self)

    sender.Sender.kick = kick  # type: ignore[method-assign]

    original_drain = sender.Sender.drain

    @functools.wraps(original_drain)
    async def drain(self: Any) -> int:
        record = TRACER.delivering
        start = time.perf_counter()
        try:
            return int(await original_drain(self))
        finally:
            if record is not None:
                record.add("drain", start, time.perf_counter())
                TRACER.emit(record)
                if TRACER.delivering is record:
                    TRACER.delivering = None

    sender.Sender.drain = drain  # type: ignore[method-assign]

    def delivering() -> Record | None:
        return TRACER.delivering

    _timed(outbox, "pending", "outbox read", delivering)
    _timed(sender.Sender, "_settle_all", "outbox delete (commit)", delivering)

    original_nio_send = matrix.NioTransport.send

    @functools.wraps(original_nio_send)
    async def transport_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await original_nio_send(self, *args, **kwargs)
        finally:
            record = TRACER.delivering
            if record is not None:
                record.add("room_send (encrypt + http)", start, time.perf_counter())
                record.sent = True

    matrix.NioTransport.send = transport_send  # type: ignore[method-assign]

    # Commits, wherever they happen (the batch's, the outbox's).
    original_commit = sqlite_inline.Connection.commit

    @functools.wraps(original_commit)
    async def commit(self: Any) -> None:
        start = time.perf_counter()
        try:
            await original_commit(self)
        finally:
            target = TRACER.delivering or TRACER.current
            if target is not None:
                target.add("sqlite commit", start, time.perf_counter())

    sqlite_inline.Connection.commit = commit  # type: ignore[method-assign]


def summarise(log_file: Path) -> list[str]:
    """Median start, end and duration of each step over every traced reply."""
    records = [
        json.loads(m.group(1))
        for m in re.finditer(r"TRACE (\[.*\])", log_file.read_text(errors="replace"))
    ]
    if not records:
        return ["no TRACE lines in the log"]
    spans: dict[str, list[tuple[float, float, float]]] = {}
    for steps in records:
        seen: dict[str, tuple[float, float, float]] = {}
        for name, start, end in steps:
            if name == "sync http (long poll)":
                continue
            first = seen.get(name)
            # A step seen twice (two commits): first start, last end, time taken added up.
            seen[name] = (
                (start, end, end - start)
                if first is None
                else (first[0], end, first[2] + end - start)
            )
        for name, span in seen.items():
            spans.setdefault(name, []).append(span)
    n = len(records)
    lines = [
        f"Where the bot's time goes, {n} replies (ms after the sync's HTTP response; medians):",
        f"  {'step':<34} {'start':>7} {'end':>7} {'took':>7}  seen",
    ]
    order = sorted(spans, key=lambda k: statistics.median(x[0] for x in spans[k]))
    for name in order:
        xs = spans[name]
        s = statistics.median(x[0] for x in xs)
        e = statistics.median(x[1] for x in xs)
        d = statistics.median(x[2] for x in xs)
        lines.append(f"  {name:<34} {s:7.2f} {e:7.2f} {d:7.2f}  {len(xs)}/{n}")
    return lines


def main() -> int:
    install()
    from bot.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
