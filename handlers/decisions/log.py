"""The decision log and what happens to proposals over time: searching the log,
withdrawing a proposal or decision and closing one early (a second member confirms each),
and the jobs that close proposals at their closing time, remind the members who have not
answered (`[decisions] remind_before` ahead, once), and bring an adopted decision back as a
proposal to keep it when its review date comes (`!propose ... review 3m`, once).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.arguments import Number, Text
from handlers.context import Context, Rows
from handlers.decisions import views
from handlers.decisions.closing import settle
from handlers.decisions.commands import practice
from handlers.decisions.rules import ANSWER_HELP, closing_time, counts, rule_words, short
from handlers.errors import UsageError
from handlers.i18n import N_, _, ngettext
from handlers.seconds import ASKER, ask_second
from handlers.settings import CollectiveSettings
from handlers.timeparse import duration
from storage import decision_log, decision_rounds, decisions, labour
from storage.decisions import PROPOSAL

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


@practice.overwrite("decide early")
async def carry_out_early_close(ctx: Context, payload: dict[str, Any]) -> str:
    """Seconded: the proposal closes now, the asker recorded as its closer and the second
    member beside them (both in the audit log)."""
    number = int(payload["number"])
    found = await decisions.by_number(ctx.session, ctx.collective_id, number)
    if found is None or found.kind != PROPOSAL or found.status != "open":
        state = views.state(ctx, found) if found else _("gone")
        raise UsageError(
            _("Proposal #{n} can no longer be closed early: it is {state}.").format(
                n=number, state=state
            )
        )
    if (await decisions.tally(ctx.session, found.id)).blocked:
        raise UsageError(
            _(
                "Proposal #{n} cannot be closed: it was blocked since, and a standing block "
                "stops it under every rule. Nothing changed."
            ).format(n=number)
        )
    asker = ctx.memo.get(ASKER)
    outcome = payload.get("outcome")
    judged = await settle(
        ctx,
        found,
        ctx.now(),
        "proposal.seconded",
        by=asker,
        seconded_by=ctx.author,
        asker=asker,
        outcome=str(outcome) if outcome is not None else None,
    )
    text, values = await views.describe(ctx, found)
    await ctx.say(text, **values)
    return _("proposal #{n} is closed early: {state}").format(
        n=number, state=_("adopted") if judged.adopted else views.state(ctx, found)
    )


@practice.job("decision-close", lambda settings: HOURLY)
async def close_due(ctx: Context) -> None:
    """Hourly: each proposal whose closing time has come closes under its rule, and the
    room is told once. A late run closes it as of its closing time, and says it is late."""
    for d in await decisions.due_to_close(ctx.session, ctx.now(), ctx.collective_id):
        await settle(ctx, d, d.closes_at or ctx.now(), "proposal.closed")
        text, values = await views.describe(ctx, d)
        if ctx.late_by:
            text += "\n" + _("(Posted late: the bot was offline at the closing time.)")
        await ctx.say(text, **values)


def reminder_minute(settings: CollectiveSettings) -> str:
    """Closing times fall on the full hour of the collective's clock, so the reminder runs
    hourly at the minute `remind_before` ahead of one (`30min`: at half past)."""
    minutes = int(settings.decision_remind_before.total_seconds() // 60)
    return f"{-minutes % 60} * * * *"


@practice.job("decision-reminder", reminder_minute)
async def remind(ctx: Context) -> None:
    """Once per proposal, `remind_before` its close: the members who have not answered
    (and are not away) are mentioned, so it reaches them. Never in the first half of its
    open time: a proposal open for less than twice the lead is reminded at its middle
    (the proposal itself was the notice). When everyone has answered nobody is mentioned
    and nothing is posted."""
    now = ctx.now()
    ahead = ctx.settings.decision_remind_before
    for d in await decisions.due_reminder(ctx.session, now, ahead, ctx.collective_id):
        if d.closes_at is None or now - d.opened_at < (d.closes_at - d.opened_at) / 2:
            continue
        await decisions.mark_reminded(ctx.session, d, now)
        waiting = await decision_rounds.unanswered(ctx.session, d, now)
        if not waiting:
            continue
        t = await decisions.tally(ctx.session, d.id)
        where = _("in your direct chat with me") if d.hidden else _("here")
        await ctx.announce(
            _(
                "{waiting}: **proposal #{n}** from {author} closes {closes}, under {rule}, and "
                "you have not answered yet:\n{text}\nCounts so far: {counts}. Answer {where} "
                "with {answers}."
            ).replace("{answers}", _(ANSWER_HELP)),
            waiting=Rows("{who}", [{"who": await ctx.mention(u)} for u in waiting], sep=", "),
            author=await ctx.mention(d.author, ping=False),
            closes=ctx.time(d.closes_at),
            rule=rule_words(views.rule_of(ctx, d)),
            text=d.text,
            counts=counts(t),
            where=where,
            p=ctx.prefix,
            n=d.number,
        )


@practice.job("decision-review", lambda settings: HOURLY)
async def review(ctx: Context) -> None:
    """Hourly: an adopted decision whose review date has come (its adoption plus `review`)
    comes back as a proposal to keep it, linked to it, once."""
    now = ctx.now()
    for d in await decision_rounds.review_candidates(ctx.session, ctx.collective_id):
        if d.adopted_at is None or d.review_after is None:
            continue
        if d.adopted_at + duration(d.review_after) > now:
            continue
        rule = ctx.settings.decision_rule
        closes = closing_time(now, ctx.settings.decision_open_days, ctx.settings.timezone)
        made = await decisions.propose(
            ctx.session,
            ctx.collective_id,
            _("Keep decision #{n}: {text}").format(n=d.number, text=d.outcome or d.text),
            d.author,
            now,
            closes_at=closes,
            rule=rule,
        )
        made.quorum = ctx.settings.decision_quorum
        made.hidden = ctx.settings.decision_answers == "hidden"
        made.review_of = d.number
        d.reviewed_as = made.number
        await ctx.audit("proposal.review", automatic=True, number=d.number, proposal=made.number)
        await ctx.announce(
            _(
                "**Decision #{old}** was adopted {adopted} with a review after {review}: "
                "{text}\nProposal **#{n}**: keep it? Open until {closes}, decided by {rule}. "
                "Answer with {answers}. Not adopted, the decision still stands until the "
                "group changes or withdraws it (`{p}withdraw {old}`)."
            ).replace("{answers}", _(ANSWER_HELP)),
            old=d.number,
            adopted=ctx.date(d.adopted_at),
            review=d.review_after,
            text=short(d.outcome or d.text),
            n=made.number,
            closes=ctx.time(closes),
            rule=rule_words(rule),
            p=ctx.prefix,
        )
