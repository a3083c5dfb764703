"""A bare matrix-nio echo client, the benchmarks' baseline: it answers `echo` with a notice."""

from __future__ import annotations

import asyncio
import sys

from nio import AsyncClient, MatrixRoom, RoomMessageText


async def main(homeserver: str, user_id: str, device_id: str, token: str, room_id: str) -> None:
    client = AsyncClient(homeserver, user_id)
    client.access_token, client.user_id, client.device_id = token, user_id, device_id

    async def answer(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id and event.body.startswith("echo"):
            await client.room_send(
                room.room_id,
                "m.room.message",
                {
                    "msgtype": "m.notice",
                    "body": "echo",
                    "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
                },
            )

    await client.join(room_id)
    await client.sync(timeout=0)
    client.add_event_callback(answer, RoomMessageText)  # type: ignore[arg-type]
    print("ready", flush=True)
    await client.sync_forever(timeout=30_000)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
