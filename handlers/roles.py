"""Bounded roles and their commands: define, claim, release, hand over, swap; away and back.

Rotation itself (the weekly job and the day-before reminder) lives in
`handlers/rotation_jobs.py`; the fairness rule in `handlers/rotation.py`.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from handlers.context import Context, Mention
from handlers.members import resolve_member
from handlers.registry import MAX_NAME, Name, Practice, Text, UsageError, normalise
from handlers.rotation import Candidate, notional_last, ranked
from handlers.timeparse import duration
from storage import audit, collectives, roles
from storage.models import Role

practice = Practice("Roles", "Bounded roles with terms, rotated fairly and announced weekly.")

DEFAULT_SCOPES = {
    "facilitation": "runs meetings: agenda order, the speaking stack, time",
    "notes": "takes the meeting notes and posts them",
    "agenda": "collects agenda items before each meeting",
}
MAX_SCOPE = 500
MAX_NOTES = 2000
_AWAY = re.compile(r"^\d+[dwmy]$")
_TERM = re.compile(r"^[1-9]\d{0,2}[dwm]$")


def term_end(ctx: Context, start: datetime, term: str) -> datetime:
    """A term ends at the first rotation at or after start + term, so hand-overs and
    announced dates agree."""
    nominal = start + duration(term)
    aligned = ctx.runtime.next_fire("rotation", nominal)
    return aligned or nominal


def when(ctx: Context, at: datetime) -> str:
    return ctx.local(at).strftime("%a %d %b %Y %H:%M")


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


def _check_notes(notes: str) -> None:
    if len(notes) > MAX_NOTES:
        raise UsageError(f"Handover notes are too long (at most {MAX_NOTES} characters).")


async def pick_role(ctx: Context, text: str) -> tuple[Role, str]:
    """The role whose name starts the text (longest match), and the rest of the text."""
    words = text.split()
    known = {r.name: r for r in await ensure_roles(ctx)}
    for n in range(len(words), 0, -1):
        name = normalise(" ".join(words[:n]))
        if name in known:
            return known[name], " ".join(words[n:])
    wanted = normalise(text)[:MAX_NAME] or "(none)"
    names = ", ".join(sorted(known)) or "none yet"
    raise UsageError(f"There is no role `{wanted}`. Roles: {names}.")


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


@practice.command(
    "roles",
    summary="Every role: scope, holder, term end, and who is next in line.",
    examples=("!roles",),
)
async def list_roles(ctx: Context) -> None:
    names = await ctx.quiet_names()
    lines = ["**Roles**"]
    values: dict[str, object] = {"p": ctx.prefix}
    for i, role in enumerate(await ensure_roles(ctx)):
        term = await roles.current_term(ctx.session, role.id)
        values[f"r{i}"], values[f"t{i}"] = role.name, role.term
        values[f"s{i}"] = f": {role.scope}" if role.scope else ""
        values[f"n{i}"] = await next_in_line(ctx, role, term.user_id if term else None)
        if term is not None:
            values[f"h{i}"] = names.get(term.user_id) or Mention(term.user_id, ping=False)
            values[f"e{i}"] = when(ctx, term.ends_at)
            lines.append(
                f"- **{{r{i}}}** ({{t{i}}}){{s{i}}}. "
                f"Held by {{h{i}}} until {{e{i}}}; next: {{n{i}}}."
            )
        else:
            lines.append(f"- **{{r{i}}}** ({{t{i}}}){{s{i}}}. Vacant; next: {{n{i}}}.")
    lines.append("Rotation is automatic at the end of each term. `{p}help role` for the commands.")
    await ctx.reply("\n".join(lines), **values)


@practice.command(
    "role define",
    Text("definition", label="<role> <term e.g. 1w|2w|1m> <scope>"),
    summary="Create a role (or change its term and scope).",
    examples=("!role define treasury 1m keeps the budget ledger and pays bills",),
)
async def define(ctx: Context, definition: str) -> None:
    words = definition.split()
    at = next((i for i, w in enumerate(words) if _TERM.match(w.casefold())), None)
    if at is None or at == 0:
        raise UsageError("Give the role's name, then its term (like 1w, 2w or 1m), then its scope.")
    name, term, scope = (
        normalise(" ".join(words[:at])),
        words[at].casefold(),
        " ".join(words[at + 1 :]),
    )
    if len(name) > MAX_NAME:
        raise UsageError(f"The role name is too long (at most {MAX_NAME} characters).")
    if len(scope) > MAX_SCOPE:
        raise UsageError(f"The scope is too long (at most {MAX_SCOPE} characters).")
    duration(term)
    found = await roles.role(ctx.session, ctx.collective_id, name)
    if found is None:
        await roles.add_role(ctx.session, ctx.collective_id, name, term, scope, ctx.me, ctx.now())
        verb = "Defined"
    else:
        found.term, found.scope = term, scope or found.scope
        verb = "Redefined"
    await audit.record(
        ctx.session, ctx.collective_id, ctx.me, "defined role", f"{name} ({term})", ctx.now()
    )
    await ctx.reply(
        verb + " role **{name}**, term {term}, for {who}: {scope}",
        name=name,
        term=term,
        who=await ctx.mention(ctx.me, ping=False),
        scope=scope or "(no scope given)",
    )


@practice.command(
    "role claim",
    Name("role"),
    summary="Take a vacant role now, for one term.",
    examples=("!role claim notes",),
)
async def claim(ctx: Context, role: str) -> None:
    found, _ = await pick_role(ctx, role)
    term = await roles.current_term(ctx.session, found.id)
    who = await ctx.mention(ctx.me, ping=False)
    if term is not None:
        if term.user_id == ctx.me:
            await ctx.reply(
                "{who} already holds **{r}** until {e}.",
                who=who,
                r=found.name,
                e=when(ctx, term.ends_at),
            )
            return
        await ctx.reply(
            "**{r}** is held by {h} until {e}. To take it over: `{p}role swap {r} <member>`.",
            r=found.name,
            h=await ctx.mention(term.user_id, ping=False),
            e=when(ctx, term.ends_at),
            p=ctx.prefix,
        )
        return
    now = ctx.now()
    new = await roles.start_term(
        ctx.session, found.id, ctx.me, now, term_end(ctx, now, found.term), "claim"
    )
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "claimed role", found.name, now)
    await ctx.reply(
        "{who} holds **{r}** until {e}.", who=who, r=found.name, e=when(ctx, new.ends_at)
    )


@practice.command(
    "role release",
    Text("role_and_notes", label="<role> [handover notes]"),
    summary="Give a role up before its term ends, optionally with handover notes.",
    examples=("!role release notes", "!role release facilitation agenda is in the pad"),
)
async def release(ctx: Context, role_and_notes: str) -> None:
    found, notes = await pick_role(ctx, role_and_notes)
    term = await roles.current_term(ctx.session, found.id)
    if term is None or term.user_id != ctx.me:
        await ctx.reply("You do not hold **{r}**, so there is nothing to release.", r=found.name)
        return
    _check_notes(notes)
    term.ended_at = ctx.now()
    if notes:
        term.handover_notes = notes
    await audit.record(
        ctx.session, ctx.collective_id, ctx.me, "released role", found.name, ctx.now()
    )
    await ctx.reply(
        "{who} released **{r}**. It is vacant until the next rotation, or until someone "
        "`{p}role claim {r}`.{n}",
        who=await ctx.mention(ctx.me, ping=False),
        r=found.name,
        p=ctx.prefix,
        n=" Handover notes saved." if notes else "",
    )


@practice.command(
    "role handover",
    Text("role_and_notes", label="<role> <notes>"),
    summary="Leave handover notes for whoever holds the role next.",
    examples=("!role handover notes the pad link is pinned; send minutes by Tuesday",),
)
async def handover(ctx: Context, role_and_notes: str) -> None:
    found, notes = await pick_role(ctx, role_and_notes)
    if not notes:
        raise UsageError("Write the notes after the role's name.")
    _check_notes(notes)
    term = await roles.current_term(ctx.session, found.id)
    if term is None or term.user_id != ctx.me:
        await ctx.reply("Only the holder of **{r}** leaves its handover notes.", r=found.name)
        return
    term.handover_notes = notes
    await audit.record(
        ctx.session, ctx.collective_id, ctx.me, "wrote handover", found.name, ctx.now()
    )
    await ctx.reply(
        "Handover notes for **{r}** saved, from {who}; they go out with the next rotation.",
        r=found.name,
        who=await ctx.mention(ctx.me, ping=False),
    )


@practice.command(
    "role swap",
    Text("role_and_member", label="<role> @member"),
    summary="Hand your role to a member, or ask its holder for it; it happens when they `!accept`.",
    examples=("!role swap facilitation @bob:example.org", "!role swap notes Carol"),
)
async def swap(ctx: Context, role_and_member: str) -> None:
    found, rest = await pick_role(ctx, role_and_member)
    if not rest:
        raise UsageError("Name the member after the role.")
    other = await resolve_member(ctx, rest)
    if other.user_id == ctx.me:
        raise UsageError("Name another member, not yourself.")
    term = await roles.current_term(ctx.session, found.id)
    holder = term.user_id if term else None
    if holder == ctx.me:
        giver, taker, wording = ctx.me, other.user_id, "to hand **{r}** over to you"
    elif holder == other.user_id:
        giver, taker, wording = other.user_id, ctx.me, "to take **{r}** over from you"
    else:
        await ctx.reply("Neither you nor {o} holds **{r}**.", o=other, r=found.name)
        return
    for pending in await roles.pending_swaps(ctx.session, found.id):
        if pending.asked_by == ctx.me:
            pending.resolved_at = ctx.now()  # a newer request replaces yours
    await roles.add_swap(ctx.session, found.id, giver, taker, ctx.me, ctx.now())
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "asked swap", found.name, ctx.now())
    await ctx.reply(
        "{o}: {who} asks " + wording + ". Answer `{p}accept` to agree.",
        o=Mention(other.user_id, other.name),
        who=await ctx.mention(ctx.me, ping=False),
        r=found.name,
        p=ctx.prefix,
    )


@practice.command(
    "accept",
    Name("role", optional=True),
    summary="Agree to a role swap someone asked you for.",
    examples=("!accept", "!accept facilitation"),
)
async def accept(ctx: Context, role: str | None) -> None:
    waiting = await roles.swaps_awaiting(ctx.session, ctx.collective_id, ctx.me)
    by_id = {r.id: r for r in await ensure_roles(ctx)}
    if role is not None:
        waiting = [s for s in waiting if by_id[s.role_id].name == role]
    if not waiting:
        await ctx.reply(
            "Nothing is waiting for {who} to accept.", who=await ctx.mention(ctx.me, ping=False)
        )
        return
    request = waiting[0]
    target = by_id[request.role_id]
    now = ctx.now()
    request.resolved_at = now
    term = await roles.current_term(ctx.session, target.id)
    if term is None or term.user_id != request.from_user:
        await ctx.reply(
            "That swap of **{r}** has lapsed: the role changed hands meanwhile.", r=target.name
        )
        return
    term.ended_at = now
    await roles.start_term(ctx.session, target.id, request.to_user, now, term.ends_at, "swap")
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "accepted swap", target.name, now)
    await ctx.reply(
        "Swap done: {taker} holds **{r}** until {e}, instead of {giver}.",
        taker=await ctx.mention(request.to_user),
        giver=await ctx.mention(request.from_user, ping=False),
        r=target.name,
        e=when(ctx, term.ends_at),
    )


def _until(ctx: Context, text: str) -> datetime:
    text = text.strip()
    now = ctx.now()
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        if not _AWAY.match(text.casefold()):
            raise UsageError(
                f"`{text[:20]}` is neither a date (2026-12-24) nor a duration (3d, 2w, 1m)."
            ) from None
        try:
            return now + duration(text)
        except (ValueError, OverflowError, UsageError):
            raise UsageError("At most a year ahead.") from None
    # Away *until* a date means through that day, in the collective's zone.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ctx.settings.timezone)


@practice.command(
    "away",
    Text("until", label="<until: date or duration>", max_length=20),
    summary="Be skipped by rotation until a date or for a while.",
    examples=("!away 2w", "!away 2026-12-24"),
)
async def away(ctx: Context, until: str) -> None:
    back = _until(ctx, until)
    if back <= ctx.now():
        raise UsageError("That date has passed; give a future date or a duration.")
    if back > ctx.now() + timedelta(days=366):
        raise UsageError("At most a year ahead.")
    member = await roles.member(ctx.session, ctx.collective_id, ctx.me)
    if member is None:
        raise UsageError("Only members of this room can be away from it.")
    member.away_until = back
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "away", when(ctx, back), ctx.now())
    held = [
        t for t in await roles.open_terms(ctx.session, ctx.collective_id) if t.user_id == ctx.me
    ]
    extra = (
        " You still hold a role: `{p}role release` or `{p}role swap` it if you cannot do it."
        if held
        else ""
    )
    await ctx.reply(
        "{who} is away until {b}; rotation will skip you. `{p}back` when you are back." + extra,
        who=await ctx.mention(ctx.me, ping=False),
        b=when(ctx, back),
        p=ctx.prefix,
    )


@practice.command(
    "back", summary="End your absence early; rotation counts you in again.", examples=("!back",)
)
async def back(ctx: Context) -> None:
    member = await roles.member(ctx.session, ctx.collective_id, ctx.me)
    who = await ctx.mention(ctx.me, ping=False)
    if member is None or member.away_until is None or member.away_until <= ctx.now():
        await ctx.reply("{who} was not marked away; nothing changed.", who=who)
        return
    member.away_until = None
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "back", "", ctx.now())
    await ctx.reply("Welcome back, {who}: rotation counts you in again.", who=who)
