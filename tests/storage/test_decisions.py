"""Proposals and decisions: numbering, answers, tallies, closing, search, influence, forgetting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.database import Database
from storage import decision_log, decision_rounds, decisions
from storage.decision_log import Influence
from storage.decisions import Tally
from storage.models import Member
from tests.storage.helpers import ALICE, BOB, CAROL, T0, collective

DAY = timedelta(days=1)


async def test_numbers_are_per_collective_and_distinct_within_one_transaction(
    db: Database,
) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        first = await decisions.propose(session, a, "buy a printer", ALICE, T0)
        second = await decisions.propose(session, a, "meet on Tuesdays", BOB, T0)
        recorded = await decisions.record(session, a, "we rent the hall", CAROL, T0)
        elsewhere = await decisions.propose(session, b, "another room's first", ALICE, T0)
        assert [first.number, second.number, recorded.number] == [1, 2, 3]
        assert elsewhere.number == 1
    async with db.transaction() as session:
        later = await decisions.record(session, a, "next batch", ALICE, T0 + DAY)
        assert later.number == 4
        found = await decisions.by_number(session, a, 2)
        assert found is not None and found.text == "meet on Tuesdays"
        assert (await decisions.by_number(session, b, 2)) is None
        one_of_b = await decisions.by_number(session, b, 1)
        assert one_of_b is not None and one_of_b.text == "another room's first"


async def test_a_changed_answer_replaces_the_old_one_and_counts_once(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        p = await decisions.propose(session, c, "paint the door", ALICE, T0)
        assert await decisions.set_answer(session, p, BOB, "agree", None, T0) is None
        assert await decisions.set_answer(session, p, CAROL, "object", "too red", T0) is None
        previous = await decisions.set_answer(session, p, BOB, "block", "lead paint", T0 + DAY)
        assert previous == "agree"
        assert await decisions.tally(session, p.id) == Tally(objected=1, blocked=1)
        answers = await decisions.answers(session, p.id)
        assert [(a.user_id, a.answer, a.reason) for a in answers] == [
            (CAROL, "object", "too red"),
            (BOB, "block", "lead paint"),
        ]
        mine = await decisions.answer_of(session, p.id, BOB)
        assert mine is not None and mine.answered_at == T0 + DAY


async def test_tally_close_and_snapshot(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        p = await decisions.propose(
            session, c, "shared kitchen rota", ALICE, T0, closes_at=T0 + 7 * DAY, rule="consent"
        )
        for user, answer in [(ALICE, "agree"), (BOB, "agree"), (CAROL, "abstain")]:
            await decisions.set_answer(session, p, user, answer, None, T0)
        await decisions.set_answer(session, p, "@dan:x", "object", "mondays are hard", T0)
        assert decisions.snapshot(p) is None
        counted = await decisions.close(
            session, p, "adopted", T0 + 2 * DAY, by=BOB, outcome="starts in April"
        )
        assert counted == Tally(agreed=2, abstained=1, objected=1) and counted.total == 4
        assert decisions.snapshot(p) == counted
        assert p.status == "adopted" and p.closed_by == BOB and p.outcome == "starts in April"
        assert p.closed_early and p.adopted_at == T0 + 2 * DAY and p.rule == "consent"
        with pytest.raises(ValueError, match="not open"):
            await decisions.set_answer(session, p, "@eve:x", "agree", None, T0 + 3 * DAY)
        with pytest.raises(ValueError, match="not open"):
            await decisions.close(session, p, "rejected", T0 + 3 * DAY)
        with pytest.raises(ValueError, match="unknown answer"):
            await decisions.set_answer(session, p, BOB, "yes", None, T0)

        on_time = await decisions.propose(session, c, "x", ALICE, T0, closes_at=T0 + DAY)
        await decisions.set_answer(session, on_time, BOB, "block", "no", T0)
        await decisions.close(session, on_time, "rejected", T0 + DAY, rule="majority")
        assert not on_time.closed_early and on_time.adopted_at is None
        assert on_time.closed_by is None and on_time.rule == "majority"
        assert decisions.snapshot(on_time) == Tally(blocked=1)
        with pytest.raises(ValueError, match="adopted or rejected"):
            await decisions.close(session, on_time, "withdrawn", T0)
    async with db.transaction() as session:  # the snapshot survives a reload
        again = await decisions.by_number(session, c, 1)
        assert again is not None and decisions.snapshot(again) == counted


async def test_recorded_decisions_are_adopted_with_no_tally(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        d = await decisions.record(session, c, "hall booked", ALICE, T0, outcome="for May")
        assert (d.kind, d.status, d.closed_at, d.adopted_at) == ("record", "adopted", T0, T0)
        assert decisions.snapshot(d) is None and not d.closed_early
        assert await decisions.open_proposals(session, c) == []
        with pytest.raises(ValueError, match="not open"):
            await decisions.set_answer(session, d, BOB, "agree", None, T0)


async def test_withdrawing(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        open_one = await decisions.propose(session, c, "a", ALICE, T0, closes_at=T0 + DAY)
        await decisions.set_answer(session, open_one, BOB, "agree", None, T0)
        await decisions.withdraw(session, open_one, T0 + timedelta(hours=1), by=ALICE)
        assert open_one.status == "withdrawn" and open_one.closed_at == T0 + timedelta(hours=1)
        assert decisions.snapshot(open_one) == Tally(agreed=1) and open_one.adopted_at is None

        adopted = await decisions.record(session, c, "b", ALICE, T0, outcome="kept")
        await decisions.withdraw(session, adopted, T0 + DAY, by=BOB)
        assert adopted.status == "withdrawn" and adopted.withdrawn_at == T0 + DAY
        assert (adopted.closed_at, adopted.adopted_at, adopted.outcome) == (T0, T0, "kept")

        rejected = await decisions.propose(session, c, "c", ALICE, T0)
        await decisions.close(session, rejected, "rejected", T0)
        for done in (rejected, open_one):
            with pytest.raises(ValueError, match="nothing to withdraw"):
                await decisions.withdraw(session, done, T0 + DAY)


async def test_open_due_to_close_and_reminders(db: Database) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        soon = await decisions.propose(session, a, "soon", ALICE, T0, closes_at=T0 + DAY)
        later = await decisions.propose(session, a, "later", ALICE, T0, closes_at=T0 + 7 * DAY)
        unbounded = await decisions.propose(session, a, "no date", ALICE, T0)
        other = await decisions.propose(session, b, "other", ALICE, T0, closes_at=T0 + DAY)
        closed = await decisions.propose(session, a, "closed", ALICE, T0, closes_at=T0 + DAY)
        await decisions.close(session, closed, "adopted", T0)

        opened = await decisions.open_proposals(session, a)
        assert [d.number for d in opened] == [soon.number, later.number, unbounded.number]

        assert await decisions.due_to_close(session, T0 + DAY - timedelta(seconds=1)) == []
        due = await decisions.due_to_close(session, T0 + DAY)
        assert {d.id for d in due} == {soon.id, other.id}
        assert await decisions.due_to_close(session, T0 + DAY, collective_id=a) == [soon]

        # The day before: soon (closes in 24 h) and the other room's are due a reminder.
        remind = await decisions.due_reminder(session, T0)
        assert {d.id for d in remind} == {soon.id, other.id}
        assert await decisions.due_reminder(session, T0, collective_id=b) == [other]
        await decisions.mark_reminded(session, soon, T0)
        assert await decisions.due_reminder(session, T0, collective_id=a) == []
        # Not yet a day before `later`; then exactly a day before; never once past.
        assert await decisions.due_reminder(session, T0 + 5 * DAY, collective_id=a) == []
        assert await decisions.due_reminder(session, T0 + 6 * DAY, collective_id=a) == [later]
        assert await decisions.due_reminder(session, T0 + 7 * DAY, collective_id=a) == []
        assert await decisions.due_reminder(session, T0, ahead=8 * DAY, collective_id=a) == [later]


async def test_dissent(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        d1 = await decisions.record(session, c, "one", ALICE, T0)
        d2 = await decisions.record(session, c, "two", ALICE, T0)
        d3 = await decisions.record(session, c, "three", ALICE, T0)
        await decisions.add_dissent(session, d1.id, BOB, "too fast", T0 + DAY)
        await decisions.add_dissent(session, d1.id, CAROL, "not asked", T0 + 2 * DAY)
        await decisions.add_dissent(session, d2.id, BOB, "again", T0 + DAY)
        got = await decisions.dissents(session, d1.id)
        assert [(d.user_id, d.reason) for d in got] == [(BOB, "too fast"), (CAROL, "not asked")]
        assert await decisions.dissent_counts(session, [d1.id, d2.id, d3.id]) == {
            d1.id: 2,
            d2.id: 1,
        }
        assert await decisions.dissent_counts(session, []) == {}


async def test_search_is_case_insensitive_every_word_newest_first(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session, "!a:x")
        other = await collective(session, "!b:x")
        await decisions.record(session, c, "Buy a PRINTER for flyers", ALICE, T0)
        await decisions.record(session, c, "Rent the hall", ALICE, T0, outcome="Printer later")
        await decisions.record(session, c, "Müll trennen, 100% recycelt", ALICE, T0)
        p = await decisions.propose(session, c, "flyer design", ALICE, T0)
        await decisions.close(session, p, "adopted", T0, outcome="use the printer")
        await decisions.record(session, other, "printer elsewhere", ALICE, T0)

        async def numbers(words: str, limit: int = 20) -> list[int]:
            found = await decision_log.search(session, c, words, limit=limit)
            return [d.number for d in found]

        assert await numbers("printer") == [4, 2, 1]
        assert await numbers("  PRINTER   flyer ") == [4, 1]
        assert await numbers("printer", limit=2) == [4, 2]
        assert await numbers("MÜLL") == [3]
        assert await numbers("100%") == [3]
        assert await numbers("_") == []
        assert await numbers("") == [4, 3, 2, 1]
        assert await numbers("", limit=1) == [4]
        assert await numbers("nothing here") == []


async def test_influence_and_decided_between(db: Database) -> None:
    month = T0, T0 + 31 * DAY
    async with db.transaction() as session:
        c = await collective(session)
        before = await decisions.propose(session, c, "old", ALICE, T0 - DAY)
        await decisions.close(session, before, "adopted", T0 + DAY)  # made before, adopted in
        p1 = await decisions.propose(session, c, "p1", ALICE, T0 + DAY)
        await decisions.close(session, p1, "adopted", T0 + 2 * DAY)
        await decisions.withdraw(session, p1, T0 + 3 * DAY)  # adopted still counts
        p2 = await decisions.propose(session, c, "p2", BOB, T0 + DAY)
        await decisions.close(session, p2, "rejected", T0 + 2 * DAY, by=ALICE)
        p3 = await decisions.propose(session, c, "p3", BOB, T0 + 30 * DAY)
        await decisions.close(session, p3, "adopted", T0 + 32 * DAY)  # adopted next month
        await decisions.propose(session, c, "p4", CAROL, T0 + 2 * DAY)  # still open
        gone = await decisions.propose(session, c, "p5", CAROL, T0 + 2 * DAY)
        await decisions.withdraw(session, gone, T0 + 3 * DAY)
        await decisions.record(session, c, "recorded", CAROL, T0 + 3 * DAY)
        await decisions.propose(session, c, "by a former member", None, T0 + 4 * DAY)

        assert await decision_log.influence(session, c, *month) == {
            ALICE: Influence(made=1, adopted=2),
            BOB: Influence(made=2, adopted=0),
            CAROL: Influence(made=2, adopted=0),
            None: Influence(made=1, adopted=0),
        }
        decided = await decision_log.decided_between(session, c, *month)
        assert [d.text for d in decided] == ["old", "p1", "p2", "recorded"]


async def test_log_for_export(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session, "!a:x")
        other = await collective(session, "!b:x")
        p = await decisions.propose(session, c, "p", ALICE, T0)
        await decisions.set_answer(session, p, BOB, "agree", None, T0)
        await decisions.set_answer(session, p, CAROL, "object", "why", T0 + DAY)
        r = await decisions.record(session, c, "r", ALICE, T0)
        await decisions.add_dissent(session, r.id, BOB, "no", T0)
        elsewhere = await decisions.propose(session, other, "x", ALICE, T0)
        await decisions.set_answer(session, elsewhere, BOB, "agree", None, T0)
        entries = await decision_log.log(session, c)
        assert [e.decision.number for e in entries] == [1, 2]
        assert [a.user_id for a in entries[0].answers] == [BOB, CAROL]
        assert entries[0].dissents == [] and entries[1].answers == []
        assert [d.reason for d in entries[1].dissents] == ["no"]


async def test_forget_keeps_records_without_the_member(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session, "!a:x")
        other = await collective(session, "!b:x")
        closed = await decisions.propose(session, c, "closed one", BOB, T0)
        await decisions.set_answer(session, closed, BOB, "object", "my reason", T0)
        await decisions.set_answer(session, closed, ALICE, "agree", None, T0)
        await decisions.close(session, closed, "adopted", T0 + DAY, by=BOB)
        live = await decisions.propose(session, c, "open one", ALICE, T0)
        await decisions.set_answer(session, live, BOB, "block", "no", T0)
        await decisions.set_answer(session, live, ALICE, "agree", None, T0)
        await decisions.add_dissent(session, closed.id, BOB, "still against", T0 + 2 * DAY)
        kept = await decisions.propose(session, other, "other room", BOB, T0)

        changed = await decisions.forget(session, BOB, collective_id=c)
        # open answer deleted; closed answer, dissent, author, closer anonymised
        assert changed == 5

        assert closed.author is None and closed.closed_by is None
        assert closed.text == "closed one" and decisions.snapshot(closed) == Tally(1, 0, 1, 0)
        answers = await decisions.answers(session, closed.id)
        assert sorted((a.user_id or "", a.answer, a.reason) for a in answers) == [
            ("", "object", "my reason"),
            (ALICE, "agree", None),
        ]
        assert [a.user_id for a in await decisions.answers(session, live.id)] == [ALICE]
        assert await decisions.tally(session, live.id) == Tally(agreed=1)
        assert [(d.user_id, d.reason) for d in await decisions.dissents(session, closed.id)] == [
            (None, "still against")
        ]
        assert kept.author == BOB  # another collective, not named
        assert await decisions.forget(session, BOB) == 1
        assert kept.author is None
        assert await decisions.forget(session, BOB) == 0


async def test_who_a_proposal_counts_and_review_candidates(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session, "!a:x")
        for user, away in ((ALICE, None), (BOB, T0 + 3 * DAY), (CAROL, T0 - DAY)):
            session.add(
                Member(
                    collective_id=c,
                    user_id=user,
                    joined=True,
                    first_seen_at=T0,
                    changed_at=T0,
                    away_until=away,
                )
            )
        session.add(
            Member(
                collective_id=c, user_id="@gone:x", joined=False, first_seen_at=T0, changed_at=T0
            )
        )
        await session.flush()
        p = await decisions.propose(session, c, "paint", ALICE, T0, closes_at=T0 + DAY)
        assert await decision_rounds.present(session, c, T0) == {ALICE, CAROL}  # Bob is away
        assert await decision_rounds.counted(session, p, T0) == 2
        await decisions.set_answer(session, p, BOB, "agree", None, T0)  # answers while away
        await decisions.set_answer(session, p, "@gone:x", "object", "no", T0)  # then left
        assert await decision_rounds.counted(session, p, T0) == 4
        assert await decision_rounds.counted(session, p, T0 + 4 * DAY) == 4  # Bob is back
        assert await decision_rounds.unanswered(session, p, T0) == [ALICE, CAROL]
        await decisions.forget(session, "@gone:x")  # an open proposal's answer goes with them
        assert await decision_rounds.counted(session, p, T0) == 3
        p.seconded_by = BOB
        await decisions.close(session, p, "adopted", T0)
        p.review_after = "3m"
        assert await decision_rounds.review_candidates(session, c) == [p]
        p.reviewed_as = 9
        assert await decision_rounds.review_candidates(session, c) == []
        await decisions.forget(session, BOB)
        assert p.seconded_by is None
