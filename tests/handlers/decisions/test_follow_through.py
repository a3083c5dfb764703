"""Suggestions into action: the tasks tied to an adopted decision, as `!proposal N` and
`!decisions` show them and as `storage.labour` counts them for the power map, on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import decisions, labour
from storage.models import Collective
from tests.harness import BOB, CAROL, Harness

NO_TASK = "**Follow-through**: no task yet. `!task add <name> for #1` ties one to it."


async def _cid(bot: Harness) -> int:
    async with bot.db.transaction() as session:
        return int((await session.execute(select(Collective.id))).scalar_one())


async def test_proposal_shows_tasks_done_and_open_or_none_yet(bot: Harness) -> None:
    await bot.ask("!decision we repaint the sign")
    assert (await bot.ask("!proposal 1")).endswith("\n" + NO_TASK)
    await bot.ask("!task add paint the sign for #1", BOB)
    await bot.ask("!task add buy paint for #1")
    assert (await bot.ask("!proposal 1")).endswith(
        "\n**Follow-through**: 2 open (paint the sign, buy paint)."
    )
    await bot.ask("!task done buy paint with @carol")
    await bot.ask("!task done stencils for #1", CAROL)
    assert (await bot.ask("!proposal 1")).endswith(
        "\n**Follow-through**: 2 tasks done (buy paint, stencils); 1 open (paint the sign)."
    )
    await bot.ask("!task done paint the sign", BOB)
    assert (await bot.ask("!proposal 1")).endswith(
        "\n**Follow-through**: 3 tasks done (buy paint, stencils, paint the sign)."
    )


async def test_an_open_proposal_shows_no_follow_through_yet(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    # Work may be tied to it while it is open; it is shown once it is adopted.
    assert "Tied to decision #1." in await bot.ask("!task done price list for #1")
    assert "Follow-through" not in await bot.ask("!proposal 1")


async def test_the_log_marks_adopted_decisions_with_no_task_after_30_days(bot: Harness) -> None:
    await bot.ask("!decision we meet at the library")
    await bot.ask("!decision we open on sundays")
    await bot.ask("!decision we buy a kettle")
    await bot.ask("!task add find volunteers for #2")
    await bot.ask("!task done kettle for #3", BOB)
    assert "no task yet" not in (await bot.ask("!decisions")).casefold()
    bot.clock.advance(days=30)
    log = await bot.ask("!decisions")
    assert "from Alice: we meet at the library (no task yet)" in log
    assert "sundays (no task yet)" not in log and "kettle (no task yet)" not in log
    assert log.endswith(
        "“No task yet”: adopted 30 days ago or more, and no task is tied to it; "
        "`!task add <name> for #N` ties one."
    )
    await bot.ask("!task add book the room for #1")
    assert "no task yet" not in (await bot.ask("!decisions")).casefold()


async def test_follow_through_counts_for_the_power_map(bot: Harness) -> None:
    start = bot.clock.now()
    await bot.ask("!decision one")
    await bot.ask("!decision two")
    await bot.ask("!decision three")
    await bot.ask("!propose four")  # open: not adopted, not counted
    await bot.ask("!task add first step for #1")
    await bot.ask("!task done second step with @bob for #2")
    bot.clock.advance(days=40)
    await bot.ask("!decision five")  # adopted later, outside the period
    cid = await _cid(bot)
    async with bot.db.transaction() as session:
        counted = await labour.follow_through(session, cid, start, start + timedelta(days=31))
        assert counted == labour.FollowThrough(with_task=2, without_task=1)
        later = await labour.follow_through(session, cid, start, start + timedelta(days=60))
        assert later == labour.FollowThrough(with_task=2, without_task=2)
        before = datetime(2020, 1, 1, tzinfo=UTC)
        assert await labour.follow_through(session, cid, before, start) == labour.FollowThrough(
            0, 0
        )
        two = await decisions.by_number(session, cid, 2)
        assert two is not None
        got = await labour.progress(session, two.id)
        assert (got.done, got.open, got.any) == (["second step"], [], True)
        assert await labour.linked(session, [two.id]) == {two.id}
