"""`[roles] order = "random"`: each holder is drawn among the eligible (away members and the
outgoing holder left out where anyone else can take it, distinct holders first), from a
seed of the collective and the rotation's due time, so a rotation run again draws the same."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.database import Database
from handlers.roles.fairness import Candidate, assign
from handlers.roles.jobs import draw_for
from tests.handlers.roles.test_roles import MONDAY, holders, rotate_at
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, make_config

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
PEOPLE = [f"@m{i}:x" for i in range(6)]


@given(
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=6, unique=True),
    st.lists(st.one_of(st.none(), st.sampled_from(PEOPLE)), min_size=1, max_size=3),
    st.integers(0, 10_000),
)
def test_random_order_keeps_the_limits(
    pool: list[str], outgoing: list[str | None], seed: int
) -> None:
    # Long histories would decide the fair order; the random one ignores them.
    candidates = [Candidate(u, count=i * 5, last_held=T0) for i, u in enumerate(pool)]
    roles = [(candidates, out) for out in outgoing]
    chosen = assign(roles, random.Random(seed), "random")
    assert assign(roles, random.Random(seed), "random") == chosen  # reproducible
    picked = [c.user_id for c in chosen if c is not None]
    assert all(u in pool for u in picked)
    if len(pool) >= len(roles):
        assert len(set(picked)) == len(picked)  # distinct holders where the pool allows
    for choice, out in zip(chosen, outgoing, strict=True):
        assert choice is not None
        if len(pool) > len(roles) and out in pool:
            assert choice.user_id != out  # not twice in a row where anyone else can


def test_random_order_reaches_those_the_fair_order_would_not() -> None:
    candidates = [Candidate("@a:x", count=0), Candidate("@b:x", count=9, last_held=T0)]
    fair = {assign([(candidates, None)], random.Random(s))[0].user_id for s in range(20)}  # type: ignore[union-attr]
    drawn = {
        assign([(candidates, None)], random.Random(s), "random")[0].user_id  # type: ignore[union-attr]
        for s in range(20)
    }
    assert fair == {"@a:x"} and drawn == {"@a:x", "@b:x"}


def test_the_seed_is_the_collective_and_the_due_time() -> None:
    a, b = draw_for(1, T0).random(), draw_for(1, T0).random()
    assert a == b
    assert draw_for(2, T0).random() != a and draw_for(1, T0 + timedelta(weeks=1)).random() != a


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 2, 27, 12, 0, tzinfo=UTC))


async def test_a_random_rotation_says_so_and_skips_the_away(db: Database, clock: FakeClock) -> None:
    bot = Harness(
        db, make_config('\n[roles]\norder = "Random"\ndefault = ["facilitation"]\n'), clock
    )
    await bot.start()
    assert bot.config.for_room(ROOM).role_order == "random"
    await bot.ask("!away 2w", CAROL)
    announcement = await rotate_at(bot, MONDAY)
    first = (await holders(bot))["facilitation"]
    assert first in (ALICE, BOB)
    assert "`[roles] order = random`" in announcement.body
    assert "a random draw among those available" in announcement.body
    second = await rotate_at(bot, MONDAY + timedelta(weeks=1))
    again = (await holders(bot))["facilitation"]
    assert again in (ALICE, BOB) and again != first  # Carol is away; not twice in a row
    assert "random" in second.body


def test_the_order_key_is_checked() -> None:
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="order"):
        make_config('\n[roles]\norder = "seniority"\n')
    assert make_config().for_room(ROOM).role_order == "fair"
