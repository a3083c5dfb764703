"""Structural experiments: a trial with a set cycle (its review: `test_review.py`)."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Experiment
from tests.harness import Harness


async def experiment_rows(bot: Harness) -> list[Experiment]:
    async with bot.db.transaction() as session:
        return list(
            (await session.execute(select(Experiment).order_by(Experiment.number))).scalars()
        )


async def test_experiments_refuse_bad_input(bot: Harness) -> None:
    usage = "Usage: `!experiment <change> [for <duration>]`"
    assert await bot.ask("!experiment") == f"Missing change. {usage}"
    assert await bot.ask("!experiment for 2w") == f"Missing change. {usage}"
    assert await bot.ask("!experiment \u200b for 2w") == f"Missing change. {usage}"
    assert (await bot.ask("!experiment a timekeeper for 5x")).startswith("`5x` is not a duration")
    assert await bot.ask("!experiment a timekeeper for 2y") == (
        "An experiment runs at most a year (1y): a longer trial is no trial. Try "
        "`!experiment <change> for 3m`."
    )
    assert (await bot.ask("!experiment " + "x" * 301)).startswith(
        "change is too long (301 characters; at most 300)."
    )
    # Words after `for` that are no duration belong to the change; the cycle is a month.
    reply = await bot.ask("!experiment a speaking timekeeper for meetings")
    assert reply.startswith("Experiment **#1** from Alice: a speaking timekeeper for meetings\n")
    assert "It runs for 1m, until Thu 02 Apr 2026 11:00." in reply
    assert len(await experiment_rows(bot)) == 1
