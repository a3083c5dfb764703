"""How a proposal or decision reads in the room: where it stands, who answered what, and
the whole of it once closed (names and reasons only then)."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context, Rows
from handlers.decisions.rules import (
    VERBS,
    Electorate,
    counts,
    missing,
    needs,
    rule_words,
    verdict,
)
from handlers.i18n import _, ngettext
from storage import decision_rounds, decisions, labour
from storage.decisions import PROPOSAL
from storage.models import Decision, DecisionAnswer


async def numbered(ctx: Context, number: int) -> Decision | None:
    """Proposal or decision `number` of this collective; when there is none, the member is
    told so and None comes back."""
    found = await decisions.by_number(ctx.session, ctx.collective_id, number)
    if found is None:
        await ctx.reply(
            _("There is no proposal or decision #{n}. `{p}decisions` lists them."),
            n=number,
            p=ctx.prefix,
        )
    return found


def rule_of(ctx: Context, decision: Decision) -> str:
    """The rule a decision is judged by: its own, kept when it opened, else the room's."""
    return decision.rule or ctx.settings.decision_rule


async def electorate(ctx: Context, decision: Decision, at: datetime) -> Electorate:
    """The members an open proposal is put to at `at`, with the quorum it opened with (the
    room's, for one opened before proposals kept theirs)."""
    quorum = decision.quorum if decision.quorum is not None else ctx.settings.decision_quorum
    return Electorate(await decision_rounds.counted(ctx.session, decision, at), quorum)


def recorded(decision: Decision) -> Electorate | None:
    """The members counted when a proposal closed; None for one closed before the rules
    counted members (judged then by its answers alone)."""
    if decision.members_counted is None:
        return None
    return Electorate(decision.members_counted, decision.quorum or 0.0)


async def blockers(ctx: Context, answers: list[DecisionAnswer]) -> Rows:
    return Rows(
        _("- {who}: {reason}"),
        [
            {
                "who": await ctx.mention(a.user_id, ping=False),
                "reason": a.reason or _("(no reason kept)"),
            }
            for a in answers
            if a.answer == "block"
        ],
    )


async def answer_rows(ctx: Context, answers: list[DecisionAnswer]) -> Rows:
    """Who answered what, grouped by answer, by name within each, every reason verbatim."""
    order = list(VERBS)
    keyed = []
    for a in answers:
        who = await ctx.mention(a.user_id, ping=False)
        row = {
            "who": who,
            "verb": _(VERBS[a.answer]) if a.answer in VERBS else a.answer,
            "reason": f": {a.reason}" if a.reason else "",
        }
        rank = order.index(a.answer) if a.answer in order else len(order)
        keyed.append(((rank, who.label.casefold()), row))
    keyed.sort(key=lambda pair: pair[0])
    return Rows(_("- {who} {verb}{reason}"), [row for _key, row in keyed])


def state(ctx: Context, d: Decision) -> str:
    """One phrase for where a decision stands."""
    if d.status == "open":
        if d.closes_at:
            return _("open until {closes}").format(closes=ctx.time(d.closes_at))
        return _("open until no closing time")
    if d.status == "withdrawn":
        day = ctx.date(d.withdrawn_at or d.closed_at or d.opened_at)
        return _("withdrawn {day}").format(day=day)
    if d.kind != PROPOSAL:
        return _("recorded {day}").format(day=ctx.date(d.opened_at))
    day = ctx.date(d.closed_at or d.opened_at)
    if d.status == "rejected" and d.no_quorum:
        return _("no quorum {day}").format(day=day)
    if d.status == "adopted":
        return _("adopted {day}").format(day=day)
    if d.status == "rejected":
        return _("rejected {day}").format(day=day)
    return f"{d.status} {day}"


async def describe(ctx: Context, d: Decision) -> tuple[str, dict[str, object]]:
    """A proposal or decision in full: counts only while open; names and reasons after."""
    values: dict[str, object] = {
        "n": d.number,
        "text": d.text,
        "author": await ctx.mention(d.author, ping=False),
        "p": ctx.prefix,
    }
    lines: list[str] = []
    dissent = await decisions.dissents(ctx.session, d.id)
    if d.kind != PROPOSAL:
        values["when"] = ctx.time(d.opened_at)
        lines.append(_("**Decision #{n}**, taken elsewhere, recorded by {author} on {when}:"))
        lines.append("{text}")
        if d.status == "withdrawn":
            values["withdrawn"] = ctx.time(d.withdrawn_at or d.opened_at)
            lines.append(_("Withdrawn on {withdrawn}: it no longer applies."))
    elif d.status == "open":
        t = await decisions.tally(ctx.session, d.id)
        rule = rule_of(ctx, d)
        members = await electorate(ctx, d, ctx.now())
        standing = verdict(rule, t, members)
        lacking = missing(rule, t, members)
        values.update(
            closes=ctx.time(d.closes_at) if d.closes_at else _("no closing time"),
            rule=rule_words(rule),
            counts=counts(t),
            why=standing.why,
            needs=needs(rule, members),
            missing="; ".join(lacking),
        )
        lines.append(_("**Proposal #{n}** from {author}, open until {closes}, under {rule}:"))
        lines.append("{text}")
        if standing.adopted:
            lines.append(_("Counts so far: {counts}. As things stand it would be adopted: {why}."))
        else:
            lines.append(
                _("Counts so far: {counts}. As things stand it would not be adopted: {why}.")
            )
        lacks = _("Missing: {missing}.") if lacking else _("Nothing is missing.")
        lines.append("{needs} " + lacks)
        lines.append(
            _(
                "Who answered what is shown once it closes. Answer with `{p}agree {n}`, "
                "`{p}abstain {n} [reason]`, `{p}object {n} <reason>` or "
                "`{p}block {n} <reason>`."
            )
        )
        if d.hidden:
            lines.append(_("Answers to it are given in private, in a direct chat with me."))
    else:
        lines += await closed_lines(ctx, d, values)
    lines += _review_lines(d, values)
    if dissent and d.status == "open":
        values["dissent_n"] = len(dissent)
        lines.append(_("Dissent on record: {dissent_n} (names and reasons once it closes)."))
    elif dissent:
        values["dissent"] = Rows(
            _("- {who} ({when}): {reason}"),
            [
                {
                    "who": await ctx.mention(x.user_id, ping=False),
                    "when": ctx.date(x.at),
                    "reason": x.reason,
                }
                for x in dissent
            ],
        )
        lines.append(_("Dissent on record:") + "\n{dissent}")
    return "\n".join(lines), values


async def closed_lines(ctx: Context, d: Decision, values: dict[str, object]) -> list[str]:
    """The lines of a proposal that stopped being open: outcome, tally, who said what."""
    answers = await decisions.answers(ctx.session, d.id)
    t = decisions.snapshot(d) or await decisions.tally(ctx.session, d.id)
    rule = rule_of(ctx, d)
    values.update(rule=rule_words(rule), counts=counts(t))
    lines = []
    if d.status == "withdrawn" and d.adopted_at is None:
        values["when"] = ctx.time(d.withdrawn_at or d.closed_at or d.opened_at)
        lines.append(_("**Proposal #{n}** from {author}, withdrawn on {when} while open:"))
        lines.append("{text}")
    else:
        judged = verdict(rule, t, recorded(d))
        why = judged.why
        if t.blocked:
            names = [
                await ctx.mention(a.user_id, ping=False) for a in answers if a.answer == "block"
            ]
            blocked = ", ".join(sorted((b.label for b in names), key=str.casefold))
            why = _("blocked by {names}").format(names=blocked)
        adopted = d.adopted_at is not None
        values.update(when=ctx.time(d.closed_at or d.opened_at), why=why)
        if d.closed_by is not None:
            values["closer"] = await ctx.mention(d.closed_by, ping=False)
        if d.no_quorum:
            lines.append(_("**Proposal #{n}** from {author}: **not adopted** on {when}."))
        else:
            lines.append(_closing(adopted, d.closed_early, d.closed_by is not None))
        if d.seconded_by is not None:
            values["second"] = await ctx.mention(d.seconded_by, ping=False)
            values["closer"] = await ctx.mention(d.closed_by, ping=False)
            lines.append(_("Closed early by {closer}, seconded by {second}."))
        lines.append("{text}")
        lines.append(_("Under {rule}: {why}."))
        if d.outcome and (d.outcome != d.text or not adopted):
            values["outcome"] = d.outcome
            lines.append(_("Outcome: {outcome}"))
        if d.status == "withdrawn":
            values["withdrawn"] = ctx.time(d.withdrawn_at or d.opened_at)
            lines.append(_("Withdrawn on {withdrawn}: it no longer applies."))
    lines.append(_("Tally: {counts}."))
    if answers:
        values["answers"] = await answer_rows(ctx, answers)
        lines.append("{answers}")
    return lines


def _review_lines(d: Decision, values: dict[str, object]) -> list[str]:
    """How a decision and its review (`!propose ... review 3m`) are linked."""
    lines = []
    if d.review_of is not None:
        values["review_of"] = d.review_of
        lines.append(_("It proposes to keep decision #{review_of}."))
    if d.reviewed_as is not None:
        values["reviewed_as"] = d.reviewed_as
        lines.append(_("Its review: proposal #{reviewed_as}."))
    elif d.review_after and d.status in ("open", "adopted"):
        values["review_after"] = d.review_after
        lines.append(_("Once adopted, it comes back for review {review_after} later."))
    return lines


def _closing(adopted: bool, early: bool, by: bool) -> str:
    """The line saying how a proposal closed: adopted or rejected; at its closing time, or
    decided (early), by whom."""
    if adopted:
        if early and by:
            return _(
                "**Proposal #{n}** from {author}: **adopted** on {when}, decided early by {closer}."
            )
        if early:
            return _("**Proposal #{n}** from {author}: **adopted** on {when}, decided early.")
        if by:
            return _("**Proposal #{n}** from {author}: **adopted** on {when}, decided by {closer}.")
        return _("**Proposal #{n}** from {author}: **adopted** on {when}, at its closing time.")
    if early and by:
        return _(
            "**Proposal #{n}** from {author}: **rejected** on {when}, decided early by {closer}."
        )
    if early:
        return _("**Proposal #{n}** from {author}: **rejected** on {when}, decided early.")
    if by:
        return _("**Proposal #{n}** from {author}: **rejected** on {when}, decided by {closer}.")
    return _("**Proposal #{n}** from {author}: **rejected** on {when}, at its closing time.")


async def follow_through(ctx: Context, d: Decision, values: dict[str, object]) -> str:
    """An adopted decision's follow-through, as a line to add (with its leading newline):
    the tasks tied to it, done and open, or that none is yet."""
    if d.status != "adopted":
        return ""
    got = await labour.progress(ctx.session, d.id)
    if not got.any:
        values["p"] = ctx.prefix
        return "\n" + _(
            "**Follow-through**: no task yet. `{p}task add <name> for #{n}` ties one to it."
        )
    parts = []
    if got.done:
        parts.append(
            ngettext("{n} task done ({names})", "{n} tasks done ({names})", len(got.done)).format(
                n=len(got.done), names=", ".join(got.done)
            )
        )
    if got.open:
        parts.append(
            ngettext("{n} open ({names})", "{n} open ({names})", len(got.open)).format(
                n=len(got.open), names=", ".join(got.open)
            )
        )
    values["follow"] = "; ".join(parts)
    return "\n" + _("**Follow-through**: {follow}.")
