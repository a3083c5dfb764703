"""Structural experiments: a trial with a set cycle; when it is up, a proposal "keep, change
or drop" opens in the decision practice; once that proposal closes, its result is kept with
the experiment, which points at it by number."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import AuditEntry, Decision, Experiment
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config


async def experiment_rows(bot: Harness) -> list[Experiment]:
    async with bot.db.transaction() as session:
        return list(
            (await session.execute(select(Experiment).order_by(Experiment.number))).scalars()
        )


async def test_a_trial_ends_in_a_review_proposal_whose_outcome_is_kept_with_it(
    bot: Harness, clock: FakeClock
) -> None:
    assert await bot.ask("!experiments") == (
        "No experiments yet. `!experiment <change> [for <duration>]` records a trial, e.g. "
        "`!experiment a speaking timekeeper for 2w`."
    )
    assert await bot.ask("!experiment a speaking timekeeper in every meeting for 2w") == (
        "Experiment **#1** from Alice: a speaking timekeeper in every meeting\nIt runs for 2w, "
        "until Mon 16 Mar 2026 10:00. Then I open a proposal to keep, change or drop it, "
        "decided under the group's rule. `!experiments` lists every experiment."
    )
    await bot.ask("!decision the assembly chose the library", BOB)  # decision #1
    listed = await bot.ask("!experiments", BOB)
    assert listed == (
        "**Experiments**, newest first\n- **#1** a speaking timekeeper in every meeting (from "
        "Alice): running since 2026-03-02, until Mon 16 Mar 2026 10:00 (2w)\n"
        "`!proposal <number>` shows a review in full."
    )
    clock.set(datetime(2026, 3, 16, 8, 0, tzinfo=UTC))
    before = len(bot.sent)
    await bot.rituals.run_due("experiment-review", ROOM)
    assert len(bot.sent) == before  # not yet
    clock.set(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    assert await bot.rituals.run_due("experiment-review", ROOM)
    opened = bot.last
    assert opened.body == (
        "**Experiment #1** has run its course (2026-03-02 to 2026-03-16): a speaking "
        "timekeeper in every meeting\nProposal **#2**: keep, change or drop it? Open until "
        "Mon 23 Mar 2026 10:00, decided by consent (adopted unless someone blocks). Answer "
        "with `!agree 2`, `!abstain 2 [reason]`, `!object 2 <reason>` or `!block 2 <reason>`; "
        "`!decide 2 <outcome>` (keep it, change it to ..., drop it) records what the group "
        "chose."
    )
    assert opened.content["msgtype"] == "m.text"
    assert not await bot.rituals.run_due("experiment-review", ROOM)  # once
    shown = await bot.ask("!proposal 2", BOB)
    assert shown.startswith("**Proposal #2** from Alice, open until Mon 23 Mar 2026 10:00")
    assert "keep, change or drop: a speaking timekeeper in every meeting (experiment #1)" in shown
    assert "review: proposal #2, open until Mon 23 Mar 2026 10:00" in await bot.ask("!experiments")

    for who in (ALICE, BOB, CAROL):  # everyone has answered: it may close early
        await bot.ask("!agree 2", who)
    decided = await bot.ask("!decide 2 keep it, with the timekeeper rotating", ALICE)
    assert "**adopted**" in decided
    clock.set(datetime(2026, 3, 16, 10, 0, tzinfo=UTC))
    assert await bot.rituals.run_due("experiment-review", ROOM)
    assert bot.last.body == (
        "**Experiment #1** (a speaking timekeeper in every meeting) is decided: proposal #2 "
        "was adopted: keep it, with the timekeeper rotating. `!experiments` shows it with the "
        "experiment; `!proposal 2` shows who said what."
    )
    clock.set(datetime(2026, 3, 16, 11, 0, tzinfo=UTC))
    before = len(bot.sent)
    assert await bot.rituals.run_due("experiment-review", ROOM)
    assert len(bot.sent) == before  # said once
    assert await bot.ask("!experiments") == (
        "**Experiments**, newest first\n- **#1** a speaking timekeeper in every meeting (from "
        "Alice): tried 2026-03-02 to 2026-03-16; review: proposal #2, adopted on 2026-03-16: "
        "keep it, with the timekeeper rotating\n`!proposal <number>` shows a review in full."
    )
    [row] = await experiment_rows(bot)
    assert (row.review_number, row.result) == (2, "adopted")
    assert row.decided_at == datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
    async with bot.db.transaction() as session:
        audit = (await session.execute(select(AuditEntry.actor, AuditEntry.action))).all()
        review = (await session.execute(select(Decision).where(Decision.number == 2))).scalar_one()
    assert (ALICE, "experiment.started") in audit
    assert (None, "experiment.review") in audit
    assert (None, "experiment.reviewed") in audit
    assert review.kind == "proposal" and review.outcome == "keep it, with the timekeeper rotating"
    assert "#2** proposal, adopted 2026-03-16, from Alice" in await bot.ask("!decisions timekeeper")


async def test_a_review_nobody_answers_closes_under_the_rule_and_is_recorded(db, clock) -> None:  # type: ignore[no-untyped-def]
    bot = Harness(db, make_config('[decisions]\nrule = "majority"\nopen_days = 2\n'), clock)
    await bot.start()
    await bot.ask("!experiment random facilitation order")  # one month by default
    await bot.ask("!experiment rotate note-taking with agenda setting for 3d", BOB)
    clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    assert await bot.rituals.run_due("experiment-review", ROOM)
    assert bot.last.body.startswith(
        "**Experiment #2** has run its course (2026-03-02 to 2026-03-05)"
    )
    assert "decided by majority" in bot.last.body
    clock.set(datetime(2026, 3, 7, 9, 0, tzinfo=UTC))  # its closing time: nobody answered
    assert await bot.rituals.run_due("decision-close", ROOM)
    assert "**not adopted**" in bot.last.body and "no quorum" in bot.last.body
    assert await bot.rituals.run_due("experiment-review", ROOM)
    assert bot.last.body.startswith(
        "**Experiment #2** (rotate note-taking with agenda setting) is decided: proposal #1 "
        "was rejected."
    )
    listed = await bot.ask("!experiments")
    assert (
        "- **#2** rotate note-taking with agenda setting (from Bob): tried 2026-03-02 to " in listed
    )
    assert "review: proposal #1, rejected on 2026-03-07" in listed
    assert (
        "- **#1** random facilitation order (from Alice): running since 2026-03-02, until Thu 02 Apr 2026 11:00 (1m)"
        in listed
    )
    rows = await experiment_rows(bot)
    assert [(r.number, r.review_number, r.result) for r in rows] == [
        (1, None, None),
        (2, 1, "rejected"),
    ]


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
