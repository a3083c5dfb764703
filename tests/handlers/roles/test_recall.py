"""Recall (`!recall`): a proposal to end a holder's term early, decided like any proposal;
adopted, the term ends and rotation picks someone else, and the holder is notified."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.models import RoleRecall, RoleTerm
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, Sent

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a rotation: Monday 10:00 in Berlin


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 2, 27, 12, 0, tzinfo=UTC))


async def rotated(bot: Harness) -> dict[str, str]:
    """Rotate on the first Monday; each role's holder."""
    bot.clock.set(MONDAY)
    assert await bot.rituals.run_due("rotation", ROOM)
    return await holders(bot)


async def holders(bot: Harness) -> dict[str, str]:
    from storage import roles

    async with bot.db.transaction() as session:
        out = {}
        for role in await roles.all_roles(session, 1):
            term = await roles.current_term(session, role.id)
            if term is not None and term.user_id is not None:
                out[role.name] = term.user_id
        return out


def others(holder: str) -> list[str]:
    return [u for u in (ALICE, BOB, CAROL) if u != holder]


def number(reply: str) -> int:
    found = re.search(r"Proposal \*\*#(\d+)\*\*", reply)
    assert found, reply
    return int(found.group(1))


async def recall_facilitation(bot: Harness) -> tuple[str, str, int, Sent]:
    """A member who does not hold facilitation asks to recall its holder."""
    holder = (await rotated(bot))["facilitation"]
    asker = others(holder)[0]
    [reply] = await bot.send("!recall facilitation cancelled meetings <b>twice</b>", asker)
    return holder, asker, number(reply.body), reply


async def test_recall_opens_a_proposal_and_tells_the_holder(bot: Harness) -> None:
    holder, _asker, n, reply = await recall_facilitation(bot)
    assert "asks the group to recall" in reply.body and "**facilitation**" in reply.body
    assert reply.content["msgtype"] == "m.text"  # it reaches the holder
    assert reply.content["m.mentions"] == {"user_ids": [holder]}
    assert "&lt;b&gt;twice&lt;/b&gt;" in reply.html
    shown = await bot.ask(f"!proposal {n}")
    assert "recall: end the current term of the role facilitation" in shown
    assert "open until" in shown


async def test_adopted_recall_ends_the_term_and_rotation_skips_the_holder(bot: Harness) -> None:
    holder, asker, n, _reply = await recall_facilitation(bot)
    third = next(u for u in others(holder) if u != asker)
    await bot.ask(f"!agree {n}", third)
    await bot.ask(f"!object {n} I would rather talk first", holder)  # answers, does not block
    await bot.ask(f"!agree {n}", asker)  # everyone has answered: it may close early
    before = len(bot.sent)
    await bot.send(f"!decide {n}", asker)
    [told] = [s for s in bot.sent[before:] if "the group recalled you" in s.body]
    assert told.content["msgtype"] == "m.text"
    assert holder in told.content["m.mentions"]["user_ids"]
    now = await holders(bot)
    assert now["facilitation"] != holder
    assert now["facilitation"] in told.content["m.mentions"]["user_ids"]
    async with bot.db.transaction() as session:
        terms = (
            (await session.execute(select(RoleTerm).where(RoleTerm.user_id == holder)))
            .scalars()
            .all()
        )
        recalled = [t for t in terms if t.ended_at == bot.clock.now()]
        assert len(recalled) == 1
        [row] = (await session.execute(select(RoleRecall))).scalars().all()
        assert row.result == "adopted" and row.next_holder == now["facilitation"]
    audit = await bot.ask("!audit 20")
    assert "asked to recall" in audit and "on recall (proposal #" in audit
    history = await bot.ask("!role history facilitation")
    assert "recall asked by" in history and f"proposal #{n}: adopted" in history
    assert "by rotation after a recall" in history
    # Settled once: neither the hourly check nor another close says it again.
    before = len(bot.sent)
    bot.clock.advance(hours=1)
    await bot.rituals.run_due("role-recall", ROOM)
    assert not [s for s in bot.sent[before:] if "recall" in s.body]


async def test_a_blocked_recall_closes_rejected_and_the_holder_keeps_the_role(
    bot: Harness,
) -> None:
    holder, _asker, n, _reply = await recall_facilitation(bot)
    await bot.ask(f"!block {n} it was my fault, not theirs", others(holder)[1])
    bot.clock.set(MONDAY + timedelta(days=8))
    before = len(bot.sent)
    await bot.rituals.run_due("decision-close", ROOM)
    [said] = [s for s in bot.sent[before:] if s.body.startswith("The recall of")]
    assert "was not adopted" in said.body and "keeps it" in said.body
    assert "recall, proposal #" in await bot.ask("!audit 20")


async def test_recall_refuses_a_vacant_role_a_second_recall_and_the_holder(bot: Harness) -> None:
    assert "has no holder now" in await bot.ask("!recall facilitation no reason at all")
    holder, asker, n, _reply = await recall_facilitation(bot)
    again = await bot.ask("!recall facilitation still the same", asker)
    assert f"already open: proposal #{n}" in again
    assert "`!role release facilitation" in await bot.ask("!recall facilitation me", holder)
    assert "Missing reason" in await bot.ask("!recall facilitation", asker)
    assert "There is no role" in await bot.ask("!recall treasurer was rude", asker)


async def test_an_adopted_recall_of_a_term_that_already_ended_changes_nothing(
    bot: Harness,
) -> None:
    holder, asker, n, _reply = await recall_facilitation(bot)
    await bot.ask("!role release facilitation", holder)
    await bot.ask(f"!agree {n}", others(holder)[1])
    await bot.ask(f"!agree {n}", asker)
    await bot.ask(f"!abstain {n}", holder)
    before = len(bot.sent)
    await bot.send(f"!decide {n}", asker)
    assert any("had already ended" in s.body for s in bot.sent[before:])
    assert "facilitation" not in await holders(bot)


async def test_nobody_else_available_leaves_the_role_vacant(bot: Harness) -> None:
    holder, asker, n, _reply = await recall_facilitation(bot)
    third = next(u for u in others(holder) if u != asker)
    await bot.ask(f"!agree {n}", third)
    await bot.ask(f"!agree {n}", asker)
    await bot.ask(f"!object {n} not now", holder)
    await bot.ask("!away 2w", third)
    await bot.ask("!away 2w", asker)
    before = len(bot.sent)
    await bot.send(f"!decide {n}", asker)
    [told] = [s for s in bot.sent[before:] if "the group recalled you" in s.body]
    assert "it is vacant" in told.body
    assert "facilitation" not in await holders(bot)


REASONS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=60,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    role=st.sampled_from(["facilitation", "Notes", "agenda", "nope", "", "@room"]),
    reason=REASONS,
    author=st.sampled_from([ALICE, BOB, CAROL]),
)
async def test_any_recall_line_gets_one_clear_answer(
    bot: Harness, role: str, reason: str, author: str
) -> None:
    if not await holders(bot):
        await rotated(bot)
    replies = await bot.send(f"!recall {role} {reason}", author)
    assert len(replies) == 1
    body = replies[0].body
    assert "Sorry, something went wrong" not in body
    assert not re.search(r"@room\b", body, re.IGNORECASE)
    history = await bot.ask(f"!role history {role}", author)
    assert "Sorry, something went wrong" not in history
