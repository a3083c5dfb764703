"""An experiment's review: keep, change or drop, as three answers (`!keep N`, `!change N
<how>`, `!drop N`, N the experiment's number) instead of a yes/no proposal that said
nothing about what the group chose.

When a trial's time is up (checked hourly) the review opens until the collective's usual
closing time (`[decisions] open_days`). Each member's latest answer counts; the room sees
only counts until it closes. Then the answer most members gave is the outcome, recorded in
the decision log as a decision and shown by `!experiments`:
- keep or drop: said and recorded as such;
- change: the change most members wrote (the earliest given, on a tie) is recorded, and
  the changed experiment starts at once for the same cycle, pointing back at this one;
- no answers, or a tie between the top answers: no outcome and no decision. The trial ends
  (a structural change stays only when the group chooses it: silence must not keep it);
  `!experiment` starts it again.
Reviews opened as a proposal before this (by an earlier version) close as they did.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from handlers.arguments import Number, Text, normalise
from handlers.context import Context
from handlers.decisions.rules import closing_time, short
from handlers.errors import UsageError
from handlers.heard import PollAnswer
from handlers.i18n import N_, _
from handlers.meetings.polls import open_poll, when_closed
from handlers.rituals.experiments import MAX_CHANGE, STATUS, practice
from handlers.timeparse import duration
from storage import decisions, experiments, polls
from storage.models import Experiment, ExperimentAnswer, Poll
from storage.polls import Tally

HOURLY = "0 * * * *"
ANSWERS = ("keep", "change", "drop")
ANSWER_WORDS = {"keep": N_("keep"), "change": N_("change"), "drop": N_("drop")}
OPTIONS = {"keep": N_("keep it"), "change": N_("change it"), "drop": N_("drop it")}
REVIEW_POLL = "experiment-review"  # the review's native poll, closed with it
# The decision recorded for an outcome, in the collective's language when it is recorded.
DECIDED = {
    "keep": N_("Experiment #{n} ({change}) is kept, after its review ({counts})."),
    "change": N_("Experiment #{n} ({change}) is changed, after its review ({counts}): {how}"),
    "drop": N_("Experiment #{n} ({change}) is dropped, after its review ({counts})."),
}


@dataclass(frozen=True)
class Outcome:
    result: str  # keep | change | drop | none
    how: str | None
    counts: dict[str, int]


def outcome(answers: list[ExperimentAnswer]) -> Outcome:
    """The plurality of the answers; no answers or a tie at the top is no outcome."""
    counts = {a: sum(1 for x in answers if x.answer == a) for a in ANSWERS}
    top = max(counts.values())
    winners = [a for a in ANSWERS if counts[a] == top]
    if not top or len(winners) > 1:
        return Outcome("none", None, counts)
    how = None
    if winners[0] == "change":
        hows = [x.how for x in answers if x.answer == "change" and x.how]
        tally = Counter(normalise(h) for h in hows)
        best = max(tally.values())
        how = next(h for h in hows if tally[normalise(h)] == best)  # the earliest on a tie
    return Outcome(winners[0], how, counts)


def counted(counts: dict[str, int]) -> str:
    return _("{keep} keep, {change} change, {drop} drop").format(**counts)


async def _under_review(ctx: Context, number: int) -> Experiment | None:
    """Experiment `number` whose review takes answers now, or None after saying why not."""
    e = await experiments.by_number(ctx.session, ctx.collective_id, number)
    if e is None:
        await ctx.reply(
            _("There is no experiment #{n}. `{p}experiments` lists them."), n=number, p=ctx.prefix
        )
        return None
    if e.review_number is None and e.review_closes_at is None:
        await ctx.reply(
            _("Experiment #{n} runs until {end}; its review opens then."),
            n=number,
            end=ctx.time(e.ends_at),
        )
        return None
    if e.review_closes_at is None:
        await ctx.reply(
            _("Experiment #{n} is reviewed by proposal #{r}: `{p}proposal {r}` shows it."),
            n=number,
            r=e.review_number,
            p=ctx.prefix,
        )
        return None
    if e.result is not None or e.review_closes_at <= ctx.now():
        await ctx.reply(
            _("The review of experiment #{n} is closed. `{p}experiments` shows its outcome."),
            n=number,
            p=ctx.prefix,
        )
        return None
    return e


async def _answer(ctx: Context, number: int, answer: str, how: str | None) -> None:
    e = await _under_review(ctx, number)
    if e is None:
        return
    assert e.review_closes_at is not None
    previous = await experiments.set_answer(ctx.session, e, ctx.author, answer, how, ctx.now())
    await ctx.audit("experiment.answered", number=number)  # not what: counts only while open
    template = _("{who} answers **{answer}** to the review of experiment #{n} ({change}).")
    if previous is not None:
        template += " " + _("(It replaces your earlier answer.)")
    template += " " + _("Counts so far: {counts}; it closes {closes}.")
    await ctx.reply(
        template,
        who=await ctx.mention(ctx.author, ping=False),
        answer=_(ANSWER_WORDS[answer]),
        n=number,
        change=short(e.change, 120),
        counts=counted(outcome(await experiments.answers(ctx.session, e.id)).counts),
        closes=ctx.time(e.review_closes_at),
    )


@practice.command(
    "keep",
    Number("experiment"),
    summary=N_("In an experiment's review: keep the change as it was tried."),
    examples=("!keep 2",),
)
async def keep(ctx: Context, experiment: int) -> None:
    await _answer(ctx, experiment, "keep", None)


@practice.command(
    "change",
    Number("experiment"),
    Text("how", max_length=MAX_CHANGE),
    summary=N_("In an experiment's review: change it, saying how (it can run again so)."),
    examples=("!change 2 a timekeeper who rotates every meeting",),
)
async def change(ctx: Context, experiment: int, how: str) -> None:
    if not normalise(how):
        raise UsageError(_("Missing how."))
    await _answer(ctx, experiment, "change", how)


@practice.command(
    "drop",
    Number("experiment"),
    summary=N_("In an experiment's review: drop the change and go back to how it was."),
    examples=("!drop 2",),
)
async def drop(ctx: Context, experiment: int) -> None:
    await _answer(ctx, experiment, "drop", None)


async def _open(ctx: Context, e: Experiment) -> None:
    now = ctx.now()
    closes = closing_time(now, ctx.settings.decision_open_days, ctx.settings.timezone)
    e.reviewed_at, e.review_closes_at = now, closes
    await ctx.audit("experiment.review_opened", automatic=True, number=e.number)
    await ctx.announce(
        _(
            "**Experiment #{n}** has run its course ({start} to {end}): {change}\n"
            "Keep, change or drop it? Answer `{p}keep {n}`, `{p}change {n} <how>` or "
            "`{p}drop {n}` until {closes}; each member's latest answer counts. The answer "
            "most members give is recorded as the group's decision; a change starts again "
            "as changed. With no answers, or a tie, nothing is decided and the trial ends."
        ),
        n=e.number,
        start=ctx.date(e.started_at),
        end=ctx.date(e.ends_at),
        change=e.change,
        closes=ctx.time(closes),
        p=ctx.prefix,
    )
    # The same question as a native poll (buttons in Element), closing with the review.
    await open_poll(
        ctx,
        _("Experiment #{n}: keep, change or drop it?").format(n=e.number),
        [_(OPTIONS[a]) for a in ANSWERS],
        on_close=REVIEW_POLL,
        ref=str(e.number),
        closes_at=closes,
    )


@when_closed(REVIEW_POLL)
async def _poll_closed(ctx: Context, poll: Poll, tally: Tally) -> None:
    """Nothing to do: each answer was taken into the review as it came (`poll_answer`)."""


@practice.on_poll_answer
async def poll_answer(ctx: Context, answer: PollAnswer) -> None:
    """A member's answer on the review's poll counts as `!keep`, `!change` or `!drop` (a
    change chosen there says no how; `!change N <how>` does)."""
    poll = await polls.at_event(ctx.session, ctx.collective_id, answer.poll)
    if poll is None or poll.on_close != REVIEW_POLL or not (poll.ref or "").isdigit():
        return
    if answer.sender not in await ctx.quiet_names() or len(answer.answers) != 1:
        return
    chosen = answer.answers[0]
    if not (chosen.isascii() and chosen.isdigit() and 1 <= int(chosen) <= len(ANSWERS)):
        return
    e = await experiments.by_number(ctx.session, ctx.collective_id, int(poll.ref or 0))
    if e is None or e.review_closes_at is None or e.result is not None:
        return
    if e.review_closes_at <= ctx.now():
        return
    word = ANSWERS[int(chosen) - 1]
    await experiments.set_answer(ctx.session, e, answer.sender, word, None, ctx.now())
    await ctx.audit("experiment.answered", number=e.number)


async def _close(ctx: Context, e: Experiment) -> None:
    assert e.review_closes_at is not None
    found = outcome(await experiments.answers(ctx.session, e.id))
    e.result, e.decided_at, e.outcome_how = found.result, e.review_closes_at, found.how
    values: dict[str, object] = {
        "n": e.number,
        "change": short(e.change, 120),
        "counts": counted(found.counts),
        "how": found.how or "",
        "p": ctx.prefix,
    }
    if found.result == "none":
        await ctx.audit("experiment.no_outcome", automatic=True, number=e.number)
        template = _(
            "The review of **experiment #{n}** ({change}) has closed with no outcome "
            "({counts}): nobody answered, or the top answers tied. Nothing is decided and the "
            "trial ends; `{p}experiment <change>` starts it again."
        )
        await ctx.say(template, **values)
        return
    text = _(DECIDED[found.result]).format(
        n=e.number, change=e.change, counts=counted(found.counts), how=found.how or ""
    )
    made = await decisions.record(ctx.session, ctx.collective_id, text, e.started_by, ctx.now())
    e.review_number = made.number
    values["d"] = made.number
    await ctx.audit(
        "experiment.outcome",
        automatic=True,
        number=e.number,
        outcome=found.result,
        decision=made.number,
    )
    template = _("{text} Recorded as decision #{d}; `{p}experiments` shows it.")
    values["text"] = text
    if found.result == "change" and found.how:
        now = ctx.now()
        step = duration(e.duration)
        follow = await experiments.start(
            ctx.session, ctx.collective_id, found.how, e.duration, e.started_by, now, now + step
        )
        follow.follows, e.continued_as = e.number, follow.number
        await ctx.audit("experiment.continued", automatic=True, number=e.number, new=follow.number)
        template += " " + _("The changed trial starts now as **experiment #{new}**, until {end}.")
        values.update(new=follow.number, end=ctx.time(follow.ends_at))
    await ctx.say(template, **values)


async def _close_proposal_review(ctx: Context, e: Experiment) -> None:
    """A review opened as a proposal by an earlier version: its result, once it closed."""
    assert e.review_number is not None
    found = await decisions.by_number(ctx.session, ctx.collective_id, e.review_number)
    if found is None or found.status == "open":
        return
    e.result = found.status
    e.decided_at = found.closed_at or found.withdrawn_at or ctx.now()
    await ctx.audit(
        "experiment.reviewed",
        automatic=True,
        number=e.number,
        proposal=found.number,
        status=found.status,
    )
    await ctx.say(
        _(
            "**Experiment #{e}** ({change}) is decided: proposal #{n} was {status}. "
            "`{p}experiments` shows it with the experiment."
        ),
        e=e.number,
        change=short(e.change, 120),
        n=found.number,
        status=_(STATUS[found.status]) if found.status in STATUS else found.status,
        p=ctx.prefix,
    )


@practice.job("experiment-review", lambda settings: HOURLY)
async def review(ctx: Context) -> None:
    """Hourly: a trial whose time is up gets its review, once; a review whose time is up
    gets its outcome recorded and said, once."""
    now = ctx.now()
    for e in await experiments.due_reviews(ctx.session, ctx.collective_id, now):
        await _open(ctx, e)
    for e in await experiments.reviews_to_close(ctx.session, ctx.collective_id, now):
        await _close(ctx, e)
    for e in await experiments.under_review(ctx.session, ctx.collective_id):
        await _close_proposal_review(ctx, e)
