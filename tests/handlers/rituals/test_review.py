"""An experiment's review: keep, change or drop as three answers; the plurality is recorded
as a decision and shown by `!experiments`; a change starts the changed trial; no answers or
a tie is no outcome and the trial ends."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import poll_events
from handlers.rituals.review import outcome
from storage import decisions
from storage.models import AuditEntry, Decision, Experiment, ExperimentAnswer
from tests.handlers.meetings.test_polls import response
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness

OPENS = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # two weeks after 2 March, 10:00 in Berlin
CLOSES = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # the default seven days later


async def rows(bot: Harness) -> list[Experiment]:
    async with bot.db.transaction() as session:
        return list(
            (await session.execute(select(Experiment).order_by(Experiment.number))).scalars()
        )


async def reviewed(bot: Harness, clock: FakeClock) -> None:
    """Experiment #1 (two weeks) has run; its review is open."""
    await bot.ask("!experiment a speaking timekeeper in every meeting for 2w")
    clock.set(OPENS)
    assert await bot.rituals.run_due("experiment-review", ROOM)


async def close(bot: Harness, clock: FakeClock) -> str:
    clock.set(CLOSES)
    before = len(bot.sent)
    assert await bot.rituals.run_due("experiment-review", ROOM)
    [said] = bot.sent[before:]
    return said.body


async def test_the_review_asks_three_ways_and_records_keep_as_a_decision(
    bot: Harness, clock: FakeClock
) -> None:
    await bot.ask("!experiment a speaking timekeeper in every meeting for 2w")
    assert "`!keep 1` shows" not in await bot.ask("!experiments")
    assert "runs until Mon 16 Mar 2026 10:00" in await bot.ask("!keep 1", BOB)
    clock.set(OPENS)
    assert await bot.rituals.run_due("experiment-review", ROOM)
    opened, poll = bot.sent[-2:]
    assert poll.event_type == poll_events.START  # the same question as a native poll
    start = poll.content[poll_events.START]
    assert [a["org.matrix.msc1767.text"] for a in start["answers"]] == [
        "keep it",
        "change it",
        "drop it",
    ]
    assert opened.body == (
        "**Experiment #1** has run its course (2026-03-02 to 2026-03-16): a speaking timekeeper "
        "in every meeting\nKeep, change or drop it? Answer `!keep 1`, `!change 1 <how>` or "
        "`!drop 1` until Mon 23 Mar 2026 10:00; each member's latest answer counts. The answer "
        "most members give is recorded as the group's decision; a change starts again as "
        "changed. With no answers, or a tie, nothing is decided and the trial ends."
    )
    assert opened.content["msgtype"] == "m.text"
    assert not await bot.rituals.run_due("experiment-review", ROOM)  # opened once
    assert "review open until Mon 23 Mar 2026 10:00" in await bot.ask("!experiments")
    reply = await bot.ask("!drop 1", ALICE)
    assert reply.startswith("Alice answers **drop** to the review of experiment #1")
    assert "Counts so far: 0 keep, 0 change, 1 drop" in reply
    assert "replaces your earlier" in await bot.ask("!keep 1", ALICE)
    await bot.ask("!keep 1", BOB)
    await bot.ask("!change 1 a timekeeper who rotates", CAROL)
    said = await close(bot, clock)
    assert said.startswith(
        "Experiment #1 (a speaking timekeeper in every meeting) is kept, after its review "
        "(2 keep, 1 change, 0 drop). Recorded as decision #1"
    )
    assert "is closed" in await bot.ask("!change 1 too late", BOB)
    assert "kept (decision #1)" in await bot.ask("!experiments")
    assert "is kept, after its review" in await bot.ask("!decisions timekeeper")
    [row] = await rows(bot)
    assert (row.result, row.review_number, row.decided_at) == ("keep", 1, CLOSES)
    async with bot.db.transaction() as session:
        audit = (await session.execute(select(AuditEntry.actor, AuditEntry.action))).all()
        decision = (await session.execute(select(Decision))).scalar_one()
    assert (None, "experiment.review_opened") in audit
    assert (BOB, "experiment.answered") in audit
    assert (None, "experiment.outcome") in audit
    assert decision.kind != "proposal" and decision.author == ALICE
    before = len(bot.sent)
    clock.set(CLOSES.replace(hour=10))
    assert await bot.rituals.run_due("experiment-review", ROOM)
    assert len(bot.sent) == before  # said once


async def test_a_change_records_how_and_starts_the_changed_trial(
    bot: Harness, clock: FakeClock
) -> None:
    await reviewed(bot, clock)
    assert "Missing how" in await bot.ask("!change 1", BOB)
    await bot.ask("!change 1 a timekeeper who rotates", ALICE)
    await bot.ask("!change 1 a Timekeeper  who rotates", BOB)
    await bot.ask("!drop 1", CAROL)
    said = await close(bot, clock)
    assert "is changed, after its review (0 keep, 2 change, 1 drop): a timekeeper who rotates" in (
        said
    )
    assert "The changed trial starts now as **experiment #2**, until" in said
    first, second = await rows(bot)
    assert (first.result, first.outcome_how, first.continued_as) == (
        "change",
        "a timekeeper who rotates",
        2,
    )
    assert (second.change, second.follows, second.duration) == ("a timekeeper who rotates", 1, "2w")
    listed = await bot.ask("!experiments")
    assert "(runs on as #2)" in listed and "(changed from #1)" in listed


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([], ("none", None)),
        ([("keep", None)], ("keep", None)),
        ([("keep", None), ("drop", None)], ("none", None)),  # a tie: no outcome
        ([("keep", None), ("drop", None), ("drop", None)], ("drop", None)),
        ([("change", "b"), ("change", "a"), ("keep", None)], ("change", "b")),  # earliest how
        ([("change", "a"), ("change", "b"), ("change", "B ")], ("change", "b")),  # most given
        ([("keep", None), ("change", "x"), ("drop", None)], ("none", None)),
    ],
)
def test_the_outcome_is_the_plurality_and_a_tie_is_none(
    answers: list[tuple[str, str | None]], expected: tuple[str, str | None]
) -> None:
    given_ = [ExperimentAnswer(answer=a, how=h) for a, h in answers]
    found = outcome(given_)
    assert (found.result, found.how) == expected


async def test_no_answers_is_no_outcome_and_no_decision(bot: Harness, clock: FakeClock) -> None:
    await reviewed(bot, clock)
    said = await close(bot, clock)
    assert "has closed with no outcome (0 keep, 0 change, 0 drop)" in said
    assert "the trial ends" in said
    assert "no outcome (no answers, or a tie): ended" in await bot.ask("!experiments")
    [row] = await rows(bot)
    assert (row.result, row.review_number) == ("none", None)
    assert "The decision log is empty" in await bot.ask("!decisions")


async def test_a_review_opened_as_a_proposal_before_still_closes(
    bot: Harness, clock: FakeClock
) -> None:
    """An experiment whose review an earlier version opened as a proposal."""
    await bot.ask("!experiment random facilitation order for 1w")
    async with bot.db.transaction() as session:
        made = await decisions.propose(
            session, 1, "keep, change or drop: x (experiment #1)", ALICE, clock.now(),
            closes_at=CLOSES, rule="consent",
        )  # fmt: skip
        e = (await session.execute(select(Experiment))).scalar_one()
        e.review_number, e.reviewed_at = made.number, clock.now()
    assert "is reviewed by proposal #1" in await bot.ask("!keep 1", BOB)
    for who in (ALICE, BOB, CAROL):  # everyone answered: it may close early
        await bot.ask("!agree 1", who)
    await bot.ask("!decide 1 keep it", ALICE)
    clock.set(OPENS)
    before = len(bot.sent)
    assert await bot.rituals.run_due("experiment-review", ROOM)
    assert any("is decided: proposal #1 was adopted" in s.body for s in bot.sent[before:])
    assert "review: proposal #1, adopted on" in await bot.ask("!experiments")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    word=st.sampled_from(["keep", "change", "drop", "KEEP"]),
    rest=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    ),
    number=st.sampled_from(["1", "2", "0", "-1", "99999999999999999999", ""]),
)
async def test_any_review_answer_gets_one_clear_answer(
    bot: Harness, clock: FakeClock, word: str, rest: str, number: str
) -> None:
    if not await rows(bot):
        await reviewed(bot, clock)
    replies = await bot.send(f"!{word} {number} {rest}", BOB)
    assert len(replies) == 1
    body = replies[0].body
    assert "Sorry, something went wrong" not in body
    assert not re.search(r"@room\b", body, re.IGNORECASE)
    listed = await bot.ask("!experiments", BOB)
    assert "Sorry, something went wrong" not in listed


async def test_answers_on_the_review_poll_count_like_the_commands(
    bot: Harness, clock: FakeClock
) -> None:
    await reviewed(bot, clock)
    echoed = await bot.echo()
    [start_id] = [e for e, s in echoed if s.event_type == poll_events.START]
    await bot.process(
        [
            response(bot, start_id, ["3"], ALICE),
            response(bot, start_id, ["3"], BOB),
            response(bot, start_id, ["1"], CAROL),
            response(bot, start_id, ["9"], CAROL),  # no such option: ignored here
            response(bot, "$elsewhere", ["1"], CAROL),  # another poll: ignored
        ]
    )
    await bot.ask("!keep 1", BOB)  # the latest answer counts, by poll or by command
    said = await close(bot, clock)
    assert said.startswith("Experiment #1 (a speaking timekeeper in every meeting) is ")
    assert "(2 keep, 0 change, 1 drop)" in said
