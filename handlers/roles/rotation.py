"""What rotating a role needs to know, shared by the role commands and the rotation jobs:
who could take a role and in what order, and when a term ends (the collective's roles
themselves, with the defaults, are in `handlers/known_roles.py`)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from handlers.context import Context
from handlers.i18n import _
from handlers.known_roles import DEFAULT_SCOPES
from handlers.roles.fairness import Candidate, assign, notional_last
from handlers.timeparse import duration, longer
from storage import checkins, collectives, entry, roles
from storage.models import Member, Role, RoleTerm

STEP = timedelta(seconds=1)  # past a due time, to find the one after it


def scope_words(scope: str) -> str:
    """A role's scope as members read it: a default one in the collective's language, one a
    member wrote as they wrote it."""
    return _(scope) if scope in DEFAULT_SCOPES.values() else scope


# How many rotations `term_end` looks through just before a term's nominal end (a guard:
# it looks no further back than the next rotation is ahead, one or two as a rule).
MOST_FIRES = 400


def effective_term(ctx: Context, term: str) -> str:
    """A role's term, bounded by `[roles] max_term` as it is now: a role defined before the
    host lowered it gets no longer terms than one defined after."""
    return ctx.settings.max_term if longer(term, ctx.settings.max_term) else term


def term_end(ctx: Context, start: datetime, term: str) -> datetime:
    """A term ends at the rotation nearest its nominal end (start + term, bounded by
    `max_term`), so it is about as long as it says and hand-overs, `!roles` and `!status`
    agree: a week claimed on a Monday evening ends at the next Monday's rotation, not the
    one after. An exact tie goes to the later rotation; with no rotation scheduled, the
    nominal end."""
    nominal = start + duration(effective_term(ctx, term))
    after = ctx.runtime.next_fire("rotation", nominal)
    if after is None:
        return nominal
    before = None
    # Only a rotation closer before the nominal end than `after` is after it can win.
    fire = ctx.runtime.next_fire("rotation", max(start + STEP, nominal - (after - nominal)))
    for _i in range(MOST_FIRES):
        if fire is None or fire > nominal:
            break
        before = fire
        fire = ctx.runtime.next_fire("rotation", fire + STEP)
    if before is not None and nominal - before < after - nominal:
        return before
    return after


async def resting(ctx: Context, at: datetime) -> set[str]:
    """Who rotation leaves out at `at` besides the away: newcomers in an entry sprint,
    and, in the week after a campaign ended, whoever answered red at its check-in. The
    latter are left out silently, like someone away: no announcement or list says why,
    so nobody's absence from the rotation tells their answer."""
    out = await entry.collaborators(ctx.session, ctx.collective_id)
    rest = await checkins.rest_week(ctx.session, ctx.collective_id, at)
    if rest is not None:
        out |= rest.red
    return out


async def available(ctx: Context, at: datetime) -> list[Member]:
    """Who could take a role at `at`: joined, not away, not in an entry sprint, not resting
    after a campaign (read once for all the roles of one rotation)."""
    left_out = await resting(ctx, at)
    return [
        m
        for m in await collectives.members(ctx.session, ctx.collective_id)
        if not (m.away_until is not None and m.away_until > at) and m.user_id not in left_out
    ]


async def candidates(
    ctx: Context, role: Role, at: datetime, busy: set[str], people: list[Member]
) -> list[Candidate]:
    """The `available` people as candidates for the role at `at`, with their history."""
    window_start = at - duration(ctx.settings.fairness_window)
    held = await roles.history(ctx.session, role.id, window_start)
    began = await roles.first_start(ctx.session, role.id)
    out = []
    for m in people:
        count, last = held.get(m.user_id, (0, None))
        newcomer = began is not None and m.first_seen_at > began and count == 0
        entry = None
        if newcomer:
            entry = notional_last(
                await roles.last_starts_before(ctx.session, role.id, m.first_seen_at)
            )
        out.append(
            Candidate(m.user_id, count, last, newcomer, m.first_seen_at, m.user_id in busy, entry)
        )
    return out


async def next_in_line(
    ctx: Context, all_roles: list[Role], current: dict[int, RoleTerm]
) -> dict[int, str]:
    """Who the rotation would pick for each role if it ran now: the same joint assignment
    (distinct holders where the pool allows), with ties shown as the draw they would be.
    `current`: each role's open term, as `roles.current_terms` reads them."""
    pools = []
    people = await available(ctx, ctx.now())
    for role in all_roles:
        last = current.get(role.id) or await roles.last_term(ctx.session, role.id)
        pools.append(
            (await candidates(ctx, role, ctx.now(), set(), people), last.user_id if last else None)
        )
    names = await ctx.quiet_names()

    def label(user_id: str) -> str:
        return names[user_id].label if user_id in names else user_id

    out = {}
    order = ctx.settings.role_order
    for role, choice in zip(all_roles, assign(pools, random.Random(0), order), strict=True):
        if choice is None:
            out[role.id] = _("nobody available")
        elif choice.draw:
            tied = ", ".join(label(u) for u in choice.tied)
            out[role.id] = _("a draw between {names}").format(names=tied)
        else:
            out[role.id] = label(choice.user_id)
    return out
