"""Failures members hear about: a ritual that raises, a message given up, shown in !status."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.database import Database
from bot.matrix import SendOutcome
from handlers.context import Context
from handlers.registry import Practice
from tests.harness import ROOM, FakeClock, Harness, make_config


def flaky() -> tuple[Practice, list[int]]:
    practice = Practice("Flaky ritual")
    calls: list[int] = []

    @practice.job("weekly-test", "rotation")
    async def weekly(ctx: Context) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("the database said no")
        await ctx.say("Weekly ritual ran")

    return practice, calls


async def test_a_failed_ritual_is_told_once_retried_and_shown(
    db: Database, clock: FakeClock
) -> None:
    practice, calls = flaky()
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    h = Harness(db, make_config(), clock, extra_practices=[practice])
    await h.start()
    clock.set(datetime(2026, 3, 2, 9, 0, 1, tzinfo=UTC))
    assert await h.rituals.run_due("weekly-test", ROOM) is False
    await h.sender.drain()
    told = [s.body for s in h.sent if "could not run" in s.body]
    assert told == [
        "The weekly test could not run: RuntimeError: the database said no. "
        "It will try again at Mon 02 Mar 2026 10:10."
    ]
    status = await h.ask("!status")
    assert "What went wrong here since the start:" in status
    assert "the weekly test failed 1 time: RuntimeError: the database said no" in status
    assert await h.rituals.run_due("weekly-test", ROOM) is False  # the retry fails again
    await h.sender.drain()
    assert len([s for s in h.sent if "could not run" in s.body]) == 1  # told once
    assert await h.rituals.run_due("weekly-test", ROOM) is True
    assert [s.body for s in h.sent if s.body == "Weekly ritual ran"] == ["Weekly ritual ran"]
    assert "What went wrong" not in await h.ask("!status")
    assert len(calls) == 3


async def test_a_message_given_up_is_told_in_the_room_and_in_status(bot: Harness) -> None:
    bot.transport.script = [SendOutcome(False, retry=False, error="M_TOO_LARGE: event too large")]
    await bot.send("!ping")
    told = [s.body for s in bot.sent if "could not be sent and was given up" in s.body]
    assert told and "M_TOO_LARGE" in told[0]
    status = await bot.ask("!status")
    assert "1 message could not be delivered: M_TOO_LARGE: event too large" in status
