"""The scheduled side of roles: the rotation with its announcement, and the day-before reminder.

Both run on the collective's cron, in its time zone, through the exactly-once
scheduler; terms start and end at the *due* time, so a late run (after the bot
was down) keeps the same rhythm and says it is late.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

from handlers.context import Context, Mention, Rows
from handlers.i18n import N_, _
from handlers.known_roles import ensure_roles
from handlers.registry import Practice
from handlers.roles.fairness import assign
from handlers.roles.rotation import available, candidates, scope_words, term_end
from handlers.settings import CollectiveSettings
from storage import checkins, roles
from storage.checkins import REST_WEEK

practice = Practice(N_("Rotation"), N_("The weekly rotation of roles and the day-before reminder."))

# A term ending this close after a rotation's due time rotates at that run.
SLACK = timedelta(hours=12)


def draw_for(collective_id: int, due: datetime) -> random.Random:
    """The random order's draw for one rotation, seeded from the collective and the due
    time: a rotation run again after a crash draws the same holders, and anyone can check
    the draw afterwards."""
    seed = hashlib.sha256(f"rotation|{collective_id}|{due.isoformat()}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def daily_at_rotation_time(settings: CollectiveSettings) -> str:
    minute, hour = settings.schedule["rotation"].split()[:2]
    return f"{minute} {hour} * * *"


async def _label(ctx: Context, user_id: str | None, ping: bool) -> Mention:
    return await ctx.mention(user_id, ping=ping)


@practice.job("rotation", "rotation")
async def rotate(ctx: Context) -> None:
    due = ctx.due_at or ctx.now()
    order = ctx.settings.role_order
    rng = draw_for(ctx.collective_id, due) if order == "random" else random.SystemRandom()
    all_roles = await ensure_roles(ctx)
    found = await roles.current_terms(ctx.session, [r.id for r in all_roles])
    current = {r.id: found.get(r.id) for r in all_roles}
    continuing = {r.id for r in all_roles if (t := current[r.id]) and t.ends_at > due + SLACK}
    busy = {
        t.user_id
        for rid, t in current.items()
        if t is not None and t.user_id is not None and rid in continuing
    }

    late = ""
    if ctx.late_by:
        late = " " + _("(posted late: it was due {due}, while the bot was offline)").format(
            due=ctx.time(due)
        )
    rotating = [r for r in all_roles if r.id not in continuing]
    previous = {r.id: current[r.id] or await roles.last_term(ctx.session, r.id) for r in rotating}
    outgoing = {rid: t.user_id if t else None for rid, t in previous.items()}
    people = await available(ctx, due) if rotating else []
    pools = [(await candidates(ctx, r, due, busy, people), outgoing[r.id]) for r in rotating]
    chosen = dict(zip([r.id for r in rotating], assign(pools, rng, order), strict=True))
    rows = []
    for role in all_roles:
        term = current[role.id]
        row: dict[str, object] = {
            "role": role.name,
            "scope": f" ({scope_words(role.scope)})" if role.scope else "",
        }
        rows.append(row)
        if role.id in continuing and term is not None:
            row["how"] = _("{holder} continues until {ends}.")
            row.update(
                holder=await _label(ctx, term.user_id, ping=False), ends=ctx.time(term.ends_at)
            )
            continue
        out = outgoing[role.id]
        left = await roles.notes_for_this_term(ctx.session, role.id)
        notes = left.handover_notes if left else None
        if term is not None:
            term.ended_at = due
        choice = chosen[role.id]
        if choice is None:
            row["how"] = _(
                "nobody is available (everyone is away); vacant. `{p}role claim {role}` to take it."
            )
            row["p"] = ctx.prefix
            continue
        ends = term_end(ctx, due, role.term)
        how = "draw" if choice.draw else "rotation"
        await roles.start_term(ctx.session, role.id, choice.user_id, due, ends, how)
        row.update(new=await _label(ctx, choice.user_id, ping=True), ends=ctx.time(ends))
        if out and out != choice.user_id:
            row["old"] = await _label(ctx, out, ping=True)
            text = _("{old} → {new}, until {ends}.")
        elif out:
            text = _("{new} again (nobody else is available), until {ends}.")
        else:
            text = _("{new}, until {ends}.")
        if choice.draw:
            tied = [(await _label(ctx, u, ping=False)).label for u in choice.tied]
            row["tied"] = ", ".join(tied)
            text += " " + (
                _("Drawn at random among {tied} (`[roles] order = random`).")
                if order == "random"
                else _("Drawn at random among {tied}, who were equally due.")
            )
        if left and notes:
            row["notes"] = notes
            row["by"] = await _label(ctx, left.user_id, ping=False)
            text += " " + _("Handover notes from {by}: {notes}")
        elif out and out != choice.user_id:
            text += " " + _("No handover notes were left.")
        row["how"] = text
        among = {f"tied.{i}": user_id for i, user_id in enumerate(choice.tied)}
        await ctx.audit(
            "role.drawn" if choice.draw else "role.assigned",
            automatic=True,
            members={"holder": choice.user_id, **(among if choice.draw else {})},
            role=role.name,
        )
    # Each row's wording differs, so each row is a list of one with its own template.
    lines = Rows(
        "- {line}", [{"line": Rows("**{role}**{scope}: " + str(r.pop("how")), [r])} for r in rows]
    )
    rest = await checkins.rest_week(ctx.session, ctx.collective_id, due)
    template = _("**Role rotation** for the term starting {start}") + "{late}\n"
    if rest:
        # Never why someone is left out: that would tie it to a check-in answer.
        template += (
            _(
                "This is the week after the campaign **{campaign}** ended, until {rest_end}: a "
                "week for rest. Take it easy on each other."
            )
            + "\n"
        )
    template += "{lines}\n" + (
        _(
            "The rule, as a structural experiment: a random draw among those available; "
            "away members and newcomers in an entry sprint are skipped."
        )
        if order == "random"
        else _(
            "The rule: whoever held the role least in the last {window}, then longest ago; "
            "away members and newcomers in an entry sprint are skipped. `{p}roles` shows the "
            "next in line."
        )
    )
    await ctx.announce(
        template,
        start=ctx.time(due),
        late=late,
        lines=lines,
        window=ctx.settings.fairness_window,
        p=ctx.prefix,
        campaign=rest.campaign if rest else "",
        rest_end=ctx.time(rest.ended_at + REST_WEEK) if rest else "",
    )


@practice.job("handover-reminder", daily_at_rotation_time)
async def remind(ctx: Context) -> None:
    due = ctx.due_at or ctx.now()
    for term in await roles.open_terms(ctx.session, ctx.collective_id):
        if term.handover_notes or term.reminded_at is not None:
            continue
        if not due < term.ends_at <= due + timedelta(days=1) + SLACK:
            continue
        term.reminded_at = ctx.now()
        role = next(r for r in await ensure_roles(ctx) if r.id == term.role_id)
        await ctx.announce(
            _(
                "{who}: your term as **{r}** ends {e}. Leave handover notes for whoever comes "
                "next: `{p}role handover {r} <notes>`."
            ),
            who=await _label(ctx, term.user_id, ping=True),
            r=role.name,
            e=ctx.time(term.ends_at),
            p=ctx.prefix,
        )
