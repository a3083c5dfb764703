"""Experiments with structure: trials of a change in how the group works, with a set cycle
and a keep/change/drop review.

`!experiment <change> [for <duration>]` records a trial (default one month, at most a
year). When its time is up (checked hourly) the bot opens a proposal "keep, change or
drop: <change> (experiment #N)" in the decision practice, under the collective's rule and
closing time, in the name of whoever started the trial. Once that proposal closes (at its
closing time, or with `!decide N <outcome>`), the hourly check keeps its result with the
experiment and says so: the decision is in the log, and the experiment points at it by number.
"""

from __future__ import annotations

from handlers.arguments import KeywordDuration, Text, normalise
from handlers.context import Context, Rows
from handlers.decision_rules import ANSWER_HELP, RULES, closing_time, short
from handlers.errors import UsageError
from handlers.registry import Practice
from handlers.timeparse import Interval, interval, longer
from storage import decisions, experiments
from storage.models import Experiment

practice = Practice(
    "Experiments", "Trials of a change in structure, each reviewed: keep, change or drop."
)

DEFAULT = "1m"
LONGEST = "1y"
MAX_CHANGE = 300
LIST_LIMIT = 20
HOURLY = "0 * * * *"
PREFIX = "keep, change or drop: "


@practice.command(
    "experiment",
    Text("change", max_length=MAX_CHANGE),
    KeywordDuration("duration", optional=True),
    summary="Record a trial of a structural change (default one month); then keep, change or drop.",
    examples=(
        "!experiment a speaking timekeeper in every meeting",
        "!experiment random facilitation order for 2w",
    ),
)
async def experiment(ctx: Context, change: str, duration: Interval | None) -> None:
    if not normalise(change):
        raise UsageError("Missing change.")
    cycle = duration or interval(DEFAULT)
    if longer(cycle.text, LONGEST):
        await ctx.reply(
            "An experiment runs at most {most}: a longer trial is no trial. Try "
            "`{p}experiment <change> for 3m`.",
            most="a year (1y)",
            p=ctx.prefix,
        )
        return
    now = ctx.now()
    made = await experiments.start(
        ctx.session, ctx.collective_id, change, cycle.text, ctx.author, now, now + cycle.step
    )
    await ctx.audit("experiment.started", number=made.number, cycle=cycle.text)
    await ctx.reply(
        "Experiment **#{n}** from {who}: {change}\nIt runs for {d}, until {end}. Then I open a "
        "proposal to keep, change or drop it, decided under the group's rule. "
        "`{p}experiments` lists every experiment.",
        n=made.number,
        who=await ctx.mention(ctx.author, ping=False),
        change=change,
        d=cycle.text,
        end=ctx.time(made.ends_at),
        p=ctx.prefix,
    )


async def _state(ctx: Context, e: Experiment) -> str:
    tried = f"tried {ctx.date(e.started_at)} to {ctx.date(e.ends_at)}"
    if e.review_number is None:
        if e.ends_at > ctx.now():
            since, until = ctx.date(e.started_at), ctx.time(e.ends_at)
            return f"running since {since}, until {until} ({e.duration})"
        return f"{tried}; its review opens within the hour"
    found = await decisions.by_number(ctx.session, ctx.collective_id, e.review_number)
    if found is None:  # decisions are never deleted; a guard all the same
        return f"{tried}; reviewed in proposal #{e.review_number}"
    if found.status == "open":
        closes = ctx.time(found.closes_at) if found.closes_at else "when decided"
        return f"{tried}; review: proposal #{found.number}, open until {closes}"
    when = ctx.date(found.withdrawn_at or found.closed_at or found.opened_at)
    if found.status == "withdrawn" and found.adopted_at is not None:
        state = f"adopted, later withdrawn ({when})"
    else:
        state = f"{found.status} on {when}"
    outcome = ""
    if found.outcome and found.outcome != found.text:
        outcome = f": {short(found.outcome, 120)}"
    return f"{tried}; review: proposal #{found.number}, {state}{outcome}"


@practice.command(
    "experiments",
    summary="The group's experiments: those running, and past ones with their review.",
    examples=("!experiments",),
)
async def show(ctx: Context) -> None:
    found = await experiments.every(ctx.session, ctx.collective_id)
    if not found:
        await ctx.reply(
            "No experiments yet. `{p}experiment <change> [for <duration>]` records a trial, "
            "e.g. `{p}experiment a speaking timekeeper for 2w`.",
            p=ctx.prefix,
        )
        return
    rows = [
        {
            "n": e.number,
            "change": short(e.change, 120),
            "who": await ctx.mention(e.started_by, ping=False),
            "state": await _state(ctx, e),
        }
        for e in found
    ]
    await ctx.reply(
        "**Experiments**, newest first\n{rows}\n`{p}proposal <number>` shows a review in full.",
        rows=Rows("- **#{n}** {change} (from {who}): {state}", rows, limit=LIST_LIMIT),
        p=ctx.prefix,
    )


@practice.job("experiment-review", lambda settings: HOURLY)
async def review(ctx: Context) -> None:
    """Hourly: an experiment whose time is up gets its keep/change/drop proposal, once;
    one whose proposal has closed gets its result recorded and said, once."""
    now = ctx.now()
    for e in await experiments.due_reviews(ctx.session, ctx.collective_id, now):
        rule = ctx.settings.decision_rule
        closes = closing_time(now, ctx.settings.decision_open_days, ctx.settings.timezone)
        made = await decisions.propose(
            ctx.session,
            ctx.collective_id,
            f"{PREFIX}{e.change} (experiment #{e.number})",
            e.started_by,
            now,
            closes_at=closes,
            rule=rule,
        )
        e.review_number, e.reviewed_at = made.number, now
        await ctx.audit("experiment.review", automatic=True, number=e.number, proposal=made.number)
        await ctx.announce(
            "**Experiment #{e}** has run its course ({start} to {end}): {change}\n"
            "Proposal **#{n}**: keep, change or drop it? Open until {closes}, decided by "
            "{rule}. Answer with " + ANSWER_HELP + "; `{p}decide {n} <outcome>` (keep it, "
            "change it to ..., drop it) records what the group chose.",
            e=e.number,
            start=ctx.date(e.started_at),
            end=ctx.date(e.ends_at),
            change=e.change,
            n=made.number,
            closes=ctx.time(closes),
            rule=RULES.get(rule, rule),
            p=ctx.prefix,
        )
    for e in await experiments.under_review(ctx.session, ctx.collective_id):
        assert e.review_number is not None
        found = await decisions.by_number(ctx.session, ctx.collective_id, e.review_number)
        if found is None or found.status == "open":
            continue
        e.result = found.status
        e.decided_at = found.closed_at or found.withdrawn_at or now
        await ctx.audit(
            "experiment.reviewed",
            automatic=True,
            number=e.number,
            proposal=found.number,
            status=found.status,
        )
        outcome = ""
        if found.outcome and found.outcome != found.text:
            outcome = f": {short(found.outcome)}"
        await ctx.say(
            "**Experiment #{e}** ({change}) is decided: proposal #{n} was {status}{outcome}. "
            "`{p}experiments` shows it with the experiment; `{p}proposal {n}` shows who "
            "said what.",
            e=e.number,
            change=short(e.change, 120),
            n=found.number,
            status=found.status,
            outcome=outcome,
            p=ctx.prefix,
        )
