"""What rotating a role needs to know, shared by the role commands and the rotation jobs:
the collective's roles, who could take one and in what order, and when a term ends."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.fairness import Candidate, notional_last, ranked
from handlers.timeparse import duration
from storage import collectives, roles
from storage.models import Role

DEFAULT_SCOPES = {
    "facilitation": "runs meetings: agenda order, the speaking stack, time",
    "notes": "takes the meeting notes and posts them",
    "agenda": "collects agenda items before each meeting",
}


def term_end(ctx: Context, start: datetime, term: str) -> datetime:
    """A term ends at the first rotation at or after start + term, so hand-overs and
    announced dates agree."""
    nominal = start + duration(term)
    aligned = ctx.runtime.next_fire("rotation", nominal)
    return aligned or nominal


async def ensure_roles(ctx: Context) -> list[Role]:
    """The collective's roles; configured defaults are created when missing."""
    existing = {r.name: r for r in await roles.all_roles(ctx.session, ctx.collective_id)}
    for name in ctx.settings.roles:
        if name not in existing:
            scope = DEFAULT_SCOPES.get(name, "")
            existing[name] = await roles.add_role(
                ctx.session, ctx.collective_id, name, ctx.settings.role_term, scope, None, ctx.now()
            )
    return sorted(existing.values(), key=lambda r: r.id)


async def candidates(ctx: Context, role: Role, at: datetime, busy: set[str]) -> list[Candidate]:
    """Everyone who could take the role at `at`: joined and not away, with their history."""
    window_start = at - duration(ctx.settings.fairness_window)
    held = await roles.history(ctx.session, role.id, window_start)
    began = await roles.first_start(ctx.session, role.id)
    out = []
    for m in await collectives.members(ctx.session, ctx.collective_id):
        if m.away_until is not None and m.away_until > at:
            continue
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


async def next_in_line(ctx: Context, role: Role, holder: str | None) -> str:
    groups = ranked(await candidates(ctx, role, ctx.now(), set()), holder)
    if not groups:
        return "nobody available"
    names = await ctx.quiet_names()
    labels = [names[c.user_id].label if c.user_id in names else c.user_id for c in groups[0]]
    return labels[0] if len(labels) == 1 else "a draw between " + ", ".join(labels)
