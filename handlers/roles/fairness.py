"""The fairness rule for rotating a role, as a pure function so it can be tested as properties.

Among eligible members (joined, not away; not holding another role this term
where avoidable; not the outgoing holder where anyone else can) pick whoever
held this role the fewest times in the window, then least recently; a
remaining tie is drawn at random and the announcement says so. A newcomer
counts as having held it as often as the least-served established member, last
on the day they joined: they start neither first nor last.

With `[roles] order = "random"` (a structural experiment) the history is not looked at:
each holder is drawn among all eligible members, under the same limits (away members and
the outgoing holder left out where anyone else can take it, distinct holders first).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    user_id: str
    count: int = 0  # terms of this role started within the fairness window
    last_held: datetime | None = None  # start of their latest term of this role
    newcomer: bool = False  # joined after this role's rotation began, never held it
    joined_at: datetime = NEVER
    busy: bool = False  # already holds another role for the coming term
    # For a newcomer: where they enter the order, fixed when they joined (see `_keys`).
    notional_last: datetime | None = None


@dataclass(frozen=True)
class Choice:
    user_id: str
    draw: bool  # a random draw broke a tie
    tied: tuple[str, ...] = ()


def _keys(pool: Sequence[Candidate]) -> dict[str, tuple[int, datetime]]:
    """Sort keys: (terms held, last held). A newcomer counts as the least-served, last
    holding it at `notional_last` (the middle of the order when they joined), so they
    wait about half a round: neither first nor last."""
    established = [c for c in pool if not (c.newcomer and c.count == 0)]
    keys = {c.user_id: (c.count, c.last_held or NEVER) for c in established}
    floor = min((c.count for c in established), default=0)
    for c in pool:
        if c.user_id not in keys:
            keys[c.user_id] = (floor, c.notional_last or c.joined_at)
    return keys


def notional_last(lasts_before_join: Sequence[datetime]) -> datetime | None:
    """The middle of when the established members last held the role, as of a join."""
    if not lasts_before_join:
        return None
    ordered = sorted(lasts_before_join)
    return ordered[(len(ordered) - 1) // 2] + timedelta(microseconds=1)


def ranked(
    candidates: Sequence[Candidate], outgoing: str | None, order: str = "fair"
) -> list[list[Candidate]]:
    """Candidates in the order the rule prefers them, grouped by equal standing (in a
    random order, all of them stand equal)."""
    pool = [c for c in candidates if not c.busy] or list(candidates)
    pool = [c for c in pool if c.user_id != outgoing] or pool
    if order == "random":
        return [sorted(pool, key=lambda c: c.user_id)] if pool else []
    keys = _keys(pool)
    groups: dict[tuple[int, datetime], list[Candidate]] = {}
    for c in pool:
        groups.setdefault(keys[c.user_id], []).append(c)
    return [sorted(groups[k], key=lambda c: c.user_id) for k in sorted(groups)]


def choose(
    candidates: Sequence[Candidate], outgoing: str | None, rng: random.Random, order: str = "fair"
) -> Choice | None:
    groups = ranked(candidates, outgoing, order)
    if not groups:
        return None
    best = groups[0]
    if len(best) == 1:
        return Choice(best[0].user_id, draw=False)
    picked = rng.choice(best)
    return Choice(picked.user_id, draw=True, tied=tuple(c.user_id for c in best))


def _matchable(pools: Sequence[set[str]], taken: set[str]) -> bool:
    """Can every remaining role get its own member, none of them already taken?"""
    owner: dict[str, int] = {}

    def place(i: int, seen: set[str]) -> bool:
        for user in pools[i] - taken:
            if user in seen:
                continue
            seen.add(user)
            if user not in owner or place(owner[user], seen):
                owner[user] = i
                return True
        return False

    return all(place(i, set()) for i in range(len(pools)))


def assign(
    roles: Sequence[tuple[Sequence[Candidate], str | None]],
    rng: random.Random,
    order: str = "fair",
) -> list[Choice | None]:
    """Rotate several roles at once: (candidates, outgoing holder) per role, in order.

    Distinct holders come first, then no one holding the same role twice in a
    row, then the fairness order; the roles are filled one by one, but a
    member is taken for a role only if the roles still to fill can each get
    someone else. Where that cannot be had, a member doubles up, as little as
    possible. `order`: "fair" (the rule above) or "random" (a draw among the eligible).
    """
    for strict in (True, False):
        allowed = []
        for candidates, outgoing in roles:
            users = {c.user_id for c in candidates if not c.busy}
            if strict and outgoing in users and len(users) > 1:
                users.discard(outgoing)
            allowed.append(users)
        if not all(allowed) or not _matchable(allowed, set()):
            continue
        taken: set[str] = set()
        out: list[Choice | None] = []
        for i, (candidates, outgoing) in enumerate(roles):
            pool = [c for c in candidates if c.user_id in allowed[i] and c.user_id not in taken]
            ok = [c for c in pool if _matchable(allowed[i + 1 :], taken | {c.user_id})]
            choice = choose(ok, outgoing, rng, order)
            assert choice is not None  # the matching guarantees someone
            taken.add(choice.user_id)
            out.append(choice)
        return out
    # Fewer members than roles: fill one by one, busy members only where unavoidable.
    out, taken = [], set()
    for candidates, outgoing in roles:
        pool = [
            Candidate(**{**c.__dict__, "busy": c.busy or c.user_id in taken}) for c in candidates
        ]
        choice = choose(pool, outgoing, rng, order)
        if choice is not None:
            taken.add(choice.user_id)
        out.append(choice)
    return out
