"""The labour ledger: trust grows from shared work, so all of it is logged, visible or not.

`!task done flyers` needs no prior `add`: the point is that logging work costs
one line. The kind of labour comes from a `#tag`, else the task's kind on the
list, else the configured keyword map, else `visible`.
"""

from __future__ import annotations

import re

from handlers.context import Context, Mention
from handlers.members import resolve_member
from handlers.registry import Name, Practice, Tag, Text
from handlers.settings import CollectiveSettings
from handlers.timeparse import looks_like_since, month_start, since
from storage import audit, collectives, labour

KINDS = ("visible", "invisible", "care")
LOG_LIMIT = 20
LIST_LIMIT = 40

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


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(kind, 0)} {kind}" for kind in KINDS)


@practice.command(
    "task add",
    Name("name"),
    Tag("kind", KINDS),
    summary="Put a task on the collective's list (kind from the tag or the keyword map).",
    examples=("!task add flyers for the fair", "!task add book the hall #invisible"),
)
async def task_add(ctx: Context, name: str, kind: str | None) -> None:
    who = await ctx.mention(ctx.me, ping=False)
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
        await labour.add_task(ctx.session, ctx.collective_id, name, kind, ctx.me, now)
        verb = "Added"
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "added task", name, now)
    await ctx.reply(
        verb + " task **{name}** ({kind}), for {who}. Claim it with `{p}task claim {name}`.",
        name=name,
        kind=kind,
        who=who,
        p=ctx.prefix,
    )


@practice.command(
    "task claim",
    Name("name"),
    summary="Take on a task from the list (a new name is added and claimed at once).",
    examples=("!task claim flyers for the fair",),
)
async def task_claim(ctx: Context, name: str) -> None:
    who = await ctx.mention(ctx.me, ping=False)
    found = await labour.task(ctx.session, ctx.collective_id, name)
    now = ctx.now()
    if found is not None and found.status == "claimed":
        if found.claimed_by == ctx.me:
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
            ctx.session, ctx.collective_id, name, classify(name, ctx.settings), ctx.me, now
        )
    found.status, found.claimed_by, found.updated_at = "claimed", ctx.me, now
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "claimed task", name, now)
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
    who = await ctx.mention(ctx.me, ping=False)
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
    if holder != ctx.me and await collectives.is_member(ctx.session, ctx.collective_id, holder):
        await ctx.reply(
            "**{name}** is claimed by {holder}; only they can drop it.",
            name=name,
            holder=await ctx.mention(holder, ping=False),
        )
        return
    found.status, found.claimed_by, found.updated_at = "open", None, ctx.now()
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "dropped task", name, ctx.now())
    await ctx.reply(
        "{who} dropped **{name}**; it is back on the list, unclaimed.", who=who, name=name
    )


@practice.command(
    "task done",
    Name("name"),
    Tag("kind", KINDS),
    summary="Log a task you did, listed or not: visible, invisible or care work.",
    examples=("!task done flyers", "!task done cleaned the kitchen #care", "!task done minutes"),
)
async def task_done(ctx: Context, name: str, kind: str | None) -> None:
    who = await ctx.mention(ctx.me, ping=False)
    now = ctx.now()
    found = await labour.task(ctx.session, ctx.collective_id, name)
    if kind is None:
        kind = found.kind if found is not None and found.status != "done" else None
    kind = kind or classify(name, ctx.settings)
    if found is not None and found.status != "done":
        found.status, found.claimed_by, found.updated_at = "done", None, now
    await labour.complete(ctx.session, ctx.collective_id, name, kind, ctx.me, now)
    await audit.record(
        ctx.session, ctx.collective_id, ctx.me, "logged task", f"{name} ({kind})", now
    )
    start = month_start(now, ctx.settings.timezone)
    mine = await labour.counts_by_kind(ctx.session, ctx.collective_id, start, ctx.me)
    everyone = await labour.counts_by_kind(ctx.session, ctx.collective_id, start)
    await ctx.reply(
        "Logged **{name}** as {kind} labour by {who}. This month: {who} {mine}; "
        "the collective {total} ({tally}).",
        name=name,
        kind=kind,
        who=who,
        mine=_tasks(sum(mine.values())),
        total=_tasks(sum(everyone.values())),
        tally=_tally(everyone),
    )


def _tasks(n: int) -> str:
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
    lines = ["**Open tasks** ({n})"]
    values: dict[str, object] = {"n": len(tasks), "more": len(tasks) - LIST_LIMIT}
    for i, t in enumerate(tasks[:LIST_LIMIT]):
        lines.append(f"- **{{t{i}}}** ({{k{i}}}): {{h{i}}}")
        values[f"t{i}"], values[f"k{i}"] = t.name, t.kind
        holder = names.get(t.claimed_by or "") or (
            Mention(t.claimed_by, ping=False) if t.claimed_by else None
        )
        values[f"h{i}"] = f"claimed by {holder.label}" if holder else "unclaimed"
    if len(tasks) > LIST_LIMIT:
        lines.append("… and {more} more.")
    await ctx.reply("\n".join(lines), **values)


@practice.command(
    "task log",
    Text("filters", optional=True, max_length=200, label="[@member] [since]"),
    summary="The labour ledger, newest first; filter by member and by a date or period.",
    examples=(
        "!task log",
        "!task log @alice:example.org",
        "!task log 30d",
        "!task log Alice 2026-11-01",
    ),
)
async def task_log(ctx: Context, filters: str | None) -> None:
    words = (filters or "").split()
    start = None
    if words and looks_like_since(words[-1]):
        start = since(words.pop(), ctx.now(), ctx.settings.timezone)
    person = await resolve_member(ctx, " ".join(words)) if words else None
    entries = await labour.completions(
        ctx.session, ctx.collective_id, since=start, user_id=person.user_id if person else None
    )
    scope = ""
    values: dict[str, object] = {"p": ctx.prefix}
    if person:
        scope += " for {who}"
        values["who"] = person
    if start:
        scope += " since {since}"
        values["since"] = ctx.local(start).strftime("%Y-%m-%d")
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
    lines = [f"**Labour log**{scope} ({{total}}{more}): {{tally}}"]
    values["total"], values["tally"] = _tasks(len(entries)), _tally(counts)
    names = await ctx.quiet_names()
    for i, e in enumerate(shown):
        lines.append(f"- {{d{i}}}: **{{t{i}}}** ({{k{i}}}), {{w{i}}}")
        values[f"d{i}"] = ctx.local(e.done_at).strftime("%Y-%m-%d")
        values[f"t{i}"], values[f"k{i}"] = e.name, e.kind
        values[f"w{i}"] = names.get(e.user_id) or Mention(e.user_id, ping=False)
    await ctx.reply("\n".join(lines), **values)
