"""The decision log and what happens to proposals over time: searching the log,
withdrawing a proposal or decision (a second member confirms it), and the hourly jobs that
close proposals at their closing time and remind the room the day before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.arguments import Number, Text
from handlers.context import Context, Rows
from handlers.decisions import views
from handlers.decisions.commands import audit_close, practice
from handlers.decisions.rules import counts, rule_words, short, verdict
from handlers.errors import UsageError
from handlers.i18n import N_, _, ngettext
from handlers.seconds import ask_second
from storage import decision_log, decisions, labour
from storage.decisions import PROPOSAL

REMIND_AHEAD = timedelta(days=1)
# An adopted decision with no task tied to it this long after adoption is marked in the log.
FOLLOW_THROUGH = timedelta(days=30)
LIST_LIMIT = 20
SEARCH_LIMIT = 500  # read this many to say how many more matched than are listed
HOURLY = "0 * * * *"


@practice.command(
    "decisions",
    Text("words", optional=True),
    summary=N_("The decision log, newest first; give words to search it."),
    examples=("!decisions", "!decisions meeting place"),
)
async def log(ctx: Context, words: str | None) -> None:
    found = await decision_log.search(
        ctx.session, ctx.collective_id, words or "", limit=SEARCH_LIMIT
    )
    if not found:
        if words:
            await ctx.reply(_("No proposal or decision matches `{w}`."), w=short(words, 60))
        else:
            await ctx.reply(
                _(
                    "The decision log is empty: `{p}propose <text>` opens a proposal, "
                    "`{p}decision <text>` records one taken elsewhere."
                ),
                p=ctx.prefix,
            )
        return
    dissent = await decisions.dissent_counts(ctx.session, [d.id for d in found])
    due = ctx.now() - FOLLOW_THROUGH
    stale = [d.id for d in found if d.status == "adopted" and (d.adopted_at or due) <= due]
    stale_ids = set(stale) - await labour.linked(ctx.session, stale)
    rows = []
    for d in found:
        n = dissent.get(d.id, 0)
        rows.append(
            {
                "n": d.number,
                "kind": _("proposal") if d.kind == PROPOSAL else _("decision"),
                "state": views.state(ctx, d),
                "who": await ctx.mention(d.author, ping=False),
                "text": short(d.text),
                "dissent": " " + ngettext("({n} dissent)", "({n} dissents)", n).format(n=n)
                if n
                else "",
                "follow": " " + _("(no task yet)") if d.id in stale_ids else "",
            }
        )
    values: dict[str, object] = {"p": ctx.prefix}
    head = _("**Decisions**, newest first")
    if words:
        head = _("**Decisions** matching `{w}`, newest first")
        values["w"] = short(words, 60)
    foot = _("`{p}proposal <number>` shows one in full.")
    if any(row["follow"] for row in rows[:LIST_LIMIT]):
        foot += " " + _(
            "“No task yet”: adopted 30 days ago or more, and no task is tied to it; "
            "`{p}task add <name> for #N` ties one."
        )
    await ctx.reply(
        head + "\n{rows}\n" + foot,
        rows=Rows(
            _("- **#{n}** {kind}, {state}, from {who}: {text}{dissent}") + "{follow}",
            rows,
            limit=LIST_LIMIT,
        ),
        **values,
    )


@practice.command(
    "withdraw",
    Number("decision"),
    summary=N_("Ask to withdraw a proposal or decision; a second member confirms it."),
    examples=("!withdraw 4",),
)
async def withdraw(ctx: Context, decision: int) -> None:
    found = await views.numbered(ctx, decision)
    if found is None:
        return
    if found.status not in ("open", "adopted"):
        await ctx.reply(
            _("#{n} is {state}: there is nothing to withdraw."),
            n=decision,
            state=views.state(ctx, found),
        )
        return
    await ask_second(
        ctx,
        "withdraw decision",
        {"number": decision},
        _("withdraw decision #{n}: {text}").format(n=decision, text=short(found.text)),
    )


@practice.overwrite("withdraw decision")
async def carry_out_withdrawal(ctx: Context, payload: dict[str, Any]) -> str:
    number = int(payload["number"])
    found = await decisions.by_number(ctx.session, ctx.collective_id, number)
    if found is None or found.status not in ("open", "adopted"):
        state = views.state(ctx, found) if found else _("gone")
        raise UsageError(
            _("#{n} can no longer be withdrawn: it is {state}.").format(n=number, state=state)
        )
    await decisions.withdraw(ctx.session, found, ctx.now(), by=ctx.author)
    await ctx.audit("decision.withdrawn", number=number)
    return _("#{n} is withdrawn and no longer applies: {text}").format(
        n=number, text=short(found.text)
    )


@practice.job("decision-close", lambda settings: HOURLY)
async def close_due(ctx: Context) -> None:
    """Hourly: each proposal whose closing time has come closes under its rule, and the
    room is told once. A late run closes it as of its closing time, and says it is late."""
    for d in await decisions.due_to_close(ctx.session, ctx.now(), ctx.collective_id):
        closes = d.closes_at or ctx.now()
        t = await decisions.tally(ctx.session, d.id)
        adopted = verdict(views.rule_of(ctx, d), t).adopted
        status = "adopted" if adopted else "rejected"
        await decisions.close(ctx.session, d, status, closes, outcome=d.text if adopted else None)
        await audit_close(ctx, "proposal.closed", d.number, status, t)
        text, values = await views.describe(ctx, d)
        if ctx.late_by:
            text += "\n" + _("(Posted late: the bot was offline at the closing time.)")
        await ctx.say(text, **values)


@practice.job("decision-reminder", lambda settings: HOURLY)
async def remind(ctx: Context) -> None:
    """Hourly: a proposal closing within a day is announced once more, unless it was made
    less than half a day ago (the proposal itself was the notice)."""
    now = ctx.now()
    for d in await decisions.due_reminder(ctx.session, now, REMIND_AHEAD, ctx.collective_id):
        if now - d.opened_at < REMIND_AHEAD / 2:
            continue
        await decisions.mark_reminded(ctx.session, d, now)
        t = await decisions.tally(ctx.session, d.id)
        rule = views.rule_of(ctx, d)
        await ctx.say(
            _(
                "**Proposal #{n}** from {author} closes {closes}, under {rule}:\n{text}\n"
                "Counts so far: {counts}. Not answered yet? `{p}agree {n}`, "
                "`{p}abstain {n} [reason]`, `{p}object {n} <reason>` or `{p}block {n} <reason>`."
            ),
            author=await ctx.mention(d.author, ping=False),
            closes=ctx.time(d.closes_at) if d.closes_at else _("soon"),
            rule=rule_words(rule),
            text=d.text,
            counts=counts(t),
            p=ctx.prefix,
            n=d.number,
        )
