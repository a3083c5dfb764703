"""How a proposal or decision reads in the room: where it stands, who answered what, and
the whole of it once closed (names and reasons only then)."""

from __future__ import annotations

from handlers.context import Context, Rows
from handlers.decision_rules import ANSWER_HELP, RULES, VERBS, counts, verdict
from storage import decisions
from storage.decisions import PROPOSAL
from storage.models import Decision, DecisionAnswer


def rule_of(ctx: Context, decision: Decision) -> str:
    """The rule a decision is judged by: its own, kept when it opened, else the room's."""
    return decision.rule or ctx.settings.decision_rule


async def blockers(ctx: Context, answers: list[DecisionAnswer]) -> Rows:
    return Rows(
        "- {who}: {reason}",
        [
            {
                "who": await ctx.mention(a.user_id, ping=False),
                "reason": a.reason or "(no reason kept)",
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
            "verb": VERBS.get(a.answer, a.answer),
            "reason": f": {a.reason}" if a.reason else "",
        }
        rank = order.index(a.answer) if a.answer in order else len(order)
        keyed.append(((rank, who.label.casefold()), row))
    keyed.sort(key=lambda pair: pair[0])
    return Rows("- {who} {verb}{reason}", [row for _, row in keyed])


def state(ctx: Context, d: Decision) -> str:
    """One phrase for where a decision stands."""
    if d.status == "open":
        closes = ctx.time(d.closes_at) if d.closes_at else "no closing time"
        return f"open until {closes}"
    if d.status == "withdrawn":
        return f"withdrawn {ctx.date(d.withdrawn_at or d.closed_at or d.opened_at)}"
    if d.kind != PROPOSAL:
        return f"recorded {ctx.date(d.opened_at)}"
    return f"{d.status} {ctx.date(d.closed_at or d.opened_at)}"


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
        lines.append("**Decision #{n}**, taken elsewhere, recorded by {author} on {when}:")
        lines.append("{text}")
        if d.status == "withdrawn":
            values["withdrawn"] = ctx.time(d.withdrawn_at or d.opened_at)
            lines.append("Withdrawn on {withdrawn}: it no longer applies.")
    elif d.status == "open":
        t = await decisions.tally(ctx.session, d.id)
        rule = rule_of(ctx, d)
        standing = verdict(rule, t)
        values.update(
            closes=ctx.time(d.closes_at) if d.closes_at else "no closing time",
            rule=RULES.get(rule, rule),
            counts=counts(t),
            would="be adopted" if standing.adopted else "not be adopted",
            why=standing.why,
        )
        lines.append("**Proposal #{n}** from {author}, open until {closes}, under {rule}:")
        lines.append("{text}")
        lines.append("Counts so far: {counts}. As things stand it would {would}: {why}.")
        lines.append("Who answered what is shown once it closes. Answer with " + ANSWER_HELP + ".")
    else:
        lines += await closed_lines(ctx, d, values)
    if dissent and d.status == "open":
        values["dissent_n"] = len(dissent)
        lines.append("Dissent on record: {dissent_n} (names and reasons once it closes).")
    elif dissent:
        values["dissent"] = Rows(
            "- {who} ({when}): {reason}",
            [
                {
                    "who": await ctx.mention(x.user_id, ping=False),
                    "when": ctx.date(x.at),
                    "reason": x.reason,
                }
                for x in dissent
            ],
        )
        lines.append("Dissent on record:\n{dissent}")
    return "\n".join(lines), values


async def closed_lines(ctx: Context, d: Decision, values: dict[str, object]) -> list[str]:
    """The lines of a proposal that stopped being open: outcome, tally, who said what."""
    answers = await decisions.answers(ctx.session, d.id)
    t = decisions.snapshot(d) or await decisions.tally(ctx.session, d.id)
    rule = rule_of(ctx, d)
    values.update(rule=RULES.get(rule, rule), counts=counts(t))
    lines = []
    if d.status == "withdrawn" and d.adopted_at is None:
        values["when"] = ctx.time(d.withdrawn_at or d.closed_at or d.opened_at)
        lines.append("**Proposal #{n}** from {author}, withdrawn on {when} while open:")
        lines.append("{text}")
    else:
        judged = verdict(rule, t)
        why = judged.why
        if t.blocked:
            names = [
                await ctx.mention(a.user_id, ping=False) for a in answers if a.answer == "block"
            ]
            why = "blocked by " + ", ".join(sorted((b.label for b in names), key=str.casefold))
        how = "at its closing time"
        if d.closed_by is not None or d.closed_early:
            how = "decided early" if d.closed_early else "decided"
            if d.closed_by is not None:
                values["closer"] = await ctx.mention(d.closed_by, ping=False)
                how += " by {closer}"
        adopted = d.adopted_at is not None
        values.update(
            status="adopted" if adopted else "rejected",
            when=ctx.time(d.closed_at or d.opened_at),
            why=why,
        )
        lines.append("**Proposal #{n}** from {author}: **{status}** on {when}, " + how + ".")
        lines.append("{text}")
        lines.append("Under {rule}: {why}.")
        if d.outcome and (d.outcome != d.text or not adopted):
            values["outcome"] = d.outcome
            lines.append("Outcome: {outcome}")
        if d.status == "withdrawn":
            values["withdrawn"] = ctx.time(d.withdrawn_at or d.opened_at)
            lines.append("Withdrawn on {withdrawn}: it no longer applies.")
    lines.append("Tally: {counts}.")
    if answers:
        values["answers"] = await answer_rows(ctx, answers)
        lines.append("{answers}")
    return lines
