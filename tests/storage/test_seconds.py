"""Two-member rule requests: numbering, pending, seconding, lapsing once, forgetting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.database import Database
from storage import seconds
from tests.storage.helpers import ALICE, BOB, CAROL, T0, collective

HOUR = timedelta(hours=1)


async def test_requests_are_numbered_and_carry_their_payload(db: Database) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        one = await seconds.create(session, a, "delete note", {"note": 4}, ALICE, T0)
        two = await seconds.create(
            session,
            a,
            "redefine role",
            {"role": "notes", "term": "2w", "scope": "Protokoll ✓"},
            BOB,
            T0,
        )
        there = await seconds.create(session, b, "delete budget entry", {"entry": 1}, ALICE, T0)
        assert (one.number, two.number, there.number) == (1, 2, 1)
        assert one.expires_at == T0 + 24 * HOUR
    async with db.transaction() as session:
        found = await seconds.by_number(session, a, 2)
        assert found is not None and found.action == "redefine role"
        assert seconds.payload(found) == {"role": "notes", "term": "2w", "scope": "Protokoll ✓"}
        assert await seconds.by_number(session, b, 2) is None
        assert (await seconds.create(session, a, "delete note", {}, ALICE, T0)).number == 3


async def test_the_member_a_request_acts_against_cannot_second_it(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        req = await seconds.create(
            session, c, "mark bot", {"user": BOB, seconds.ABOUT: BOB}, ALICE, T0
        )
        with pytest.raises(ValueError, match="other than the one concerned"):
            await seconds.mark_seconded(session, req, BOB, T0 + HOUR)
        await seconds.mark_seconded(session, req, CAROL, T0 + HOUR)
        assert req.seconded_by == CAROL
        other = await seconds.create(session, c, "mark bot", {"user": CAROL}, BOB, T0)
    async with db.transaction() as session:  # forgetting Bob leaves no id of his behind
        assert await seconds.forget(session, BOB) == 2  # asked for `other`; about `req`
        found = await seconds.by_number(session, c, req.number)
        assert found is not None and BOB not in found.payload
        assert seconds.payload(found) == {"user": None, seconds.ABOUT: None}
        kept = await seconds.by_number(session, c, other.number)
        assert kept is not None and seconds.payload(kept) == {"user": CAROL}


async def test_seconding_needs_another_member_in_time(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        req = await seconds.create(session, c, "withdraw decision", {"decision": 2}, ALICE, T0)
        assert seconds.state(req, T0) == "pending"
        with pytest.raises(ValueError, match="other than the one who asked"):
            await seconds.mark_seconded(session, req, ALICE, T0 + HOUR)
        with pytest.raises(ValueError, match="not seconded"):
            await seconds.mark_carried_out(session, req, T0 + HOUR)
        with pytest.raises(ValueError, match="not expired"):
            await seconds.mark_lapsed(session, req, T0 + HOUR)
        await seconds.mark_seconded(session, req, BOB, T0 + HOUR)
        assert seconds.state(req, T0 + HOUR) == "seconded"
        await seconds.mark_carried_out(session, req, T0 + HOUR)
        assert seconds.state(req, T0 + 48 * HOUR) == "carried out"
        assert (req.seconded_by, req.seconded_at) == (BOB, T0 + HOUR)
        with pytest.raises(ValueError, match="carried out, not pending"):
            await seconds.mark_seconded(session, req, CAROL, T0 + HOUR)

        late = await seconds.create(session, c, "delete note", {"note": 1}, ALICE, T0)
        with pytest.raises(ValueError, match="expired, not pending"):
            await seconds.mark_seconded(session, late, BOB, T0 + 24 * HOUR)


async def test_pending_and_lapsed_are_announced_once(db: Database) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        early = await seconds.create(session, a, "delete note", {"note": 1}, ALICE, T0)
        later = await seconds.create(session, a, "delete note", {"note": 2}, ALICE, T0 + 2 * HOUR)
        done = await seconds.create(session, a, "delete note", {"note": 3}, ALICE, T0)
        await seconds.mark_seconded(session, done, BOB, T0 + HOUR)
        await seconds.mark_carried_out(session, done, T0 + HOUR)
        there = await seconds.create(session, b, "delete note", {"note": 1}, ALICE, T0)

        assert await seconds.pending(session, a, T0 + HOUR) == [early, later]
        assert await seconds.pending(session, a, T0 + 24 * HOUR) == [later]
        assert (
            await seconds.lapsed_unannounced(session, T0 + 24 * HOUR - timedelta(seconds=1)) == []
        )
        due = await seconds.lapsed_unannounced(session, T0 + 24 * HOUR)
        assert {r.id for r in due} == {early.id, there.id}
        assert await seconds.lapsed_unannounced(session, T0 + 24 * HOUR, collective_id=a) == [early]

        await seconds.mark_lapsed(session, early, T0 + 25 * HOUR)
        assert seconds.state(early, T0 + 25 * HOUR) == "lapsed"
        with pytest.raises(ValueError, match="lapsed, not expired"):
            await seconds.mark_lapsed(session, early, T0 + 26 * HOUR)
        assert await seconds.lapsed_unannounced(session, T0 + 30 * HOUR, collective_id=a) == [later]
        assert await seconds.pending(session, a, T0 + 30 * HOUR) == []


async def test_forget_keeps_the_requests(db: Database) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        asked = await seconds.create(session, a, "delete note", {"note": 1}, BOB, T0)
        confirmed = await seconds.create(session, a, "delete note", {"note": 2}, ALICE, T0)
        await seconds.mark_seconded(session, confirmed, BOB, T0)
        there = await seconds.create(session, b, "delete note", {"note": 1}, BOB, T0)
        assert await seconds.forget(session, BOB, collective_id=a) == 2
        assert asked.requested_by is None and confirmed.seconded_by is None
        assert confirmed.requested_by == ALICE and seconds.payload(asked) == {"note": 1}
        assert there.requested_by == BOB
        assert await seconds.forget(session, BOB) == 1
        assert there.requested_by is None
