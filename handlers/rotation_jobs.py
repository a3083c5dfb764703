"""The scheduled side of roles: the rotation with its announcement, and the day-before reminder.

Both run on the collective's cron, in its time zone, through the exactly-once
scheduler; terms start and end at the *due* time, so a late run (after the bot
was down) keeps the same rhythm and says it is late.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

from handlers.context import Context, Mention
from handlers.roles import candidates, ensure_roles, practice, term_end, when
from handlers.rotation import assign
from handlers.settings import CollectiveSettings
from storage import audit, roles

# A term ending this close after a rotation's due time rotates at that run.
SLACK = timedelta(hours=12)


def _rng(room_id: str, due: datetime) -> random.Random:
    """Random enough for a draw, and the same draw if the run is ever recomputed."""
    seed = hashlib.sha256(f"{room_id}|{due.isoformat()}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def daily_at_rotation_time(settings: CollectiveSettings) -> str:
    minute, hour = settings.schedule["rotation"].split()[:2]
    return f"{minute} {hour} * * *"


async def _label(ctx: Context, user_id: str, ping: bool) -> Mention:
    return await ctx.mention(user_id, ping=ping)


@practice.job("rotation", "rotation")
async def rotate(ctx: Context) -> None:
    due = ctx.due_at or ctx.now()
    rng = _rng(ctx.room_id, due)
    all_roles = await ensure_roles(ctx)
    current = {r.id: await roles.current_term(ctx.session, r.id) for r in all_roles}
    continuing = {r.id for r in all_roles if (t := current[r.id]) and t.ends_at > due + SLACK}
    busy = {t.user_id for rid, t in current.items() if t is not None and rid in continuing}

    lines = ["**Role rotation** for the term starting {start}{late}"]
    values: dict[str, object] = {"start": when(ctx, due), "p": ctx.prefix, "late": ""}
    if ctx.late_by:
        values["late"] = f" (posted late: it was due {when(ctx, due)}, while the bot was offline)"
    rotating = [r for r in all_roles if r.id not in continuing]
    previous = {r.id: current[r.id] or await roles.last_term(ctx.session, r.id) for r in rotating}
    outgoing = {rid: t.user_id if t else None for rid, t in previous.items()}
    pools = [(await candidates(ctx, r, due, busy), outgoing[r.id]) for r in rotating]
    chosen = dict(zip([r.id for r in rotating], assign(pools, rng), strict=True))
    for i, role in enumerate(all_roles):
        term = current[role.id]
        values[f"r{i}"] = role.name
        values[f"s{i}"] = f" ({role.scope})" if role.scope else ""
        if role.id in continuing and term is not None:
            values[f"h{i}"] = await _label(ctx, term.user_id, ping=False)
            values[f"e{i}"] = when(ctx, term.ends_at)
            lines.append(f"- **{{r{i}}}**{{s{i}}}: {{h{i}}} continues until {{e{i}}}.")
            continue
        before = previous[role.id]
        out = outgoing[role.id]
        notes = before.handover_notes if before else None
        if term is not None:
            term.ended_at = due
        choice = chosen[role.id]
        if choice is None:
            lines.append(
                f"- **{{r{i}}}**{{s{i}}}: nobody is available (everyone is away); vacant. "
                f"`{{p}}role claim {{r{i}}}` to take it."
            )
            continue
        ends = term_end(ctx, due, role.term)
        how = "draw" if choice.draw else "rotation"
        await roles.start_term(ctx.session, role.id, choice.user_id, due, ends, how)
        values[f"in{i}"] = await _label(ctx, choice.user_id, ping=True)
        values[f"e{i}"] = when(ctx, ends)
        hand = f"**{{r{i}}}**{{s{i}}}: "
        if out and out != choice.user_id:
            values[f"out{i}"] = await _label(ctx, out, ping=True)
            hand += f"{{out{i}}} → {{in{i}}}, until {{e{i}}}."
        elif out:
            hand += f"{{in{i}}} again (nobody else is available), until {{e{i}}}."
        else:
            hand += f"{{in{i}}}, until {{e{i}}}."
        if choice.draw:
            names = [(await _label(ctx, u, ping=False)).label for u in choice.tied]
            values[f"d{i}"] = ", ".join(names)
            hand += f" Drawn at random among {{d{i}}}, who were equally due."
        if notes:
            values[f"n{i}"] = notes
            hand += f" Handover notes: {{n{i}}}"
        elif out and out != choice.user_id:
            hand += " No handover notes were left."
        lines.append("- " + hand)
        await audit.record(
            ctx.session, ctx.collective_id, "rotation", "assigned role", role.name, ctx.now()
        )
    lines.append(
        "The rule: whoever held the role least in the last {window}, then longest ago; "
        "away members are skipped. `{p}roles` shows the next in line."
    )
    values["window"] = ctx.settings.fairness_window
    await ctx.say("\n".join(lines), **values)


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
        await ctx.say(
            "{who}: your term as **{r}** ends {e}. Leave handover notes for whoever comes next: "
            "`{p}role handover {r} <notes>`.",
            who=await _label(ctx, term.user_id, ping=True),
            r=role.name,
            e=when(ctx, term.ends_at),
            p=ctx.prefix,
        )
