"""The meetings' one scheduled job: every minute, what is due goes out once (a called
meeting's reminder; during a meeting, an agenda item's 80% and 100% notices and a turn past
its limit). Each is marked done in the transaction that queues its message, and the
scheduler runs each minute once, so a restart neither repeats nor loses one."""

from __future__ import annotations

from handlers.context import Context
from handlers.meetings import agenda, calls, timing
from handlers.meetings.stack import practice

EVERY_MINUTE = "* * * * *"


@practice.job("meeting-tick", lambda settings: EVERY_MINUTE)
async def tick(ctx: Context) -> None:
    await calls.remind(ctx)
    await agenda.notices(ctx)
    await timing.overruns(ctx)
