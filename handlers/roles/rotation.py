"""What rotating a role needs to know, shared by the role commands and the rotation jobs:
who could take a role and in what order, and when a term ends (the collective's roles
themselves, with the defaults, are in `handlers/known_roles.py`)."""

from __future__ import annotations

import random
from datetime import datetime

from handlers.context import Context
from handlers.i18n import _
from handlers.known_roles import DEFAULT_SCOPES
from handlers.roles.fairness import Candidate, assign, notional_last
from handlers.timeparse import duration
from storage import checkins, collectives, entry, roles
from storage.models import Member, Role, RoleTerm


def scope_words(scope: str) -> str:
    """A role's scope as members read it: a default one in the collective's language, one a
    member wrote as they wrote it."""
    return _(scope) if scope in DEFAULT_SCOPES.values() else scope


def term_end(ctx: Context, start: datetime, term: str) -> datetime:
    """A term ends at the first rotation at or after start + term, so hand-overs and
    announced dates agree."""
    nominal = start + duration(term)
    aligned = ctx.runtime.next_fire("rotation", nominal)
    return aligned or nominal


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
