"""A bare matrix-nio client, the benchmarks' baseline.

    python -m bench.echo HOMESERVER USER DEVICE TOKEN ROOM [ROOM ...] [--store DIR]

answers `echo` and `!ping` with a notice that replies to them (in encrypted rooms too when
given a `--store`), doing nothing else: no database, no parsing beyond the prefix.

    ... --print-token                  sync once, print the `next_batch` token, exit
    ... --catch-up TOKEN --expect N    sync from TOKEN as the bot does after downtime (same
                                       filter; a limited timeline paged back to TOKEN), count
                                       the room messages, print "caught up N" and the CPU
                                       seconds it used ("cpu S"), exit
    ... --trace                        after each answer, print when its callback started
    ... --like-bot                     answer `!ping` with content shaped as Flattening's
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    MatrixRoom,
    RoomMessagesResponse,
    RoomMessageText,
    SyncResponse,
)

# The bot's own sync filter (bot/matrix.py), so both ask the homeserver for the same.
SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 200}, "state": {"lazy_load_members": False}},
    "presence": {"not_types": ["*"]},
}
# And its paging back (bot/gaps.py; not imported, so the bare client loads nio alone).
GAP_PAGE, GAP_PAGES, GAP_LANES = 100, 20, 4


def _client(args: argparse.Namespace) -> AsyncClient:
    if args.store:
        client = AsyncClient(
            args.homeserver,
            args.user_id,
            device_id=args.device_id,
            store_path=args.store,
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
        )
        client.restore_login(args.user_id, args.device_id, args.token)
        return client
    client = AsyncClient(args.homeserver, args.user_id)
    client.access_token, client.user_id, client.device_id = args.token, args.user_id, args.device_id
    return client


def like_bot(reply_to: str) -> dict[str, Any]:
    """Flattening's answer to `!ping`, field for field, with a body of its form (a copy:
    this client must not import the bot; a test holds it to the bot's formatter)."""
    text = "pong (Flattening 0.1.0, up 5m 12s)"
    return {
        "msgtype": "m.notice",
        "format": "org.matrix.custom.html",
        "m.relates_to": {"m.in_reply_to": {"event_id": reply_to}},
        "body": text,
        "formatted_body": text,
        "m.mentions": {},
    }


async def echo(args: argparse.Namespace) -> None:
    client = _client(args)

    async def answer(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == client.user_id:
            return
        if event.body.startswith("echo") or event.body.startswith("!ping"):
            woke = time.time() * 1000 - event.server_timestamp
            content: dict[str, Any] = {
                "msgtype": "m.notice",
                "body": "pong" if event.body.startswith("!") else "echo",
                "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
            }
            if args.like_bot and event.body.startswith("!"):
                content = like_bot(event.event_id)
            await client.room_send(
                room.room_id, "m.room.message", content, ignore_unverified_devices=True
            )
            if args.trace:  # after the answer: the tracing costs the round trip nothing
                print(f"woke {room.room_id} {woke:.1f}", flush=True)

    for room_id in args.rooms:
        await client.join(room_id)
    await client.sync(timeout=0, full_state=True)
    client.add_event_callback(answer, RoomMessageText)  # type: ignore[arg-type]
    print("ready", flush=True)
    await client.sync_forever(timeout=30_000)


async def print_token(args: argparse.Namespace) -> None:
    client = _client(args)
    for room_id in args.rooms:
        await client.join(room_id)
    resp = await client.sync(timeout=0, sync_filter=SYNC_FILTER)
    assert isinstance(resp, SyncResponse), resp
    print(f"token {resp.next_batch}", flush=True)
    await client.close()


async def catch_up(args: argparse.Namespace) -> None:
    """Parse what a sync from `since` brings, paging back limited timelines as the bot does
    (rooms side by side, `GAP_LANES` at a time, each room's pages in order), and count."""
    client = _client(args)
    since = args.catch_up
    print("ready", flush=True)
    resp = await client.sync(timeout=0, sync_filter=SYNC_FILTER, since=since, full_state=True)
    assert isinstance(resp, SyncResponse), resp
    count = 0
    lanes = asyncio.Semaphore(GAP_LANES)

    async def page_back(room_id: str, start: str) -> int:
        found = 0
        async with lanes:
            for _ in range(GAP_PAGES):  # as bot/gaps.py: at most 2,000 per room
                page = await client.room_messages(room_id, start=start, end=since, limit=GAP_PAGE)
                assert isinstance(page, RoomMessagesResponse), page
                found += sum(isinstance(e, RoomMessageText) for e in page.chunk)
                if not page.chunk or not page.end or page.end == start:
                    break
                start = page.end
        return found

    gaps = []
    for room_id, info in resp.rooms.join.items():
        count += sum(isinstance(e, RoomMessageText) for e in info.timeline.events)
        if info.timeline.limited and info.timeline.prev_batch:
            gaps.append(page_back(room_id, info.timeline.prev_batch))
    count += sum(await asyncio.gather(*gaps))
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(f"caught up {count}", flush=True)
    print(f"cpu {used.ru_utime + used.ru_stime:.3f}", flush=True)
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.echo")
    parser.add_argument("homeserver")
    parser.add_argument("user_id")
    parser.add_argument("device_id")
    parser.add_argument("token")
    parser.add_argument("rooms", nargs="*")
    parser.add_argument("--store", default=None, help="E2EE store folder (encrypted rooms)")
    parser.add_argument("--print-token", action="store_true")
    parser.add_argument("--catch-up", default=None, metavar="TOKEN")
    parser.add_argument(
        "--like-bot",
        action="store_true",
        help="answer `!ping` with content shaped as Flattening's (formatted, m.mentions)",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="print, after each answer, ms from the command stored to its callback starting",
    )
    args = parser.parse_args()
    if args.print_token:
        asyncio.run(print_token(args))
    elif args.catch_up:
        asyncio.run(catch_up(args))
    else:
        asyncio.run(echo(args))


if __name__ == "__main__":
    main()
