"""The fairness rule as properties over random member pools, histories and absences."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.roles.fairness import Candidate, choose, notional_last, ranked

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def simulate(
    n_members: int,
    weeks: int,
    away_plan: list[set[int]],
    seed: int,
    newcomer_week: int | None = None,
) -> list[tuple[str, set[str]]]:
    """Rotate one weekly role; returns (holder, eligible pool) per week."""
    rng = random.Random(seed)
    members = [f"@m{i}:x" for i in range(n_members)]
    joined = {m: T0 - timedelta(days=365) for m in members}
    history: dict[str, list[datetime]] = {m: [] for m in members}
    out: list[tuple[str, set[str]]] = []
    holder: str | None = None
    for week in range(weeks):
        now = T0 + timedelta(weeks=week)
        if newcomer_week is not None and week == newcomer_week:
            members.append("@new:x")
            joined["@new:x"] = now - timedelta(days=1)
            history["@new:x"] = []
        away = {members[i] for i in away_plan[week % len(away_plan)] if i < len(members)}
        began = min((t for ts in history.values() for t in ts), default=None)
        pool = []
        for m in members:
            if m in away:
                continue
            newcomer = began is not None and joined[m] > began and not history[m]
            before = [
                max(t for t in ts if t < joined[m])
                for ts in history.values()
                if any(t < joined[m] for t in ts)
            ]
            pool.append(
                Candidate(
                    m,
                    count=len(history[m]),
                    last_held=max(history[m]) if history[m] else None,
                    newcomer=newcomer,
                    joined_at=joined[m],
                    notional_last=notional_last(before) if newcomer else None,
                )
            )
        choice = choose(pool, holder, rng)
        if choice is None:
            holder = None
            out.append(("", {c.user_id for c in pool}))
            continue
        history[choice.user_id].append(now)
        holder = choice.user_id
        out.append((holder, {c.user_id for c in pool}))
    return out


@given(st.integers(2, 10), st.integers(0, 10_000))
def test_everyone_serves_once_before_anyone_serves_twice(n: int, seed: int) -> None:
    weeks = n * 3
    result = simulate(n, weeks, [set()], seed)
    held: dict[str, int] = {}
    for holder, pool in result:
        assert holder in pool
        held[holder] = held.get(holder, 0) + 1
        # Nobody is two terms ahead of anyone in the pool.
        assert max(held.values()) - min(held.get(m, 0) for m in pool) <= 1


@settings(max_examples=200)
@given(
    st.integers(2, 9),
    st.lists(st.sets(st.integers(0, 8), max_size=5), min_size=1, max_size=6),
    st.integers(0, 10_000),
)
def test_away_members_are_never_chosen_and_no_one_twice_in_a_row(
    n: int, away_plan: list[set[int]], seed: int
) -> None:
    result = simulate(n, 20, away_plan, seed)
    previous = None
    for holder, pool in result:
        if not pool:
            assert holder == ""
            previous = None
            continue
        assert holder in pool  # pool excludes the away
        if previous is not None and previous in pool and len(pool) > 1:
            assert holder != previous
        previous = holder


@given(st.integers(3, 8), st.integers(0, 10_000))
def test_newcomers_start_neither_first_nor_last(n: int, seed: int) -> None:
    joins_at = n + 1  # everyone has served once, some twice, when the newcomer arrives
    result = simulate(n, joins_at + n + 2, [set()], seed, newcomer_week=joins_at)
    after = [holder for holder, _ in result[joins_at:]]
    first_turn = after.index("@new:x")
    assert 0 < first_turn < n  # neither first nor last of the round


def test_busy_members_are_avoided_where_possible() -> None:
    pool = [Candidate("@a:x", busy=True), Candidate("@b:x", count=3, last_held=T0)]
    choice = choose(pool, None, random.Random(1))
    assert choice is not None and choice.user_id == "@b:x"
    only_busy = [Candidate("@a:x", busy=True)]
    assert choose(only_busy, None, random.Random(1)) == choose(only_busy, None, random.Random(2))


def test_ties_are_draws_and_said_so() -> None:
    pool = [Candidate("@a:x"), Candidate("@b:x"), Candidate("@c:x", count=1, last_held=T0)]
    choice = choose(pool, None, random.Random(7))
    assert choice is not None and choice.draw and set(choice.tied) == {"@a:x", "@b:x"}
    assert [len(g) for g in ranked(pool, None)] == [2, 1]


def test_least_recently_breaks_equal_counts() -> None:
    pool = [
        Candidate("@a:x", count=1, last_held=T0),
        Candidate("@b:x", count=1, last_held=T0 - timedelta(weeks=2)),
    ]
    choice = choose(pool, None, random.Random(0))
    assert choice is not None and choice.user_id == "@b:x" and not choice.draw


def test_nobody_available() -> None:
    assert choose([], "@a:x", random.Random(0)) is None


@given(
    st.integers(1, 4),
    st.integers(0, 4),
    st.sets(st.integers(0, 7)),
    st.lists(st.integers(0, 7), max_size=4),
    st.integers(0, 10_000),
)
def test_joint_assignment_gives_distinct_holders_when_the_pool_allows(
    n_roles: int, extra: int, busy: set[int], outgoing: list[int], seed: int
) -> None:
    from handlers.roles.fairness import assign

    people = [f"@p{i}:x" for i in range(n_roles + extra)]
    pool = [Candidate(p, busy=i in busy) for i, p in enumerate(people)]
    roles = [
        (pool, people[outgoing[r]] if r < len(outgoing) and outgoing[r] < len(people) else None)
        for r in range(n_roles)
    ]
    chosen = assign(roles, random.Random(seed))
    holders = [c.user_id for c in chosen if c is not None]
    assert len(holders) == n_roles
    free = [p for i, p in enumerate(people) if i not in busy]
    if len(free) >= n_roles:
        assert len(set(holders)) == n_roles  # nobody doubles up while someone free is idle
        assert not set(holders) & {p for i, p in enumerate(people) if i in busy}
