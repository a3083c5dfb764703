"""Tying tasks to decisions (`for #N`) and logging shared work (`with @a @b`), through the
real dispatcher with a recording transport and a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage import labour
from storage.models import AuditEntry, Task, TaskCompletion
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness

OTHER_BOT = "@reminders:test.org"


async def _ledger(bot: Harness) -> list[TaskCompletion]:
    async with bot.db.transaction() as session:
        query = select(TaskCompletion).order_by(TaskCompletion.id)
        return list((await session.execute(query)).scalars())


async def test_joint_work_is_one_entry_each_with_one_group(bot: Harness) -> None:
    reply = await bot.ask("!task done flyers with @bob Carol")
    assert reply.startswith(
        "Logged **flyers** as joint work of Alice, Bob and Carol (visible labour), one entry "
        "each. This month: Alice 1 task; the collective 3 tasks (3 visible, 0 invisible, 0 care)."
    ), reply
    rows = await _ledger(bot)
    assert [r.user_id for r in rows] == [ALICE, BOB, CAROL]  # the logger first
    assert len({r.joint_id for r in rows}) == 1 and rows[0].joint_id
    assert rows[0].joint_id not in (ALICE, BOB, CAROL)  # a random key, not a member id
    log = await bot.ask("!task log")
    assert "**flyers** (visible), Alice (joint, with Bob, Carol)" in log
    assert "**flyers** (visible), Bob (joint, with Alice, Carol)" in log
    assert "Carol (joint, with Alice, Bob)" in await bot.ask("!task log carol")
    # A second piece of joint work is a second group.
    await bot.ask("!task done flyers with @carol", BOB)
    assert len({r.joint_id for r in await _ledger(bot)}) == 2


async def test_partners_by_id_pill_name_commas_and_and(bot: Harness) -> None:
    await bot.join("@dana:test.org", "Dana Smith")
    reply = await bot.ask(f"!task done stall with {BOB}, Dana Smith and @carol #care")
    assert "joint work of Alice, Bob, Dana Smith and Carol (care labour)" in reply
    assert len(await _ledger(bot)) == 4


async def test_the_sender_named_counts_once_and_alone_is_not_joint(bot: Harness) -> None:
    reply = await bot.ask("!task done flyers with @alice @bob @bob alice")
    assert "joint work of Alice and Bob" in reply
    assert [r.user_id for r in await _ledger(bot)] == [ALICE, BOB]
    alone = await bot.ask("!task done posters with @alice")
    assert alone.startswith("Logged **posters** as visible labour by Alice.")
    assert (await _ledger(bot))[-1].joint_id is None


async def test_a_name_with_with_stays_a_name_unless_it_names_members(bot: Harness) -> None:
    reply = await bot.ask("!task done lunch with the mayor")
    assert reply.startswith("Logged **lunch with the mayor** as visible labour by Alice.")
    assert "(`with the mayor` names no current member, so it is part of the name" in reply
    assert [r.joint_id for r in await _ledger(bot)] == [None]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!task done flyers with @dave", "No current member matches `@dave`"),
        ("!task done flyers with @bob @zed for #1", "No current member matches `@zed`"),
        ("!task done with @bob", "Missing name."),
        ("!task done flyers for #7", "There is no proposal or decision #7 to tie **flyers** to"),
        ("!task add flyers for #7", "There is no proposal or decision #7 to tie **flyers** to"),
        ("!task done for #1", "Missing name."),
        ("!task done flyers with @reminders", "Reminders is a bot: only members can share work."),
    ],
)
async def test_bad_links_get_a_clear_reply_and_change_nothing(
    bot: Harness, line: str, expected: str
) -> None:
    bot.members[ROOM][OTHER_BOT] = "Reminders"
    await bot.process([bot.message("Reminder: rent is due", OTHER_BOT, msgtype="m.notice")])
    reply = await bot.ask(line)
    assert expected in reply, reply
    assert await _ledger(bot) == []


async def test_a_task_tied_to_a_decision_in_either_order(bot: Harness) -> None:
    await bot.ask("!decision we repaint the sign", BOB)
    reply = await bot.ask("!task add paint the sign for #1")
    assert reply.startswith("Added task **paint the sign** (visible), for Alice.")
    assert "It is tied to decision #1." in reply
    done = await bot.ask("!task done flyers for #1 with @bob #care")
    assert "joint work of Alice and Bob (care labour)" in done and "Tied to decision #1." in done
    done = await bot.ask("!task done stencils with @carol for #1")
    assert "joint work of Alice and Carol" in done and "Tied to decision #1." in done
    # A listed task done without `for` keeps its decision.
    await bot.ask("!task done paint the sign", CAROL)
    rows = await _ledger(bot)
    assert {r.decision_id for r in rows} == {rows[0].decision_id} and rows[0].decision_id
    log = await bot.ask("!task log")
    assert "**paint the sign** (visible), Carol (for #1)" in log
    assert "**flyers** (care), Bob (joint, with Alice) (for #1)" in log
    audit = await bot.ask("!audit")
    assert "Alice tied the task **paint the sign** to decision #1" in audit
    assert "Alice logged the task **flyers** (care) as joint work with Bob" in audit


async def test_an_open_task_is_tied_by_adding_it_again(bot: Harness) -> None:
    await bot.ask("!decision the fair gets a stall")
    await bot.ask("!task claim stall", BOB)
    reply = await bot.ask("!task add stall for #1")
    assert reply == (
        "**stall** is already on the list (claimed by Bob). It is tied to decision #1."
    )
    cid = await _cid(bot)
    async with bot.db.transaction() as session:
        task = await labour.task(session, cid, "stall")
        assert task is not None and task.decision_id is not None
    # A name that only looks like a link stays a name.
    assert "**buy chairs for 12**" in await bot.ask("!task add buy chairs for 12")
    assert "**posters for #fair**" in await bot.ask("!task add posters for #fair")


async def _cid(bot: Harness) -> int:
    async with bot.db.transaction() as session:
        return int(await session.scalar(select(func.min(Task.collective_id))) or 0)


async def test_audit_of_joint_work_names_partners_by_id(bot: Harness) -> None:
    await bot.ask("!task done flyers with @bob @carol")
    async with bot.db.transaction() as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action.like("task.%")))
        ).scalar_one()
    assert entry.action == "task.logged_joint"
    assert "Alice logged the task **flyers** (visible) as joint work with Bob, Carol" in (
        await bot.ask("!audit")
    )


async def test_powermap_and_export_show_shared_work(bot: Harness) -> None:
    bot.clock.set(datetime(2026, 3, 10, 12, tzinfo=UTC))
    await bot.ask("!task done flyers with @bob @carol")
    await bot.ask("!task done minutes", BOB)
    [text, *_rest] = await bot.send("!powermap")
    body = text.body
    assert "4 tasks logged (3 visible, 1 invisible, 0 care) by 3 of 3 members." in body
    assert "Shared work: 1 piece done jointly (3 of these tasks, one for each who shared it)." in (
        body
    )
    assert "2 tasks (1 visible, 1 invisible), 1 of them shared" in body
    [_notice, file] = await bot.send("!export tasks")
    exported = bot.transport.upload_of(file).decode()
    assert ": flyers, joint work of Alice, Bob and Carol (one entry each)" in exported, exported
    assert exported.count("flyers") == 1


KEYWORDS = ["with", "for", "#1", "#2", "and", ",", "@bob", "Bob", "@carol", "@alice", "#care"]
TRICKY = [
    "a",
    "É",
    " ",
    "\u200b",
    "\u202e",
    "\x00",
    "@room",
    "**",
    "`",
    "[x](y)",
    "x" * 90,
    "@dave:test.org",
]
LINES = st.lists(st.sampled_from(KEYWORDS + TRICKY), min_size=0, max_size=10)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=LINES, add=st.booleans())
async def test_any_task_line_gets_one_clear_answer(
    bot: Harness, words: list[str], add: bool
) -> None:
    if not await _ledger(bot) and "#1" not in await bot.ask("!decisions"):
        await bot.ask("!decision we keep the garden open")
    before = len(await _ledger(bot))
    command = "!task add" if add else "!task done"
    reply = await bot.ask(f"{command} flyers {' '.join(words)}")
    assert "Sorry, something went wrong" not in reply
    assert "@room" not in reply.replace("@\u2060room", "")
    after = await _ledger(bot)
    if not add and reply.startswith("Logged"):
        new = after[before:]
        assert new and new[0].user_id == ALICE
        assert len({r.joint_id for r in new}) == 1
        assert (len(new) > 1) == (new[0].joint_id is not None) == ("as joint work of" in reply)
    else:
        assert len(after) == before, reply
