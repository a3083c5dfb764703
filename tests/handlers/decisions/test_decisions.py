"""Decisions through the real dispatcher and the exactly-once scheduler, on both databases:
proposals, answers, the three rules, closing early and by date, dissent, the log, withdrawal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.database import Database
from storage import decisions
from storage.models import Collective, Decision, Member
from tests.handlers.test_exports import export
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, Sent, make_config

# The bot fixture's clock: Monday 2026-03-02 10:00 in Berlin. A proposal made then closes
# a week later at the same hour.
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLOSES = OPENED + timedelta(days=7)
ANSWER_HELP = "`!agree 1`, `!abstain 1 [reason]`, `!object 1 <reason>` or `!block 1 <reason>`"
DAN = "@dan:test.org"


async def started(db: Database, clock: FakeClock, extra: str = "") -> Harness:
    harness = Harness(db, make_config(extra), clock)
    await harness.start()
    return harness


async def stored(bot: Harness, number: int) -> Decision:
    async with bot.db.transaction() as session:
        cid = (await session.execute(select(Collective.id))).scalar_one()
        found = await decisions.by_number(session, cid, number)
        assert found is not None
        return found


def posts(bot: Harness, start: str) -> list[Sent]:
    return [s for s in bot.sent if s.body.startswith(start)]


async def close_at(bot: Harness, when: datetime) -> list[Sent]:
    bot.clock.set(when)
    before = len(bot.sent)
    await bot.rituals.run_due("decision-close", ROOM)
    return bot.sent[before:]


# --- proposing and answering --------------------------------------------------------------


async def test_propose_names_the_number_author_closing_time_and_how_to_answer(
    bot: Harness,
) -> None:
    [reply] = await bot.send("!propose we buy a <b>printer</b> @room")
    assert reply.body == (
        "Proposal **#1** from Alice: we buy a <b>printer</b> @\u2060room\n"
        "Open until Mon 09 Mar 2026 10:00, decided by consent (adopted unless someone "
        f"blocks). Answer with {ANSWER_HELP}; `!proposal 1` shows the counts so far."
    )
    assert "we buy a &lt;b&gt;printer&lt;/b&gt;" in reply.html
    assert reply.content["m.mentions"] == {}
    found = await stored(bot, 1)
    assert (found.status, found.rule, found.closes_at) == ("open", "consent", CLOSES)
    assert (await bot.ask("!propose a second one", BOB)).startswith("Proposal **#2** from Bob")


async def test_blank_text_is_refused(bot: Harness) -> None:
    assert await bot.ask("!propose") == "Missing text. Usage: `!propose <text> [review <duration>]`"
    assert (
        await bot.ask("!propose \u200b")
        == "Missing text. Usage: `!propose <text> [review <duration>]`"
    )
    assert await bot.ask("!decision") == "Missing text. Usage: `!decision <text>`"


async def test_answers_show_counts_only_and_a_changed_answer_replaces_the_old(
    bot: Harness,
) -> None:
    await bot.ask("!propose we move meetings to Thursdays")
    assert await bot.ask("!agree 1", BOB) == (
        "Bob agrees to proposal #1. Counts so far: 1 agree, 0 abstain, 0 object, 0 block; "
        "it closes Mon 09 Mar 2026 10:00."
    )
    reply = await bot.ask("!object #1 Thursdays clash with the food bank", CAROL)
    assert reply.startswith("Carol objects to proposal #1. Counts so far: 1 agree, 0 abstain, 1")
    assert "Bob" not in reply
    reply = await bot.ask("!agree 1", CAROL)
    assert reply.startswith(
        "Carol agrees to proposal #1 (changed from object; only the new answer counts). "
        "Counts so far: 2 agree, 0 abstain, 0 object, 0 block"
    )
    assert "(as before; this answer replaces the earlier one)" in await bot.ask("!agree 1", CAROL)
    assert "stands aside from proposal #1" in await bot.ask("!abstain 1", ALICE)
    shown = await bot.ask("!proposal 1", ALICE)
    assert "Counts so far: 2 agree, 1 abstain, 0 object, 0 block." in shown
    assert "Who answered what is shown once it closes." in shown
    for secret in ("Bob", "Carol", "food bank"):
        assert secret not in shown
    audit = await bot.ask("!audit 5")
    assert "Carol answered proposal #1" in audit
    assert "agree" not in audit and "food bank" not in audit  # who answered what stays private


async def test_object_and_block_need_a_reason(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    assert await bot.ask("!object 1", BOB) == (
        "Missing reason. Usage: `!object <proposal> <reason>`"
    )
    assert await bot.ask("!block 1", BOB) == "Missing reason. Usage: `!block <proposal> <reason>`"
    assert await bot.ask("!block 1 \u200b", BOB) == (
        "Missing reason. Usage: `!block <proposal> <reason>`"
    )
    assert await bot.ask("!agree one", BOB) == "`one` is not a number. Usage: `!agree <proposal>`"
    assert await bot.ask("!agree 1 gladly", BOB) == (
        "Unexpected extra text: `gladly`. Usage: `!agree <proposal>`"
    )
    assert "0 agree, 0 abstain, 0 object, 0 block" in await bot.ask("!proposal 1")
    # An abstention's reason is optional, so an invisible one is simply none.
    assert "Carol stands aside from proposal #1." in await bot.ask("!abstain 1 \u200b", CAROL)
    bot.clock.set(CLOSES)
    [result] = await close_at(bot, CLOSES)
    assert result.body.endswith("- Carol abstains")


async def test_unknown_recorded_and_closed_proposals_take_no_answers(bot: Harness) -> None:
    assert await bot.ask("!agree 7") == "There is no proposal #7. `!decisions` lists them."
    await bot.ask("!decision the assembly chose the library")
    assert await bot.ask("!object 1 never agreed", BOB) == (
        "#1 is a decision taken elsewhere and recorded, not a proposal: it takes no answers. "
        "`!dissent 1 <reason>` puts disagreement on record."
    )
    await bot.ask("!propose we buy a printer")
    for member in (ALICE, BOB, CAROL):
        await bot.ask("!agree 2", member)
    await bot.ask("!decide 2")  # everyone has answered: no second member is needed
    assert await bot.ask("!block 2 too late", CAROL) == (
        "Proposal #2 is closed (adopted 2026-03-02) and takes no more answers. "
        "`!dissent 2 <reason>` puts disagreement on record; `!proposal 2` shows it."
    )
    await bot.ask("!propose we paint the hall")
    bot.clock.set(CLOSES + timedelta(minutes=1))  # the closing time passed; the job has not run
    assert await bot.ask("!agree 3", CAROL) == (
        "Proposal #3 closed at Mon 09 Mar 2026 10:00; it takes no more answers. "
        "The result is posted within the hour."
    )
    assert await bot.ask("!proposal 9") == (
        "There is no proposal or decision #9. `!decisions` lists them."
    )


# --- deciding ----------------------------------------------------------------------------


async def test_decide_closes_early_with_the_tally_names_and_every_reason(bot: Harness) -> None:
    bot.members[ROOM][DAN] = "Dan"
    await bot.process([])
    await bot.ask("!propose we buy a <printer>")
    await bot.ask("!agree 1")
    await bot.ask("!agree 1", BOB)
    await bot.ask("!object 1 too <expensive> @room", CAROL)
    await bot.ask("!abstain 1 I print nothing", DAN)
    bot.clock.advance(hours=2)
    [reply] = await bot.send("!decide 1 we buy the cheaper one", BOB)
    assert reply.body == (
        "**Proposal #1** from Alice: **adopted** on Mon 02 Mar 2026 12:00, decided early by Bob.\n"
        "we buy a <printer>\n"
        "Under consent (adopted unless someone blocks): nobody blocked.\n"
        "Outcome: we buy the cheaper one\n"
        "Tally: 2 agree, 1 abstain, 1 object, 0 block.\n"
        "- Alice agrees\n"
        "- Bob agrees\n"
        "- Dan abstains: I print nothing\n"
        "- Carol objects: too <expensive> @\u2060room"
    )
    assert "too &lt;expensive&gt;" in reply.html
    assert reply.content["m.mentions"] == {}  # names without pinging
    found = await stored(bot, 1)
    assert (found.status, found.closed_by, found.closed_early) == ("adopted", BOB, True)
    assert found.outcome == "we buy the cheaper one"
    assert await bot.ask("!proposal 1") == reply.body + (
        "\n**Follow-through**: no task yet. `!task add <name> for #1` ties one to it."
    )
    assert await bot.ask("!decide 1", CAROL) == (
        "#1 is not an open proposal (a proposal, adopted 2026-03-02); nothing changed. "
        "`!proposal 1` shows it."
    )
    assert "Bob decided proposal #1: adopted (2 agree, 1 abstain, 1 object, 0 block)" in (
        await bot.ask("!audit 1")
    )


async def test_decide_without_an_outcome_records_the_proposal_text(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    for member in (ALICE, BOB, CAROL):
        await bot.ask("!agree 1", member)
    reply = await bot.ask("!decide 1", ALICE)
    assert "decided early by Alice" in reply and "Outcome:" not in reply
    assert (await stored(bot, 1)).outcome == "we buy a printer"


async def test_decide_early_waits_for_a_second_member_until_everyone_answered(
    bot: Harness,
) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.ask("!agree 1")
    await bot.ask("!agree 1", BOB)
    assert await bot.ask("!decide 1 the cheap one") == (
        "Request **#1** from Alice: close proposal #1 before Mon 09 Mar 2026 10:00: we buy a "
        "printer. Not every member has answered yet, so nobody closes it early alone: it "
        "waits for a second member, `!second 1` before Tue 03 Mar 2026 10:00. Otherwise it "
        "closes by itself at its closing time."
    )
    assert (await stored(bot, 1)).status == "open"
    assert "another member has to second it" in await bot.ask("!second 1")
    bot.clock.advance(hours=1)
    replies = [r.body for r in await bot.send("!second 1", CAROL)]
    assert replies[0].startswith(
        "**Proposal #1** from Alice: **adopted** on Mon 02 Mar 2026 11:00, decided early by "
        "Alice.\nClosed early by Alice, seconded by Carol.\nwe buy a printer\n"
    )
    assert "Outcome: the cheap one" in replies[0]
    assert replies[1] == (
        "Carol seconded request #1 from Alice: proposal #1 is closed early: adopted."
    )
    found = await stored(bot, 1)
    assert (found.closed_by, found.seconded_by, found.closed_early) == (ALICE, CAROL, True)
    assert found.members_counted == 3 and found.quorum == 0.5
    audit = await bot.ask("!audit 2")
    assert "Carol seconded closing proposal #1 early, asked by Alice: adopted (2 agree" in audit
    assert await bot.ask("!decide 2") == "There is no proposal #2. `!decisions` lists them."


async def test_an_early_close_below_the_quorum_closes_no_quorum(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.ask("!agree 1")
    await bot.ask("!decide 1")
    await bot.send("!second 1", BOB)
    found = await stored(bot, 1)
    assert (found.status, found.no_quorum) == ("rejected", True)
    shown = await bot.ask("!proposal 1")
    assert shown.startswith("**Proposal #1** from Alice: **not adopted** on Mon 02 Mar 2026")
    assert "no quorum: 1 of 3 members answered, 2 needed." in shown
    assert "no quorum 2026-03-02" in await bot.ask("!decisions")
    _notice, doc = await export(bot, "!export decisions")
    assert "not adopted (no quorum: too few members answered) on Mon 02 Mar 2026" in doc
    assert "(before its closing time), closed by Alice, seconded by Bob" in doc


async def test_a_block_given_before_the_second_stops_the_early_close(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.ask("!agree 1")
    await bot.ask("!decide 1")
    await bot.ask("!block 1 no money", CAROL)
    reply = await bot.ask("!second 1", BOB)
    assert reply.startswith("Proposal #1 cannot be closed: it was blocked since")
    assert (await stored(bot, 1)).status == "open"


async def test_a_blocked_proposal_cannot_be_decided_and_closes_rejected(bot: Harness) -> None:
    await bot.ask("!propose we sign the lease")
    await bot.ask("!agree 1", BOB)
    reply = await bot.ask("!block 1 the landlord evicted our neighbours", CAROL)
    assert reply.endswith("A block stops the proposal under every rule while it stands.")
    assert "it would not be adopted: blocked." in await bot.ask("!proposal 1")
    assert await bot.ask("!decide 1", BOB) == (
        "Proposal #1 cannot be decided: it is blocked, and a standing block stops it under "
        "every rule.\n- Carol: the landlord evicted our neighbours\nNothing changed. A block "
        "stands until whoever blocked changes their answer (`!agree 1`, `!abstain 1` or "
        "`!object 1 <reason>`); still standing at the closing time (Mon 09 Mar 2026 10:00), "
        "it rejects the proposal."
    )
    assert (await stored(bot, 1)).status == "open"
    [result] = await close_at(bot, CLOSES)
    assert result.body.startswith(
        "**Proposal #1** from Alice: **rejected** on Mon 09 Mar 2026 10:00, at its closing time."
        "\nwe sign the lease\nUnder consent (adopted unless someone blocks): blocked by Carol.\n"
        "Tally: 1 agree, 0 abstain, 0 object, 1 block.\n- Bob agrees\n"
        "- Carol blocks: the landlord evicted our neighbours"
    )
    assert (await stored(bot, 1)).status == "rejected"


async def test_majority_needs_more_than_half_of_those_who_answered(
    db: Database, clock: FakeClock
) -> None:
    bot = await started(db, clock, '[decisions]\nrule = "majority"\n')
    assert "decided by majority (adopted when more than half of those who answered agree)" in (
        await bot.ask("!propose we rent a van")
    )
    await bot.ask("!agree 1", BOB)
    await bot.ask("!object 1 nobody can drive it", CAROL)
    await bot.ask("!abstain 1")
    reply = await bot.ask("!decide 1", BOB)
    assert "**rejected** on Mon 02 Mar 2026 10:00, decided early by Bob." in reply
    assert "not more than half of those who answered agree (1 of 3)." in reply
    assert (await stored(bot, 1)).outcome is None
    await bot.ask("!propose we rent a bike trailer")
    await bot.ask("!agree 2", BOB)
    await bot.ask("!agree 2", CAROL)
    await bot.ask("!object 2 too slow")
    assert "**adopted**" in await bot.ask("!decide 2", BOB)
    # Under majority too, a standing block cannot be decided over, even by its author.
    await bot.ask("!propose we buy the van")
    await bot.ask("!agree 3")
    await bot.ask("!agree 3", BOB)
    await bot.ask("!block 3 we cannot insure it", CAROL)
    assert "cannot be decided: it is blocked" in await bot.ask("!decide 3", CAROL)


async def test_unanimity_counts_every_member_and_silence_is_not_consent(
    db: Database, clock: FakeClock
) -> None:
    bot = await started(db, clock, '[decisions]\nrule = "unanimity"\n')
    await bot.ask("!propose we share one bank account")
    await bot.ask("!agree 1", BOB)
    reply = await bot.ask("!abstain 1", CAROL)
    assert reply.endswith("Under unanimity standing aside does not stop the proposal.")
    shown = await bot.ask("!proposal 1")
    assert (
        "It needs every one of the 3 members who are not away to agree or stand aside, and no "
        "block. Missing: 1 member still to agree or stand aside."
    ) in shown
    await bot.ask("!agree 1")
    reply = await bot.ask("!decide 1", BOB)
    assert "**adopted**" in reply and "every member agrees or stands aside." in reply
    await bot.ask("!propose we share one calendar")
    await bot.ask("!agree 2", BOB)
    await bot.ask("!agree 2", CAROL)
    await bot.ask("!propose nobody will answer this")
    await bot.ask("!object 3 no", BOB)
    results = await close_at(bot, CLOSES)
    assert "1 member did not answer, and under unanimity silence is not consent" in (
        results[0].body
    )
    assert "**rejected**" in results[0].body
    assert "no quorum: 1 of 3 members answered, 2 needed" in results[1].body


async def test_the_rule_is_set_per_collective_and_kept_by_the_proposal(
    db: Database, clock: FakeClock
) -> None:
    extra = f'[collectives."{ROOM}".decisions]\nrule = "majority"\nopen_days = 3\n'
    bot = await started(db, clock, extra)
    reply = await bot.ask("!propose we rent a van")
    assert "Open until Thu 05 Mar 2026 10:00, decided by majority" in reply
    assert (await stored(bot, 1)).rule == "majority"
    # A proposal made under one rule is decided under it, even if the config changes.
    other = Harness(db, make_config(), bot.clock)
    await other.process([])
    [result] = await close_at(other, OPENED + timedelta(days=3))
    assert "no quorum: 0 of 3 members answered, 2 needed" in result.body


# --- closing by date -----------------------------------------------------------------------


async def test_closing_time_posts_the_result_once(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.ask("!object 1 too expensive", BOB)
    await bot.ask("!agree 1", CAROL)
    assert await close_at(bot, CLOSES - timedelta(hours=1)) == []
    [result] = await close_at(bot, CLOSES)
    assert result.reply_to is None
    assert result.body.startswith("**Proposal #1** from Alice: **adopted** on Mon 09 Mar")
    assert "Under consent (adopted unless someone blocks): nobody blocked." in result.body
    assert "- Bob objects: too expensive" in result.body
    assert "Posted late" not in result.body
    assert await close_at(bot, CLOSES + timedelta(minutes=30)) == []
    assert await close_at(bot, CLOSES + timedelta(hours=1)) == []
    found = await stored(bot, 1)
    assert (found.status, found.closed_at, found.closed_by) == ("adopted", CLOSES, None)
    assert not found.closed_early
    assert "the bot closed proposal #1 at its time: adopted (1 agree" in await bot.ask("!audit 1")


async def test_closing_across_a_restart_posts_the_result_exactly_once(
    db: Database, clock: FakeClock
) -> None:
    bot = await started(db, clock)
    await bot.ask("!propose we buy a printer")
    await bot.ask("!agree 1", BOB)
    await bot.ask("!agree 1", CAROL)
    clock.set(CLOSES + timedelta(days=1, minutes=20))  # the bot was down over the closing time
    restarted = Harness(db, make_config(), clock)
    await restarted.rituals.start()
    await restarted.rituals.start()  # and restarted once more
    assert not await bot.rituals.run_due("decision-close", ROOM)  # the old process, too late
    results = posts(bot, "**Proposal #1**") + posts(restarted, "**Proposal #1**")
    assert len(results) == 1
    assert "**adopted** on Mon 09 Mar 2026 10:00, at its closing time." in results[0].body
    assert results[0].body.endswith("(Posted late: the bot was offline at the closing time.)")
    found = await stored(bot, 1)
    assert found.closed_at == CLOSES and not found.closed_early
    assert (await restarted.ask("!agree 1", CAROL)).startswith("Proposal #1 is closed (adopted")


async def test_the_reminder_mentions_who_has_not_answered_once(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.ask("!agree 1", BOB)
    bot.clock.set(CLOSES - timedelta(days=1, hours=1))
    assert await bot.rituals.run_due("decision-reminder", ROOM)
    assert posts(bot, "Alice, Carol") == []
    bot.clock.set(CLOSES - timedelta(days=1))
    assert await bot.rituals.run_due("decision-reminder", ROOM)
    [reminder] = posts(bot, "Alice, Carol")
    assert reminder.body == (
        "Alice, Carol: **proposal #1** from Alice closes Mon 09 Mar 2026 10:00, under consent "
        "(adopted unless someone blocks), and you have not answered yet:\nwe buy a printer\n"
        f"Counts so far: 1 agree, 0 abstain, 0 object, 0 block. Answer here with {ANSWER_HELP}."
    )
    assert reminder.content["msgtype"] == "m.text"
    assert reminder.content["m.mentions"] == {"user_ids": [ALICE, CAROL]}
    for hours in (1, 2, 23):
        bot.clock.set(CLOSES - timedelta(days=1) + timedelta(hours=hours))
        await bot.rituals.run_due("decision-reminder", ROOM)
    assert len(posts(bot, "Alice, Carol")) == 1


async def test_a_short_proposal_is_reminded_at_its_middle_and_half_hour_leads_work(
    db: Database, clock: FakeClock
) -> None:
    bot = await started(db, clock, "[decisions]\nopen_days = 1\n")
    await bot.ask("!propose we meet tonight")
    for hours in range(1, 12):
        bot.clock.set(OPENED + timedelta(hours=hours))
        await bot.rituals.run_due("decision-reminder", ROOM)
    assert posts(bot, "Alice, Bob, Carol") == []
    bot.clock.set(OPENED + timedelta(hours=12))
    await bot.rituals.run_due("decision-reminder", ROOM)
    assert len(posts(bot, "Alice, Bob, Carol")) == 1


async def test_nobody_is_mentioned_when_everyone_answered_or_is_away(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.ask("!agree 1", BOB)
    await bot.ask("!agree 1")
    async with bot.db.transaction() as session:
        carol = await session.scalar(select(Member).where(Member.user_id == CAROL))
        assert carol is not None
        carol.away_until = CLOSES + timedelta(days=3)
    before = len(bot.sent)
    bot.clock.set(CLOSES - timedelta(days=1))
    await bot.rituals.run_due("decision-reminder", ROOM)
    assert bot.sent[before:] == []
    assert (await stored(bot, 1)).reminded_at is not None


# --- hidden answers, review dates ------------------------------------------------------------


# --- recorded decisions, dissent, the log ---------------------------------------------------


async def test_record_a_decision_and_attach_dissent(bot: Harness) -> None:
    assert await bot.ask("!decision the assembly chose the <library>", BOB) == (
        "Recorded decision **#1** from Bob, taken elsewhere: the assembly chose the <library>\n"
        "It has no answers or tally here; `!dissent 1 <reason>` puts disagreement on record."
    )
    assert await bot.ask("!dissent 1 we never asked the neighbours", CAROL) == (
        "Carol's dissent is on record with decision #1 (recorded 2026-03-02): "
        "we never asked the neighbours"
    )
    await bot.ask("!propose we paint the hall")
    reply = await bot.ask("!dissent 2 green is ugly", CAROL)
    assert reply.startswith("Carol's dissent is on record with proposal #2 (open until Mon 09")
    assert "It is still open: `!object 2 <reason>` or `!block 2 <reason>` would count" in reply
    shown = await bot.ask("!proposal 2")
    assert "Dissent on record: 1 (names and reasons once it closes)." in shown
    assert "green" not in shown
    assert await bot.ask("!proposal 1") == (
        "**Decision #1**, taken elsewhere, recorded by Bob on Mon 02 Mar 2026 10:00:\n"
        "the assembly chose the <library>\nDissent on record:\n"
        "- Carol (2026-03-02): we never asked the neighbours\n"
        "**Follow-through**: no task yet. `!task add <name> for #1` ties one to it."
    )
    assert await bot.ask("!dissent 9 no") == (
        "There is no proposal or decision #9. `!decisions` lists them."
    )
    assert await bot.ask("!dissent 1") == "Missing reason. Usage: `!dissent <decision> <reason>`"
    audit = await bot.ask("!audit 4")
    assert "Carol added dissent to decision #2" in audit and "Bob recorded decision #1" in audit


async def test_the_log_lists_newest_first_searchable_with_dissent_and_status(
    bot: Harness,
) -> None:
    assert await bot.ask("!decisions") == (
        "The decision log is empty: `!propose <text>` opens a proposal, `!decision <text>` "
        "records one taken elsewhere."
    )
    await bot.ask("!decision we meet at the Library")
    await bot.ask("!propose we buy a printer for the library", BOB)
    await bot.ask("!dissent 1 too far", CAROL)
    await bot.ask("!dissent 1 no ramp", BOB)
    assert await bot.ask("!decisions") == (
        "**Decisions**, newest first\n"
        "- **#2** proposal, open until Mon 09 Mar 2026 10:00, from Bob: we buy a printer for "
        "the library\n"
        "- **#1** decision, recorded 2026-03-02, from Alice: we meet at the Library (2 dissents)\n"
        "`!proposal <number>` shows one in full."
    )
    found = await bot.ask("!decisions LIBRARY meet")
    assert found.startswith("**Decisions** matching `LIBRARY meet`, newest first\n- **#1**")
    assert "#2" not in found
    assert await bot.ask("!decisions bicycle") == "No proposal or decision matches `bicycle`."
    for i in range(25):
        await bot.ask(f"!decision item {i}")
    long = await bot.ask("!decisions")
    assert long.count("\n- **#") == 20 and "… and 7 more." in long
    assert long.index("**#27**") < long.index("**#26**")


# --- withdrawal, through the two-member rule -------------------------------------------------


async def test_withdrawing_takes_a_second_member(bot: Harness) -> None:
    await bot.ask("!decision we meet on Thursdays")
    asked = await bot.ask("!withdraw 1")
    assert asked.startswith(
        "Request **#1** from Alice: withdraw decision #1: we meet on Thursdays. It changes a "
        "shared record, so it waits for a second member: `!second 1` before"
    )
    assert (await stored(bot, 1)).status == "adopted"
    assert "another member has to second it" in await bot.ask("!second 1")
    assert await bot.ask("!second 1", BOB) == (
        "Bob seconded request #1 from Alice: #1 is withdrawn and no longer applies: "
        "we meet on Thursdays."
    )
    found = await stored(bot, 1)
    assert found.status == "withdrawn" and found.adopted_at is not None
    assert "Withdrawn on Mon 02 Mar 2026 10:00: it no longer applies." in await bot.ask(
        "!proposal 1"
    )
    assert (
        await bot.ask("!withdraw 1") == "#1 is withdrawn 2026-03-02: there is nothing to withdraw."
    )
    assert await bot.ask("!withdraw 5") == (
        "There is no proposal or decision #5. `!decisions` lists them."
    )
    audit = await bot.ask("!audit 3")
    assert "Bob withdrew decision #1" in audit
    assert "Alice asked for a second member: request #1 (withdraw decision)" in audit


async def test_an_open_proposal_can_be_withdrawn_and_then_never_closes(bot: Harness) -> None:
    await bot.ask("!propose we buy a printer")
    await bot.ask("!agree 1", BOB)
    await bot.ask("!withdraw 1", CAROL)
    await bot.ask("!withdraw 1", BOB)  # a second request for the same thing
    await bot.ask("!second 1", ALICE)
    reply = await bot.ask("!second 2", CAROL)
    assert reply.startswith("#1 can no longer be withdrawn: it is withdrawn 2026-03-02.")
    assert "Tally: 1 agree, 0 abstain, 0 object, 0 block.\n- Bob agrees" in await bot.ask(
        "!proposal 1"
    )
    assert await close_at(bot, CLOSES) == []
    assert (await stored(bot, 1)).status == "withdrawn"
