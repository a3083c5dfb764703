"""What a limited sync timeline left out, paged back from the homeserver."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from nio import AsyncClient, RoomMessagesResponse, SyncResponse

log = logging.getLogger(__name__)

GAP_PAGE = 100
GAP_PAGES = 20  # at most 2,000 missed events per room and sync are fetched back
GAP_LANES = 4  # rooms paged back at once


async def fill_gaps(
    client: AsyncClient, resp: SyncResponse, since: str | None
) -> dict[str, list[Any]]:
    """Events a limited timeline left out since our last sync, oldest first, per room.

    After an outage the sync returns only the newest events of a busy room; the rest
    are paged back from the timeline's `prev_batch` to the token we synced from, so
    counts stay exact. Capped; a larger gap is logged.
    """
    if since is None:
        return {}
    lanes = asyncio.Semaphore(GAP_LANES)

    async def page_back(room_id: str, start: str) -> list[Any]:
        async with lanes:
            return await _page_back(client, room_id, start, since)

    gaps = [
        (room_id, info.timeline.prev_batch)
        for room_id, info in resp.rooms.join.items()
        if info.timeline.limited and info.timeline.prev_batch
    ]
    # Rooms side by side, a few at a time; each room's pages one after the other, as each
    # page says where the next starts. A room that raises (the homeserver unreachable)
    # stops the others too: the caller retries the whole sync.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(page_back(room_id, start)) for room_id, start in gaps]
    return {room_id: t.result() for (room_id, _), t in zip(gaps, tasks, strict=True) if t.result()}


async def _page_back(client: AsyncClient, room_id: str, start: str, since: str) -> list[Any]:
    """One room's events from `start` back to `since`, oldest first."""
    events: list[Any] = []
    for _ in range(GAP_PAGES):
        page = await client.room_messages(room_id, start=start, end=since, limit=GAP_PAGE)
        if not isinstance(page, RoomMessagesResponse):
            log.warning("could not page back in %s: %s", room_id, getattr(page, "message", page))
            break
        events.extend(page.chunk)  # newest first
        if not page.chunk or not page.end or page.end == start:
            break
        start = page.end
    else:
        log.warning(
            "more than %d events missed in %s; older ones are not counted",
            GAP_PAGE * GAP_PAGES,
            room_id,
        )
    if events:
        log.info("fetched %d events missed in %s", len(events), room_id)
    return list(reversed(events))
