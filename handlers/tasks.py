"""The labour ledger: trust grows from shared work, so all of it is logged, visible or not.

`!task done flyers` needs no prior `add`: the point is that logging work costs
one line. The kind of labour comes from a `#tag`, else the task's kind on the
list, else the configured keyword map, else `visible`.
"""

from __future__ import annotations

import re
from datetime import datetime

from handlers.arguments import Member, Name, Since, Tag
from handlers.context import Context, Mention, Rows
from handlers.registry import Practice
from handlers.settings import CollectiveSettings
from handlers.timeparse import month_start
from storage import collectives, labour

# The kinds of labour, for every practice that counts it.
KINDS = ("visible", "invisible", "care")
KIND = Tag("kind", KINDS)
LOG_LIMIT = 20
LIST_LIMIT = 40
MIRROR = "A mirror, not a score: it shows what was logged, not what anyone is worth."

practice = Practice("Labour", "A ledger of who does what work, visible, invisible or care.")


def classify(name: str, settings: CollectiveSettings) -> str:
    """The kind of labour a task name suggests, from the configurable keyword map."""
    folded = name.casefold()
    for kind, keywords in (
        ("invisible", settings.invisible_keywords),
        ("care", settings.care_keywords),
    ):
        for keyword in keywords:
            # At the start of a word: "admin work" and "administration", not "badminton".
            if re.search(r"(?<!\w)" + re.escape(keyword.casefold()), folded):
                return kind
    return "visible"


def tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(kind, 0)} {kind}" for kind in KINDS)


def _stray(name: str) -> str:
    """A last word that looked like a tag but is not a kind stays in the name; say so."""
    stray = KIND.stray(name)
    if stray is None:
        return ""
    return (
        f" (`{stray[:40]}` is not a kind of labour ({KIND.listed()}), so it is part of the name.)"
    )


@practice.command(
    "task add",
    Name("name"),
    KIND,
    summary="Put a task on the collective's list (kind from the tag or the keyword map).",
    examples=("!task add flyers for the fair", "!task add book the hall #invisible"),
)
async def task_add(ctx: Context, name: str, kind: str | None) -> None:
    tagged = kind
    who = await ctx.mention(ctx.author, ping=False)
    found = await labour.task(ctx.session, ctx.collective_id, name)
    now = ctx.now()
    if found is not None and found.status != "done":
        holder = (await ctx.mention(found.claimed_by, ping=False)) if found.claimed_by else None
        await ctx.reply(
            "**{name}** is already on the list ({state}).",
            name=name,
            state=f"claimed by {holder.label}" if holder else "unclaimed",
        )
        return
    kind = kind or classify(name, ctx.settings)
    if found is not None:
        found.status, found.kind, found.claimed_by, found.updated_at = "open", kind, None, now
        verb = "Reopened"
    else:
        await labour.add_task(ctx.session, ctx.collective_id, name, kind, ctx.author, now)
        verb = "Added"
    await ctx.audit("task.added", task=name)
    await ctx.reply(
        verb + " task **{name}** ({kind}), for {who}. Claim it with `{p}task claim {name}`.{stray}",
        name=name,
        kind=kind,
        who=who,
        p=ctx.prefix,
        stray=_stray(name) if tagged is None else "",
    )


@practice.command(
    "task claim",
    Name("name"),
    summary="Take on a task from the list (a new name is added and claimed at once).",
    examples=("!task claim flyers for the fair",),
)
async def task_claim(ctx: Context, name: str) -> None:
    who = await ctx.mention(ctx.author, ping=False)
    found = await labour.task(ctx.session, ctx.collective_id, name)
    now = ctx.now()
    if found is not None and found.status == "claimed":
        if found.claimed_by == ctx.author:
            await ctx.reply("{who} already holds **{name}**.", who=who, name=name)
            return
        holder = await ctx.mention(found.claimed_by or "", ping=False)
        await ctx.reply(
            "**{name}** is claimed by {holder}. Ask them, or they can `{p}task drop {name}`.",
            name=name,
            holder=holder,
            p=ctx.prefix,
        )
        return
    if found is None:
        found = await labour.add_task(
            ctx.session, ctx.collective_id, name, classify(name, ctx.settings), ctx.author, now
        )
    found.status, found.claimed_by, found.updated_at = "claimed", ctx.author, now
    await ctx.audit("task.claimed", task=name)
    await ctx.reply(
        "{who} claimed **{name}** ({kind}). Log it with `{p}task done {name}` when it is done.",
        who=who,
        name=name,
        kind=found.kind,
        p=ctx.prefix,
    )


@practice.command(
    "task drop",
    Name("name"),
    summary="Give up your claim on a task; it goes back on the list, unclaimed.",
    examples=("!task drop flyers for the fair",),
)
async def task_drop(ctx: Context, name: str) -> None:
    who = await ctx.mention(ctx.author, ping=False)
    found = await labour.task(ctx.session, ctx.collective_id, name)
    if found is None or found.status == "done":
        await ctx.reply(
            "There is no task **{name}** on the list. `{p}task list` shows it.",
            name=name,
            p=ctx.prefix,
        )
        return
    if found.status != "claimed" or found.claimed_by is None:
        await ctx.reply("**{name}** is not claimed by anyone.", name=name)
        return
    holder = found.claimed_by
    if holder != ctx.author and await collectives.is_member(ctx.session, ctx.collective_id, holder):
        await ctx.reply(
            "**{name}** is claimed by {holder}; only they can drop it.",
            name=name,
            holder=await ctx.mention(holder, ping=False),
        )
        return
    found.status, found.claimed_by, found.updated_at = "open", None, ctx.now()
    await ctx.audit("task.dropped", task=name)
    await ctx.reply(
        "{who} dropped **{name}**; it is back on the list, unclaimed.", who=who, name=name
    )


@practice.command(
    "task done",
    Name("name"),
    KIND,
    summary="Log a task you did, listed or not: visible, invisible or care work.",
    examples=("!task done flyers", "!task done cleaned the kitchen #care", "!task done minutes"),
)
async def task_done(ctx: Context, name: str, kind: str | None) -> None:
    stray = _stray(name) if kind is None else ""
    who = await ctx.mention(ctx.author, ping=False)
    now = ctx.now()
    found = await labour.task(ctx.session, ctx.collective_id, name)
    if kind is None:
        kind = found.kind if found is not None and found.status != "done" else None
    kind = kind or classify(name, ctx.settings)
    if found is not None and found.status != "done":
        found.status, found.claimed_by, found.updated_at = "done", None, now
    await labour.complete(ctx.session, ctx.collective_id, name, kind, ctx.author, now)
    await ctx.audit("task.logged", task=name, kind=kind)
    start = month_start(now, ctx.settings.timezone)
    mine = await labour.counts_by_kind(ctx.session, ctx.collective_id, start, ctx.author)
    everyone = await labour.counts_by_kind(ctx.session, ctx.collective_id, start)
    await ctx.reply(
        "Logged **{name}** as {kind} labour by {who}. This month: {who} {mine}; "
        "the collective {total} ({tally}).{stray} {mirror}",
        name=name,
        kind=kind,
        who=who,
        mine=tasks_count(sum(mine.values())),
        total=tasks_count(sum(everyone.values())),
        tally=tally(everyone),
        stray=stray,
        mirror=MIRROR,
    )


def tasks_count(n: int) -> str:
    return f"{n} task" if n == 1 else f"{n} tasks"


@practice.command(
    "task list",
    summary="The open tasks: kind, and who has claimed each.",
    examples=("!task list",),
)
async def task_list(ctx: Context) -> None:
    tasks = await labour.open_tasks(ctx.session, ctx.collective_id)
    if not tasks:
        await ctx.reply("No open tasks. Add one with `{p}task add <name>`.", p=ctx.prefix)
        return
    names = await ctx.quiet_names()
    rows = []
    for t in tasks:
        holder = names.get(t.claimed_by or "") or (
            Mention(t.claimed_by, ping=False) if t.claimed_by else None
        )
        state = f"claimed by {holder.label}" if holder else "unclaimed"
        rows.append({"name": t.name, "kind": t.kind, "state": state})
    await ctx.reply(
        "**Open tasks** ({n})\n{rows}",
        n=len(tasks),
        rows=Rows("- **{name}** ({kind}): {state}", rows, limit=LIST_LIMIT),
    )


@practice.command(
    "task log",
    Member("member", optional=True),
    Since("since", optional=True),
    summary="The labour ledger, newest first; filter by member and by a date or period.",
    examples=(
        "!task log",
        "!task log @alice:example.org",
        "!task log 30d",
        "!task log Alice 2026-11-01",
    ),
)
async def task_log(ctx: Context, member: Mention | None, since: datetime | None) -> None:
    entries = await labour.completions(
        ctx.session, ctx.collective_id, since=since, user_id=member.user_id if member else None
    )
    scope = (" for {who}" if member else "") + (" since {since}" if since else "")
    values: dict[str, object] = {
        "p": ctx.prefix,
        "who": member or "",
        "since": ctx.date(since) if since else "",
    }
    if not entries:
        await ctx.reply(
            "Nothing logged" + scope + " yet. Log work with `{p}task done <name>`.", **values
        )
        return
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    shown = entries[:LOG_LIMIT]
    more = f", newest {len(shown)} shown" if len(entries) > len(shown) else ""
    names = await ctx.quiet_names()
    rows = [
        {
            "day": ctx.date(e.done_at),
            "name": e.name,
            "kind": e.kind,
            "who": names.get(e.user_id or "") or await ctx.mention(e.user_id, ping=False),
        }
        for e in shown
    ]
    await ctx.reply(
        f"**Labour log**{scope} ({{total}}{more}): {{tally}}\n{{rows}}\n{{mirror}}",
        total=tasks_count(len(entries)),
        tally=tally(counts),
        rows=Rows("- {day}: **{name}** ({kind}), {who}", rows),
        mirror=MIRROR,
        **values,
    )
