"""Bounded roles and their commands: define, claim, release, hand over, swap; away and back.

Rotation itself (the weekly job and the day-before reminder) lives in
`handlers/roles/jobs.py`; who could take a role, in `handlers/roles/rotation.py`; the
fairness rule, in `handlers/roles/fairness.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.arguments import Duration, Member, Name, Role, Text, Until
from handlers.context import Context, Mention, Rows
from handlers.errors import UsageError
from handlers.i18n import N_, _
from handlers.known_roles import ensure_roles
from handlers.registry import Practice
from handlers.roles.rotation import effective_term, next_in_line, scope_words, term_end
from handlers.seconds import ask_second
from handlers.timeparse import Interval, longer
from storage import roles
from storage.models import Role as RoleRecord

practice = Practice(
    N_("Roles"), N_("Bounded roles with terms, rotated fairly and announced weekly.")
)

MAX_SCOPE = 500
MAX_NOTES = 2000


@practice.command(
    "roles",
    summary=N_("Every role: scope, holder, term end, and who is next in line."),
    examples=("!roles",),
)
async def list_roles(ctx: Context) -> None:
    rows = []
    all_roles = await ensure_roles(ctx)
    current = await roles.current_terms(ctx.session, [r.id for r in all_roles])
    upcoming = await next_in_line(ctx, all_roles, current)
    for role in all_roles:
        term = current.get(role.id)
        state = _("Vacant")
        if term is not None:
            state = _("Held by {who} until {ends}").format(
                who=(await ctx.mention(term.user_id, ping=False)).label, ends=ctx.time(term.ends_at)
            )
        rows.append(
            {
                "role": role.name,
                "term": role.term
                if effective_term(ctx, role.term) == role.term
                else _("{term}, at most {most} by `[roles] max_term`").format(
                    term=role.term, most=effective_term(ctx, role.term)
                ),
                "scope": f": {scope_words(role.scope)}" if role.scope else "",
                "state": state,
                "next": upcoming[role.id],
            }
        )
    await ctx.reply(
        _("**Roles**")
        + "\n{rows}\n"
        + _("Rotation is automatic at the end of each term. `{p}help role` for the commands."),
        rows=Rows(_("- **{role}** ({term}){scope}. {state}; next: {next}."), rows),
        p=ctx.prefix,
    )


@practice.command(
    "role define",
    Name("role"),
    Duration("term", label="<term e.g. 1w|2w|1m>"),
    Text("scope", optional=True, max_length=MAX_SCOPE),
    summary=N_("Create a role (or change its term and scope)."),
    examples=("!role define treasury 1m keeps the budget ledger and pays bills",),
)
async def define(ctx: Context, role: str, term: Interval, scope: str | None) -> None:
    if longer(term.text, ctx.settings.max_term):
        raise UsageError(
            _(
                "A term of {term} is longer than this collective's longest, {longest} "
                "(`[roles] max_term`)."
            ).format(term=term, longest=ctx.settings.max_term)
        )
    found = await roles.role(ctx.session, ctx.collective_id, role)
    if found is not None:  # changing a shared role's bounds takes two members
        if scope:
            what = _("redefine role {role} as {term}: {scope}").format(
                role=role, term=term, scope=scope
            )
        else:
            what = _("redefine role {role} as {term}").format(role=role, term=term)
        await ask_second(
            ctx, "redefine role", {"role": role, "term": term.text, "scope": scope}, what
        )
        return
    await roles.add_role(
        ctx.session, ctx.collective_id, role, term.text, scope or "", ctx.author, ctx.now()
    )
    await ctx.audit("role.defined", role=role, term=term.text)
    await ctx.reply(
        _("Defined role **{name}**, term {term}, for {who}: {scope}"),
        name=role,
        term=term.text,
        who=await ctx.mention(ctx.author, ping=False),
        scope=scope or _("(no scope given)"),
    )


@practice.overwrite("redefine role")
async def redefine(ctx: Context, change: dict[str, Any]) -> str:
    found = await roles.role(ctx.session, ctx.collective_id, change["role"])
    if found is None:
        raise UsageError(_("The role `{role}` no longer exists.").format(role=change["role"]))
    found.term, found.scope = change["term"], change["scope"] or found.scope
    await ctx.audit("role.redefined", role=found.name, term=found.term)
    return _("role {role} now has a term of {term}: {scope}").format(
        role=found.name,
        term=found.term,
        scope=scope_words(found.scope) if found.scope else _("(no scope)"),
    )


@practice.command(
    "role claim",
    Role("role"),
    summary=N_("Take a vacant role now, for one term."),
    examples=("!role claim notes",),
)
async def claim(ctx: Context, role: RoleRecord) -> None:
    term = await roles.current_term(ctx.session, role.id)
    who = await ctx.mention(ctx.author, ping=False)
    if term is not None:
        if term.user_id == ctx.author:
            await ctx.reply(
                _("{who} already holds **{r}** until {e}."),
                who=who,
                r=role.name,
                e=ctx.time(term.ends_at),
            )
            return
        await ctx.reply(
            _("**{r}** is held by {h} until {e}. To take it over: `{p}role swap {r} <member>`."),
            r=role.name,
            h=await ctx.mention(term.user_id, ping=False),
            e=ctx.time(term.ends_at),
            p=ctx.prefix,
        )
        return
    now = ctx.now()
    new = await roles.start_term(
        ctx.session, role.id, ctx.author, now, term_end(ctx, now, role.term), "claim"
    )
    await ctx.audit("role.claimed", role=role.name)
    await ctx.reply(
        _("{who} holds **{r}** until {e}.") + "{notes}",
        who=who,
        r=role.name,
        e=ctx.time(new.ends_at),
        notes=await _notes(ctx, role.id, ctx.author, new.id),
    )


async def _notes(ctx: Context, role_id: int, taker: str, new_term: int) -> Rows | str:
    """The handover notes left in the role's latest term (before `new_term`, the taker's),
    for whoever takes the role, however; older notes were for an earlier term."""
    left = await roles.notes_for_this_term(ctx.session, role_id, exclude_id=new_term)
    if left is None or left.user_id == taker:
        return ""
    return Rows(
        " " + _("Handover notes from {by}: {notes}"),
        [{"by": await ctx.mention(left.user_id, ping=False), "notes": left.handover_notes}],
    )


@practice.command(
    "role release",
    Role("role"),
    Text("notes", optional=True, max_length=MAX_NOTES, label="[handover notes]"),
    summary=N_("Give a role up before its term ends, optionally with handover notes."),
    examples=("!role release notes", "!role release facilitation agenda is in the pad"),
)
async def release(ctx: Context, role: RoleRecord, notes: str | None) -> None:
    term = await roles.current_term(ctx.session, role.id)
    if term is None or term.user_id != ctx.author:
        await ctx.reply(_("You do not hold **{r}**, so there is nothing to release."), r=role.name)
        return
    term.ended_at = ctx.now()
    if notes:
        term.handover_notes = notes
    await ctx.audit("role.released", role=role.name)
    await ctx.reply(
        _(
            "{who} released **{r}**. It is vacant until the next rotation, or until someone "
            "`{p}role claim {r}`."
        )
        + (" " + _("Handover notes saved.") if notes else ""),
        who=await ctx.mention(ctx.author, ping=False),
        r=role.name,
        p=ctx.prefix,
    )


@practice.command(
    "role handover",
    Role("role"),
    Text("notes", max_length=MAX_NOTES),
    summary=N_("Leave handover notes for whoever holds the role next."),
    examples=("!role handover notes the pad link is pinned; send minutes by Tuesday",),
)
async def handover(ctx: Context, role: RoleRecord, notes: str) -> None:
    term = await roles.current_term(ctx.session, role.id)
    if term is None or term.user_id != ctx.author:
        await ctx.reply(_("Only the holder of **{r}** leaves its handover notes."), r=role.name)
        return
    term.handover_notes = notes
    await ctx.audit("role.handover", role=role.name)
    await ctx.reply(
        _("Handover notes for **{r}** saved, from {who}; they go out with the next rotation."),
        r=role.name,
        who=await ctx.mention(ctx.author, ping=False),
    )


@practice.command(
    "role swap",
    Role("role"),
    Member("member"),
    summary=N_(
        "Hand your role to a member, or ask its holder for it; it happens when they `!accept`."
    ),
    examples=("!role swap facilitation @bob:example.org", "!role swap notes Carol"),
)
async def swap(ctx: Context, role: RoleRecord, member: Mention) -> None:
    if member.user_id == ctx.author:
        raise UsageError(_("Name another member, not yourself."))
    term = await roles.current_term(ctx.session, role.id)
    holder = term.user_id if term else None
    if holder == ctx.author:
        giver, taker = ctx.author, member.user_id
        template = _("{o}: {who} asks to hand **{r}** over to you. Answer `{p}accept` to agree.")
    elif holder == member.user_id:
        giver, taker = member.user_id, ctx.author
        template = _("{o}: {who} asks to take **{r}** over from you. Answer `{p}accept` to agree.")
    else:
        await ctx.reply(_("Neither you nor {o} holds **{r}**."), o=member, r=role.name)
        return
    for pending in await roles.pending_swaps(ctx.session, role.id):
        if pending.asked_by == ctx.author:
            pending.resolved_at = ctx.now()  # a newer request replaces yours
    await roles.add_swap(ctx.session, role.id, giver, taker, ctx.author, ctx.now())
    await ctx.audit("role.swap_asked", role=role.name)
    await ctx.call(
        template,
        o=Mention(member.user_id, member.name),
        who=await ctx.mention(ctx.author, ping=False),
        r=role.name,
        p=ctx.prefix,
    )


@practice.command(
    "accept",
    Role("role", optional=True),
    summary=N_("Agree to a role swap someone asked you for."),
    examples=("!accept", "!accept facilitation"),
)
async def accept(ctx: Context, role: RoleRecord | None) -> None:
    waiting = await roles.swaps_awaiting(ctx.session, ctx.collective_id, ctx.author)
    by_id = {r.id: r for r in await ensure_roles(ctx)}
    if role is not None:
        waiting = [s for s in waiting if s.role_id == role.id]
    if not waiting:
        await ctx.reply(
            _("Nothing is waiting for {who} to accept."),
            who=await ctx.mention(ctx.author, ping=False),
        )
        return
    request = waiting[0]
    target = by_id[request.role_id]
    now = ctx.now()
    request.resolved_at = now
    term = await roles.current_term(ctx.session, target.id)
    if term is None or term.user_id != request.from_user or term.started_at > request.asked_at:
        # A request is for the term it was made in; it lapses when that term ends.
        await ctx.reply(
            _("That swap of **{r}** has lapsed: the term it was asked for is over."), r=target.name
        )
        return
    term.ended_at = now
    taken = await roles.start_term(
        ctx.session, target.id, request.to_user, now, term.ends_at, "swap"
    )
    await ctx.audit("role.swap_accepted", role=target.name)
    await ctx.reply(
        _("Swap done: {taker} holds **{r}** until {e}, instead of {giver}.") + "{notes}",
        notes=await _notes(ctx, target.id, request.to_user, taken.id),
        taker=await ctx.mention(request.to_user),
        giver=await ctx.mention(request.from_user, ping=False),
        r=target.name,
        e=ctx.time(term.ends_at),
    )


@practice.command(
    "away",
    Until("until"),
    summary=N_("Be skipped by rotation until a date or for a while."),
    examples=("!away 2w", "!away 2026-12-24"),
)
async def away(ctx: Context, until: datetime) -> None:
    if until <= ctx.now():
        raise UsageError(_("That date has passed; give a future date or a duration."))
    if until > ctx.now() + timedelta(days=366):
        raise UsageError(_("At most a year ahead."))
    member = await roles.member(ctx.session, ctx.collective_id, ctx.author)
    if member is None:
        raise UsageError(_("Only members of this room can be away from it."))
    member.away_until = until
    await ctx.audit("member.away", until=until)
    held = [
        t for t in await roles.open_terms(ctx.session, ctx.collective_id) if t.user_id == ctx.author
    ]
    template = _("{who} is away until {b}; rotation will skip you. `{p}back` when you are back.")
    if held:
        template += " " + _(
            "You still hold a role: `{p}role release` or `{p}role swap` it if you cannot do it."
        )
    await ctx.reply(
        template,
        who=await ctx.mention(ctx.author, ping=False),
        b=ctx.time(until),
        p=ctx.prefix,
    )


@practice.command(
    "back", summary=N_("End your absence early; rotation counts you in again."), examples=("!back",)
)
async def back(ctx: Context) -> None:
    member = await roles.member(ctx.session, ctx.collective_id, ctx.author)
    who = await ctx.mention(ctx.author, ping=False)
    if member is None or member.away_until is None or member.away_until <= ctx.now():
        await ctx.reply(_("{who} was not marked away; nothing changed."), who=who)
        return
    member.away_until = None
    await ctx.audit("member.back")
    await ctx.reply(_("Welcome back, {who}: rotation counts you in again."), who=who)
