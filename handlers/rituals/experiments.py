"""Experiments with structure: trials of a change in how the group works, with a set cycle
and a keep/change/drop review.

`!experiment <change> [for <duration>]` records a trial (default one month, at most a
year); `!experiments` lists them with where each stands. When a trial's time is up the
group reviews it: keep, change or drop (`handlers/rituals/review.py`), and the outcome is
kept with the experiment and recorded in the decision log.
"""

from __future__ import annotations

from handlers.arguments import KeywordDuration, Text, normalise
from handlers.context import Context, Rows
from handlers.decisions.rules import short
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
            "Experiment **#{n}** from {who}: {change}\nIt runs for {d}, until {end}. Then the "
            "group answers whether to keep, change or drop it, and the answer most members "
            "give is recorded as a decision. `{p}experiments` lists every experiment."
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
    follows = " " + _("(changed from #{n})").format(n=e.follows) if e.follows else ""
    if e.review_closes_at is not None:
        return tried + _review_state(ctx, e) + follows
    if e.review_number is None:
        if e.ends_at > ctx.now():
            return (
                _("running since {since}, until {until} ({duration})").format(
                    since=ctx.date(e.started_at), until=ctx.time(e.ends_at), duration=e.duration
                )
                + follows
            )
        return _("{tried}; its review opens within the hour").format(tried=tried) + follows
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


def _review_state(ctx: Context, e: Experiment) -> str:
    """A review by keep/change/drop answers: open, or its outcome (after `tried ...`)."""
    assert e.review_closes_at is not None
    if e.result is None:
        return "; " + _(
            "review open until {closes}: `{p}keep {n}`, `{p}change {n} <how>` or `{p}drop {n}`"
        ).format(closes=ctx.time(e.review_closes_at), n=e.number, p=ctx.prefix)
    if e.result == "keep":
        return "; " + _("kept (decision #{d})").format(d=e.review_number)
    if e.result == "drop":
        return "; " + _("dropped (decision #{d})").format(d=e.review_number)
    if e.result == "change":
        text = _("changed (decision #{d}): {how}").format(
            d=e.review_number, how=short(e.outcome_how or "", 120)
        )
        if e.continued_as:
            text += " " + _("(runs on as #{n})").format(n=e.continued_as)
        return "; " + text
    return "; " + _("no outcome (no answers, or a tie): ended")


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
        _(
            "**Experiments**, newest first\n{rows}\n`{p}proposal <number>` shows a review's "
            "decision in full."
        ),
        rows=Rows(_("- **#{n}** {change} (from {who}): {state}"), rows, limit=LIST_LIMIT),
        p=ctx.prefix,
    )
