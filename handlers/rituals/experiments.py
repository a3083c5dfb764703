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
from handlers.decisions.rules import ANSWER_HELP, closing_time, rule_words, short
from handlers.errors import UsageError
from handlers.i18n import N_, _
from handlers.registry import Practice
from handlers.timeparse import Interval, interval, longer
from storage import decisions, experiments
from storage.models import Experiment

practice = Practice(
    N_("Experiments"), N_("Trials of a change in structure, each reviewed: keep, change or drop.")
)

DEFAULT = "1m"
LONGEST = "1y"
MAX_CHANGE = 300
LIST_LIMIT = 20
HOURLY = "0 * * * *"
# The review proposal's text: written in the collective's language when it is opened, and
# kept so, as the proposal's text (members read it in every view of the proposal).
REVIEW = N_("keep, change or drop: {change} (experiment #{n})")
# A proposal's status (a stored key) as members read it.
STATUS = {
    "open": N_("open"),
    "adopted": N_("adopted"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
}


def _status(status: str) -> str:
    return _(STATUS[status]) if status in STATUS else status


@practice.command(
    "experiment",
    Text("change", max_length=MAX_CHANGE),
    KeywordDuration("duration", optional=True),
    summary=N_(
        "Record a trial of a structural change (default one month); then keep, change or drop."
    ),
    examples=(
        "!experiment a speaking timekeeper in every meeting",
        "!experiment random facilitation order for 2w",
    ),
)
async def experiment(ctx: Context, change: str, duration: Interval | None) -> None:
    if not normalise(change):
        raise UsageError(_("Missing change."))
    cycle = duration or interval(DEFAULT)
    if longer(cycle.text, LONGEST):
        await ctx.reply(
            _(
                "An experiment runs at most {most}: a longer trial is no trial. Try "
                "`{p}experiment <change> for 3m`."
            ),
            most=_("a year (1y)"),
            p=ctx.prefix,
        )
        return
    now = ctx.now()
    made = await experiments.start(
        ctx.session, ctx.collective_id, change, cycle.text, ctx.author, now, now + cycle.step
    )
    await ctx.audit("experiment.started", number=made.number, cycle=cycle.text)
    await ctx.reply(
        _(
            "Experiment **#{n}** from {who}: {change}\nIt runs for {d}, until {end}. Then I open "
            "a proposal to keep, change or drop it, decided under the group's rule. "
            "`{p}experiments` lists every experiment."
        ),
        n=made.number,
        who=await ctx.mention(ctx.author, ping=False),
        change=change,
        d=cycle.text,
        end=ctx.time(made.ends_at),
        p=ctx.prefix,
    )


async def _state(ctx: Context, e: Experiment) -> str:
    """Where an experiment stands, as a value of its row (any user text in it is escaped
    with the rest of the value)."""
    tried = _("tried {first} to {last}").format(
        first=ctx.date(e.started_at), last=ctx.date(e.ends_at)
    )
    if e.review_number is None:
        if e.ends_at > ctx.now():
            return _("running since {since}, until {until} ({duration})").format(
                since=ctx.date(e.started_at), until=ctx.time(e.ends_at), duration=e.duration
            )
        return _("{tried}; its review opens within the hour").format(tried=tried)
    found = await decisions.by_number(ctx.session, ctx.collective_id, e.review_number)
    if found is None:  # decisions are never deleted; a guard all the same
        return _("{tried}; reviewed in proposal #{n}").format(tried=tried, n=e.review_number)
    if found.status == "open":
        closes = ctx.time(found.closes_at) if found.closes_at else _("when decided")
        return _("{tried}; review: proposal #{n}, open until {closes}").format(
            tried=tried, n=found.number, closes=closes
        )
    when = ctx.date(found.withdrawn_at or found.closed_at or found.opened_at)
    if found.status == "withdrawn" and found.adopted_at is not None:
        state = _("adopted, later withdrawn ({when})").format(when=when)
    else:
        state = _("{status} on {when}").format(status=_status(found.status), when=when)
    outcome = ""
    if found.outcome and found.outcome != found.text:
        outcome = f": {short(found.outcome, 120)}"
    return _("{tried}; review: proposal #{n}, {state}{outcome}").format(
        tried=tried, n=found.number, state=state, outcome=outcome
    )


@practice.command(
    "experiments",
    summary=N_("The group's experiments: those running, and past ones with their review."),
    examples=("!experiments",),
)
async def show(ctx: Context) -> None:
    found = await experiments.every(ctx.session, ctx.collective_id)
    if not found:
        await ctx.reply(
            _(
                "No experiments yet. `{p}experiment <change> [for <duration>]` records a trial, "
                "e.g. `{p}experiment a speaking timekeeper for 2w`."
            ),
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
        _("**Experiments**, newest first\n{rows}\n`{p}proposal <number>` shows a review in full."),
        rows=Rows(_("- **#{n}** {change} (from {who}): {state}"), rows, limit=LIST_LIMIT),
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
            _(REVIEW).format(change=e.change, n=e.number),
            e.started_by,
            now,
            closes_at=closes,
            rule=rule,
        )
        e.review_number, e.reviewed_at = made.number, now
        await ctx.audit("experiment.review", automatic=True, number=e.number, proposal=made.number)
        # `{answers}` is a template of its own, with `{p}` and `{n}`: put in before filling.
        template = _(
            "**Experiment #{e}** has run its course ({start} to {end}): {change}\n"
            "Proposal **#{n}**: keep, change or drop it? Open until {closes}, decided by "
            "{rule}. Answer with {answers}; `{p}decide {n} <outcome>` (keep it, change it to "
            "..., drop it) records what the group chose."
        ).replace("{answers}", _(ANSWER_HELP))
        await ctx.announce(
            template,
            e=e.number,
            start=ctx.date(e.started_at),
            end=ctx.date(e.ends_at),
            change=e.change,
            n=made.number,
            closes=ctx.time(closes),
            rule=rule_words(rule),
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
            _(
                "**Experiment #{e}** ({change}) is decided: proposal #{n} was {status}{outcome}. "
                "`{p}experiments` shows it with the experiment; `{p}proposal {n}` shows who "
                "said what."
            ),
            e=e.number,
            change=short(e.change, 120),
            n=found.number,
            status=_status(found.status),
            outcome=outcome,
            p=ctx.prefix,
        )
