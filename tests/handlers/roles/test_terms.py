"""Terms that end when they say (issue 26, item 8), with a fake clock: a term ends at the
rotation nearest its nominal end, `max_term` bounds roles defined before it was lowered, a
term counts for whoever held it longest, and handover notes are the ones of this term."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.database import Database
from storage import roles
from storage.models import Collective, RoleTerm
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

BERLIN = ZoneInfo("Europe/Berlin")  # the harness's zone; rotation: Mondays 10:00 there


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 2, 27, 12, 0, tzinfo=UTC))


async def claim(bot: Harness, when: datetime, term: str, who: str = ALICE) -> RoleTerm:
    """`who` defines a role with `term` and claims it at `when` (Berlin wall clock)."""
    name = "treasury"
    if term != "1w":
        assert "Defined role" in await bot.ask(f"!role define {name} {term} a scope", who)
    else:
        name = "notes"
    bot.clock.set(when.astimezone(UTC))
    assert "holds" in await bot.ask(f"!role claim {name}", who)
    async with bot.db.transaction() as session:
        found = await session.scalar(
            select(RoleTerm).where(RoleTerm.user_id == who).order_by(RoleTerm.id.desc()).limit(1)
        )
        assert found is not None
        session.expunge(found)
        return found


# (claimed at, on the Berlin wall clock; term; the end expected there; why)
TERMS = [
    ("2026-03-02 19:00", "1w", "2026-03-09 10:00", "Monday evening: the next Monday, not after"),
    ("2026-03-02 09:00", "1w", "2026-03-09 10:00", "just before a rotation: an hour over"),
    ("2026-03-05 22:00", "1w", "2026-03-16 10:00", "Thursday night: an exact tie goes later"),
    ("2026-03-06 12:00", "1w", "2026-03-16 10:00", "Friday: the Monday after the nominal end"),
    ("2026-03-04 12:00", "1w", "2026-03-09 10:00", "Wednesday: the Monday before it"),
    ("2026-03-23 19:00", "1w", "2026-03-30 10:00", "across the spring change (29 March)"),
    ("2026-03-27 12:00", "1w", "2026-04-06 10:00", "Friday in the spring change week"),
    ("2026-10-19 19:00", "1w", "2026-10-26 10:00", "across the autumn change (25 October)"),
    ("2026-03-02 19:00", "2w", "2026-03-16 10:00", "two weeks from a Monday evening"),
    ("2026-03-03 12:00", "1d", "2026-03-09 10:00", "shorter than a week: the first rotation"),
    ("2026-03-02 19:00", "1m", "2026-03-30 10:00", "a month: 2 April is nearer 30 March"),
]


@pytest.mark.parametrize(("claimed", "term", "expected", "why"), TERMS, ids=[t[3] for t in TERMS])
async def test_a_term_ends_at_the_rotation_nearest_its_nominal_end(
    bot: Harness, claimed: str, term: str, expected: str, why: str
) -> None:
    made = await claim(bot, local(claimed), term)
    assert made.ends_at.astimezone(BERLIN) == local(expected), why
    shown = await bot.ask("!roles")
    day = local(expected).strftime("%a %d %b %Y 10:00")
    assert f"until {day}" in shown


async def test_max_term_bounds_a_role_defined_before_it_was_lowered(
    db: Database, clock: FakeClock
) -> None:
    bot = Harness(db, make_config('[roles]\nmax_term = "2w"\n'), clock)
    await bot.start()
    async with bot.db.transaction() as session:
        cid = await session.scalar(select(Collective.id))
        assert cid is not None
        await roles.add_role(session, cid, "treasury", "1m", "the books", ALICE, clock.now())
    bot.clock.set(local("2026-03-02 19:00").astimezone(UTC))
    reply = await bot.ask("!role claim treasury")
    assert "until Mon 16 Mar 2026 10:00" in reply  # two weeks, not a month
    assert "(1m, at most 2w by `[roles] max_term`)" in await bot.ask("!roles")


async def history_of(bot: Harness, terms: list[tuple[str, int, int | None, int]]) -> dict:
    """Terms of one role (member, start day, day ended or None, nominal end day), in days
    from 2 March; the history as `roles.history` counts it."""
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    async with bot.db.transaction() as session:
        cid = await session.scalar(select(Collective.id))
        assert cid is not None
        role = await roles.add_role(session, cid, "treasury", "1w", "", ALICE, base)
        for user, start, ended, end in terms:
            session.add(
                RoleTerm(
                    role_id=role.id,
                    user_id=user,
                    started_at=base + timedelta(days=start),
                    ends_at=base + timedelta(days=end),
                    ended_at=None if ended is None else base + timedelta(days=ended),
                    how="claim",
                )
            )
        await session.flush()
        held = await roles.history(session, role.id, base - timedelta(days=1))
        return {user: count for user, (count, _last) in held.items()}


HELD = [
    ([(ALICE, 0, 3, 7)], {ALICE: 1}, "held 3 of 7 days, then vacant: still Alice's term"),
    ([(ALICE, 0, 2, 7), (BOB, 2, None, 7)], {BOB: 1}, "a swap: whoever held it longest"),
    ([(ALICE, 0, 4, 7), (BOB, 4, None, 7)], {ALICE: 1}, "a swap late in the term"),
    ([(ALICE, 0, 0, 7)], {}, "released the moment it began: nobody's"),
    ([(ALICE, 0, None, 7), (BOB, 7, None, 14)], {ALICE: 1, BOB: 1}, "two terms, one each"),
]


@pytest.mark.parametrize(("terms", "counted", "why"), HELD, ids=[h[2] for h in HELD])
async def test_a_term_counts_for_whoever_held_it_longest(
    bot: Harness, terms: list[tuple[str, int, int | None, int]], counted: dict, why: str
) -> None:
    assert await history_of(bot, terms) == counted, why


async def rotate_at(bot: Harness, when: datetime) -> str:
    bot.clock.set(when)
    before = len(bot.sent)
    assert await bot.rituals.run_due("rotation", ROOM)
    [announcement] = [s for s in bot.sent[before:] if s.body.startswith("**Role rotation**")]
    return announcement.body


async def holder(bot: Harness, role: str) -> str:
    async with bot.db.transaction() as session:
        found = await roles.role(session, 1, role)
        assert found is not None
        term = await roles.current_term(session, found.id)
        assert term is not None and term.user_id is not None
        return term.user_id


async def test_handover_notes_are_the_ones_left_for_this_term(bot: Harness) -> None:
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await rotate_at(bot, monday)
    first = await holder(bot, "notes")
    assert "saved" in await bot.ask("!role handover notes OLD NOTES from week one", first)
    second_week = await rotate_at(bot, monday + timedelta(weeks=1))
    assert "OLD NOTES from week one" in second_week
    second = await holder(bot, "notes")
    third_week = await rotate_at(bot, monday + timedelta(weeks=2))
    line = next(x for x in third_week.splitlines() if x.startswith("- **notes**"))
    assert "OLD NOTES" not in line and "No handover notes were left." in line
    # A claim after a release without notes shows none either.
    third = await holder(bot, "notes")
    await bot.ask("!role release notes", third)
    taker = next(u for u in (ALICE, BOB, CAROL) if u not in (third,))
    claimed = await bot.ask("!role claim notes", taker)
    assert "OLD NOTES" not in claimed and second != ""
