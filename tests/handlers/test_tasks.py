"""The labour ledger, through the real dispatcher with a recording transport and a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from handlers.settings import CollectiveSettings
from handlers.tasks import classify
from storage.models import AuditEntry, TaskCompletion
from tests.harness import ALICE, BOB, CAROL, Harness


async def test_done_without_add_logs_at_once_with_monthly_count(bot: Harness) -> None:
    assert await bot.ask("!task done flyers") == (
        "Logged **flyers** as visible labour by Alice. This month: Alice 1 task; "
        "the collective 1 task (1 visible, 0 invisible, 0 care). A mirror, not a score: "
        "it shows what was logged, not what anyone is worth."
    )
    await bot.ask("!task done Minutes", BOB)
    reply = await bot.ask("!task done  FLYERS ")
    assert reply.startswith(
        "Logged **flyers** as visible labour by Alice. "
        "This month: Alice 2 tasks; the collective 3 tasks (2 visible, 1 invisible, 0 care)."
    )


async def test_kind_from_tag_then_keyword_map_then_visible(bot: Harness) -> None:
    assert "as care labour" in await bot.ask("!task done washing up #care")
    assert "as invisible labour" in await bot.ask("!task done meeting notes")
    assert "as care labour" in await bot.ask("!task done welcoming Ana")
    assert "as visible labour" in await bot.ask("!task done banner")
    assert "as visible labour" in await bot.ask("!task done minutes #visible")
    # A tag counts only as the last word; elsewhere it is part of the name.
    assert "**#visible minutes** as invisible labour" in await bot.ask(
        "!task done #visible minutes"
    )


def test_keyword_map_is_configurable() -> None:
    settings = CollectiveSettings(invisible_keywords=("spreadsheet",), care_keywords=("tea",))
    assert classify("update spreadsheet", settings) == "invisible"
    assert classify("make tea", settings) == "care"
    assert classify("minutes", settings) == "visible"


async def test_month_count_resets_in_the_collectives_zone(bot: Harness) -> None:
    bot.clock.set(datetime(2026, 3, 31, 21, 30, tzinfo=UTC))  # 23:30 in Berlin, still March
    await bot.ask("!task done flyers")
    bot.clock.set(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April in Berlin
    assert "This month: Alice 1 task; the collective 1 task" in await bot.ask("!task done flyers")


async def test_add_claim_drop_done_lifecycle(bot: Harness) -> None:
    assert await bot.ask("!task add Booking the hall") == (
        "Added task **booking the hall** (invisible), for Alice. "
        "Claim it with `!task claim booking the hall`."
    )
    assert "already on the list (unclaimed)" in await bot.ask("!task add booking   the HALL", BOB)
    assert await bot.ask("!task claim booking the hall", BOB) == (
        "Bob claimed **booking the hall** (invisible). "
        "Log it with `!task done booking the hall` when it is done."
    )
    assert "is claimed by Bob" in await bot.ask("!task claim booking the hall", CAROL)
    assert "only they can drop it" in await bot.ask("!task drop booking the hall", CAROL)
    assert "Bob already holds" in await bot.ask("!task claim booking the hall", BOB)
    assert "back on the list, unclaimed" in await bot.ask("!task drop booking the hall", BOB)
    assert "not claimed by anyone" in await bot.ask("!task drop booking the hall", BOB)
    assert (
        await bot.ask("!task list")
        == "**Open tasks** (1)\n- **booking the hall** (invisible): unclaimed"
    )
    assert "as invisible labour by Carol" in await bot.ask("!task done booking the hall", CAROL)
    assert "No open tasks" in await bot.ask("!task list")
    reopened = await bot.ask("!task add booking the hall #visible")
    assert reopened.startswith("Reopened task **booking the hall** (visible)")


async def test_claim_of_an_unlisted_task_adds_it(bot: Harness) -> None:
    assert "Alice claimed **posters** (visible)" in await bot.ask("!task claim posters")
    assert (
        await bot.ask("!task list")
        == "**Open tasks** (1)\n- **posters** (visible): claimed by Alice"
    )


async def test_listed_kind_is_kept_when_done_without_tag(bot: Harness) -> None:
    await bot.ask("!task add stall #care")
    assert "as care labour" in await bot.ask("!task done stall", BOB)


async def test_a_claim_by_a_former_member_can_be_dropped(bot: Harness) -> None:
    await bot.ask("!task claim posters", CAROL)
    bot.members["!collective:test.org"].pop(CAROL)
    await bot.process([])
    assert "back on the list" in await bot.ask("!task drop posters", BOB)


async def test_log_filters_by_member_and_since(bot: Harness) -> None:
    bot.clock.set(datetime(2026, 2, 1, 12, tzinfo=UTC))
    await bot.ask("!task done old flyers")
    bot.clock.set(datetime(2026, 3, 2, 12, tzinfo=UTC))
    await bot.ask("!task done flyers")
    await bot.ask("!task done minutes", BOB)
    everything = await bot.ask("!task log")
    assert everything.startswith("**Labour log** (3 tasks): 2 visible, 1 invisible, 0 care")
    assert "- 2026-03-02: **minutes** (invisible), Bob" in everything
    assert "- 2026-02-01: **old flyers** (visible), Alice" in everything
    mine = await bot.ask("!task log alice 7d")
    assert mine.startswith("**Labour log** for Alice since 2026-02-23 (1 task)")
    assert "flyers" in mine and "minutes" not in mine
    by_id = await bot.ask(f"!task log {BOB} 2026-03-01")
    assert "for Bob since 2026-03-01 (1 task)" in by_id
    assert "Nothing logged for Carol yet" in await bot.ask("!task log @carol")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!task", "`!task` needs a subcommand"),
        ("!task frobnicate x", "Unknown `!task` subcommand `frobnicate`"),
        (
            "!task done",
            "Missing name. Usage: `!task done <name> [with @member ...] [for #N] "
            "[#visible|#invisible|#care]`",
        ),
        ("!task done #care", "Missing name."),
        ("!task done flyers #invisble", "Unknown tag `#invisble`; use one of #visible"),
        ("!task add " + "x" * 90, "name is too long (90 characters; at most 80)"),
        ("!task log nobody-here", "No current member matches `nobody-here`"),
        ("!task log 2026-13-45", "`2026-13-45` is neither a date (2026-11-01) nor a duration"),
        ("!tsk done flyers", "Did you mean `!task`?"),
    ],
)
async def test_bad_input_gets_a_clear_reply(bot: Harness, line: str, expected: str) -> None:
    assert expected in await bot.ask(line)


async def test_user_text_is_echoed_harmlessly(bot: Harness) -> None:
    [reply] = await bot.send("!task done <img src=x> @room flyers")
    assert "<img" not in reply.html and "&lt;img src=x&gt;" in reply.html
    assert "@room" not in reply.body and "@room" not in reply.html
    assert reply.content["m.mentions"] == {}


async def test_unicode_names(bot: Harness) -> None:
    assert "**flugblätter verteilen**" in await bot.ask("!task done Flugblätter   Verteilen")
    assert "**食事の準備**" in await bot.ask("!task done 食事の準備")


async def test_every_change_is_audited_and_ledger_keeps_no_bodies(bot: Harness) -> None:
    await bot.ask("!task add flyers")
    await bot.ask("!task claim flyers")
    await bot.ask("!task done flyers")
    async with bot.db.transaction() as session:
        actions = [
            a.action
            for a in (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        ]
        ledger = (await session.execute(select(TaskCompletion))).scalars().all()
    assert actions == ["task.added", "task.claimed", "task.logged"]
    assert [(e.name, e.kind, e.user_id) for e in ledger] == [("flyers", "visible", ALICE)]


async def test_long_lists_are_capped(bot: Harness) -> None:
    for i in range(45):
        await bot.send(f"!task add job {i} " + "&" * 60)
    reply = await bot.ask("!task list")
    assert reply.startswith("**Open tasks** (45)")
    assert reply.endswith("… and 5 more.")
    assert len(reply.encode()) < 20_000
