"""The fairness rule for rotating a role, as a pure function so it can be tested as properties.

Among eligible members (joined, not away; not holding another role this term
where avoidable; not the outgoing holder where anyone else can) pick whoever
held this role the fewest times in the window, then least recently; a
remaining tie is drawn at random and the announcement says so. A newcomer
counts as having held it as often as the least-served established member, last
on the day they joined: they start neither first nor last.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    user_id: str
    count: int = 0  # terms of this role started within the fairness window
    last_held: datetime | None = None  # start of their latest term of this role
    newcomer: bool = False  # joined after this role's rotation began, never held it
    joined_at: datetime = NEVER
    busy: bool = False  # already holds another role for the coming term


@dataclass(frozen=True)
class Choice:
    user_id: str
    draw: bool  # a random draw broke a tie
    tied: tuple[str, ...] = ()


def _key(c: Candidate, floor: int) -> tuple[int, datetime]:
    if c.newcomer and c.count == 0:
        return (floor, c.joined_at)
    return (c.count, c.last_held or NEVER)


def ranked(candidates: Sequence[Candidate], outgoing: str | None) -> list[list[Candidate]]:
    """Candidates in the order the rule prefers them, grouped by equal standing."""
    pool = [c for c in candidates if c.user_id != outgoing] or list(candidates)
    free = [c for c in pool if not c.busy]
    pool = free or pool
    established = [c.count for c in pool if not (c.newcomer and c.count == 0)]
    floor = min(established) if established else 0
    groups: dict[tuple[int, datetime], list[Candidate]] = {}
    for c in pool:
        groups.setdefault(_key(c, floor), []).append(c)
    return [sorted(groups[k], key=lambda c: c.user_id) for k in sorted(groups)]


def choose(
    candidates: Sequence[Candidate], outgoing: str | None, rng: random.Random
) -> Choice | None:
    groups = ranked(candidates, outgoing)
    if not groups:
        return None
    best = groups[0]
    if len(best) == 1:
        return Choice(best[0].user_id, draw=False)
    picked = rng.choice(best)
    return Choice(picked.user_id, draw=True, tied=tuple(c.user_id for c in best))
