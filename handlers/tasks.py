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
from handlers.i18n import N_, _, ngettext
from handlers.labour_kinds import KINDS, kind_count, kind_word
from handlers.registry import Practice
from handlers.settings import CollectiveSettings
from handlers.task_links import TaskLine, TaskWords, decision_for, labels, together, unmatched_note
from handlers.timeparse import month_start
from storage import collectives, labour

# The kinds of labour, for every practice that counts it.
KIND = Tag("kind", KINDS)
LOG_LIMIT = 20
LIST_LIMIT = 40
MIRROR = N_("A mirror, not a score: it shows what was logged, not what anyone is worth.")

practice = Practice(N_("Labour"), N_("A ledger of who does what work, visible, invisible or care."))


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
    return ", ".join(kind_count(kind, counts.get(kind, 0)) for kind in KINDS)


def _stray(name: str) -> str:
    """A last word that looked like a tag but is not a kind stays in the name; say so."""
    stray = KIND.stray(name)
    if stray is None:
        return ""
    return " " + _(
        "(`{stray}` is not a kind of labour ({kinds}), so it is part of the name.)"
    ).format(stray=stray[:40], kinds=KIND.listed())


@practice.command(
    "task add",
    TaskWords("name", joint=False),
    KIND,
    summary=N_(
        "Put a task on the collective's list (kind from the tag or the keyword map); "
        "`for #N` ties it to decision N."
    ),
    examples=(
        "!task add flyers for the fair",
        "!task add book the hall #invisible",
        "!task add paint the sign for #4",
    ),
)
async def task_add(ctx: Context, name: TaskLine, kind: str | None) -> None:
    line = name
    title = line.name
    known, decision = await decision_for(ctx, line)
    if not known:
        return
    tagged = kind
    who = await ctx.mention(ctx.author, ping=False)
    found = await labour.task(ctx.session, ctx.collective_id, title)
    now = ctx.now()
    tie = " " + _("It is tied to decision #{n}.").format(n=decision.number) if decision else ""
    if found is not None and found.status != "done":
        holder = (await ctx.mention(found.claimed_by, ping=False)) if found.claimed_by else None
        if decision is not None:
            found.decision_id, found.updated_at = decision.id, now
            await ctx.audit("task.linked", task=title, number=decision.number)
        await ctx.reply(
            _("**{name}** is already on the list ({state}).") + "{tie}",
            name=title,
            state=_("claimed by {who}").format(who=holder.label) if holder else _("unclaimed"),
            tie=tie,
        )
        return
    kind = kind or classify(title, ctx.settings)
    decision_id = decision.id if decision else None
    if found is not None:
        found.status, found.kind, found.claimed_by, found.updated_at = "open", kind, None, now
        found.decision_id = decision_id
        template = _(
            "Reopened task **{name}** ({kind}), for {who}. Claim it with `{p}task claim {name}`."
        )
    else:
        await labour.add_task(
            ctx.session, ctx.collective_id, title, kind, ctx.author, now, decision_id
        )
        template = _(
            "Added task **{name}** ({kind}), for {who}. Claim it with `{p}task claim {name}`."
        )
    await ctx.audit("task.added", task=title)
    if decision is not None:
        await ctx.audit("task.linked", task=title, number=decision.number)
    await ctx.reply(
        template + "{tie}{stray}",
        name=title,
        kind=kind_word(kind),
        who=who,
        p=ctx.prefix,
        tie=tie,
        stray=_stray(title) if tagged is None else "",
    )


@practice.command(
    "task claim",
    Name("name"),
    summary=N_("Take on a task from the list (a new name is added and claimed at once)."),
    examples=("!task claim flyers for the fair",),
)
async def task_claim(ctx: Context, name: str) -> None:
    who = await ctx.mention(ctx.author, ping=False)
    found = await labour.task(ctx.session, ctx.collective_id, name)
    now = ctx.now()
    if found is not None and found.status == "claimed":
        if found.claimed_by == ctx.author:
            await ctx.reply(_("{who} already holds **{name}**."), who=who, name=name)
            return
        holder = await ctx.mention(found.claimed_by or "", ping=False)
        await ctx.reply(
            _("**{name}** is claimed by {holder}. Ask them, or they can `{p}task drop {name}`."),
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
        _("{who} claimed **{name}** ({kind}). Log it with `{p}task done {name}` when it is done."),
        who=who,
        name=name,
        kind=kind_word(found.kind),
        p=ctx.prefix,
    )


@practice.command(
    "task drop",
    Name("name"),
    summary=N_("Give up your claim on a task; it goes back on the list, unclaimed."),
    examples=("!task drop flyers for the fair",),
)
async def task_drop(ctx: Context, name: str) -> None:
    who = await ctx.mention(ctx.author, ping=False)
    found = await labour.task(ctx.session, ctx.collective_id, name)
    if found is None or found.status == "done":
        await ctx.reply(
            _("There is no task **{name}** on the list. `{p}task list` shows it."),
            name=name,
            p=ctx.prefix,
        )
        return
    if found.status != "claimed" or found.claimed_by is None:
        await ctx.reply(_("**{name}** is not claimed by anyone."), name=name)
        return
    holder = found.claimed_by
    if holder != ctx.author and await collectives.is_member(ctx.session, ctx.collective_id, holder):
        await ctx.reply(
            _("**{name}** is claimed by {holder}; only they can drop it."),
            name=name,
            holder=await ctx.mention(holder, ping=False),
        )
        return
    found.status, found.claimed_by, found.updated_at = "open", None, ctx.now()
    await ctx.audit("task.dropped", task=name)
    await ctx.reply(
        _("{who} dropped **{name}**; it is back on the list, unclaimed."), who=who, name=name
    )


@practice.command(
    "task done",
    TaskWords("name"),
    KIND,
    summary=N_(
        "Log a task you did, listed or not: visible, invisible or care work; "
        "`with @a @b` logs it as joint work, `for #N` ties it to decision N."
    ),
    examples=(
        "!task done flyers",
        "!task done cleaned the kitchen #care",
        "!task done flyers with @bob @carol",
        "!task done paint the sign for #4",
    ),
)
async def task_done(ctx: Context, name: TaskLine, kind: str | None) -> None:
    line = name
    title = line.name
    known, decision = await decision_for(ctx, line)
    if not known:
        return
    stray = (_stray(title) if kind is None else "") + unmatched_note(line)
    who = await ctx.mention(ctx.author, ping=False)
    now = ctx.now()
    found = await labour.task(ctx.session, ctx.collective_id, title)
    listed = found if found is not None and found.status != "done" else None
    if kind is None:
        kind = listed.kind if listed is not None else None
    kind = kind or classify(title, ctx.settings)
    decision_id = decision.id if decision else (listed.decision_id if listed else None)
    if listed is not None:
        listed.status, listed.claimed_by, listed.updated_at = "done", None, now
        listed.decision_id = decision_id
    shared = [p.user_id for p in line.partners]
    await labour.complete(
        ctx.session,
        ctx.collective_id,
        title,
        kind,
        ctx.author,
        now,
        partners=shared,
        decision_id=decision_id,
    )
    if shared:
        await ctx.audit(
            "task.logged_joint",
            members={f"partners.{i}": user for i, user in enumerate(shared)},
            task=title,
            kind=kind,
        )
    else:
        await ctx.audit("task.logged", task=title, kind=kind)
    if decision is not None:
        await ctx.audit("task.linked", task=title, number=decision.number)
    start = month_start(now, ctx.settings.timezone)
    mine = await labour.counts_by_kind(ctx.session, ctx.collective_id, start, ctx.author)
    everyone = await labour.counts_by_kind(ctx.session, ctx.collective_id, start)
    if shared:
        template = _(
            "Logged **{name}** as joint work of {all} ({kind} labour), one entry each. "
            "This month: {who} {mine}; the collective {total} ({tally})."
        )
    else:
        template = _(
            "Logged **{name}** as {kind} labour by {who}. This month: {who} {mine}; "
            "the collective {total} ({tally})."
        )
    await ctx.reply(
        template + "{tie}{stray} {mirror}",
        name=title,
        kind=kind_word(kind),
        who=who,
        all=together([who.label, *(p.label for p in line.partners)]),
        mine=tasks_count(sum(mine.values())),
        total=tasks_count(sum(everyone.values())),
        tally=tally(everyone),
        tie=" " + _("Tied to decision #{n}.").format(n=decision.number) if decision else "",
        stray=stray,
        mirror=_(MIRROR),
    )


def tasks_count(n: int) -> str:
    return ngettext("{n} task", "{n} tasks", n).format(n=n)


@practice.command(
    "task list",
    summary=N_("The open tasks: kind, and who has claimed each."),
    examples=("!task list",),
)
async def task_list(ctx: Context) -> None:
    tasks = await labour.open_tasks(ctx.session, ctx.collective_id)
    if not tasks:
        await ctx.reply(_("No open tasks. Add one with `{p}task add <name>`."), p=ctx.prefix)
        return
    names = await ctx.quiet_names()
    rows = []
    for t in tasks:
        holder = names.get(t.claimed_by or "") or (
            Mention(t.claimed_by, ping=False) if t.claimed_by else None
        )
        state = _("claimed by {who}").format(who=holder.label) if holder else _("unclaimed")
        rows.append({"name": t.name, "kind": kind_word(t.kind), "state": state})
    await ctx.reply(
        _("**Open tasks** ({n})") + "\n{rows}",
        n=len(tasks),
        rows=Rows(_("- **{name}** ({kind}): {state}"), rows, limit=LIST_LIMIT),
    )


@practice.command(
    "task log",
    Member("member", optional=True),
    Since("since", optional=True),
    summary=N_("The labour ledger, newest first; filter by member and by a date or period."),
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
    values: dict[str, object] = {
        "p": ctx.prefix,
        "who": member or "",
        "since": ctx.date(since) if since else "",
    }
    if not entries:
        if member and since:
            empty = _(
                "Nothing logged for {who} since {since} yet. Log work with `{p}task done <name>`."
            )
        elif member:
            empty = _("Nothing logged for {who} yet. Log work with `{p}task done <name>`.")
        elif since:
            empty = _("Nothing logged since {since} yet. Log work with `{p}task done <name>`.")
        else:
            empty = _("Nothing logged yet. Log work with `{p}task done <name>`.")
        await ctx.reply(empty, **values)
        return
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    shown = entries[:LOG_LIMIT]
    total = tasks_count(len(entries))
    if len(entries) > len(shown):
        total = _("{total}, newest {n} shown").format(total=total, n=len(shown))
    names = await ctx.quiet_names()
    shared = await labour.joint_doers(ctx.session, (e.joint_id for e in shown if e.joint_id))
    numbers = await labour.decision_numbers(
        ctx.session, (e.decision_id for e in shown if e.decision_id)
    )
    rows = []
    for e in shown:
        extra = ""
        if e.joint_id:
            others = list(shared.get(e.joint_id, []))
            if e.user_id in others:
                others.remove(e.user_id)
            extra += " " + _("(joint, with {others})").format(
                others=", ".join(labels(names, others))
            )
        if e.decision_id in numbers:
            extra += " " + _("(for #{n})").format(n=numbers[e.decision_id])
        rows.append(
            {
                "day": ctx.date(e.done_at),
                "name": e.name,
                "kind": kind_word(e.kind),
                "who": names.get(e.user_id or "") or await ctx.mention(e.user_id, ping=False),
                "extra": extra,
            }
        )
    if member and since:
        head = _("**Labour log** for {who} since {since} ({total}): {tally}")
    elif member:
        head = _("**Labour log** for {who} ({total}): {tally}")
    elif since:
        head = _("**Labour log** since {since} ({total}): {tally}")
    else:
        head = _("**Labour log** ({total}): {tally}")
    await ctx.reply(
        head + "\n{rows}\n{mirror}",
        total=total,
        tally=tally(counts),
        rows=Rows(_("- {day}: **{name}** ({kind}), {who}") + "{extra}", rows),
        mirror=_(MIRROR),
        **values,
    )
