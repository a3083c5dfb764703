"""Decisions and transparency: proposals answered by members and closed under the
collective's rule, decisions taken elsewhere, dissent on record, and the searchable log.

`!propose` opens proposal #N until a closing time (`[decisions] open_days` ahead, rounded
up to the next full hour, when the hourly job closes it); members answer `!agree`,
`!abstain`, `!object` or `!block`, each member's latest answer counting once. While a
proposal is open only the counts are shown (with hidden answers, `private.py`, the answers
themselves are given in a direct chat); once it is closed, who answered what, with every
reason verbatim. The rules count members, not only answers (`rules.py`): below the quorum
(`[decisions] quorum`, kept on the proposal) it closes "no quorum", not adopted; consent
is adopted unless a block stands; majority when more than half of those who answered
agree; unanimity only when every member who is not away agrees or stands aside.

A standing block stops adoption under every rule and cannot be decided over. Before its
closing time, `!decide` closes a proposal when every member has answered; otherwise it
waits for a second member (`!second`), and both are recorded: whoever asked as the closer,
the second member beside them (`log.py` carries it out).
"""

from __future__ import annotations

from handlers.arguments import KeywordDuration, Number, Text, normalise
from handlers.context import Context
from handlers.decisions import private, views
from handlers.decisions.closing import settle
from handlers.decisions.rules import (
    ANSWERING,
    DEFINITIONS,
    closing_time,
    counts,
    everyone_answered,
    rule_words,
    short,
)
from handlers.errors import UsageError
from handlers.i18n import N_, _
from handlers.registry import Practice
from handlers.seconds import ask_second
from handlers.timeparse import Interval
from storage import decisions, entry
from storage.decisions import PROPOSAL
from storage.models import Decision

practice = Practice(
    N_("Decisions"),
    N_("Proposals answered by everyone and closed under the group's rule; a log with dissent."),
)

# An earlier answer, as the reply to a changed one names it (the command word).
ANSWER_WORDS = {
    "agree": N_("agree"),
    "abstain": N_("abstain"),
    "object": N_("object"),
    "block": N_("block"),
}


def _said(text: str, missing: str) -> str:
    """Text a member typed, refused (saying `missing`) when nothing visible is left of it."""
    if not normalise(text):
        raise UsageError(missing)
    return text


async def _proposal(ctx: Context, number: int) -> Decision | None:
    """An open proposal by number, or None after telling the member why not."""
    found = await decisions.by_number(ctx.session, ctx.collective_id, number)
    if found is None:
        await ctx.reply(
            _("There is no proposal #{n}. `{p}decisions` lists them."), n=number, p=ctx.prefix
        )
        return None
    if found.kind != PROPOSAL:
        await ctx.reply(
            _(
                "#{n} is a decision taken elsewhere and recorded, not a proposal: it takes no "
                "answers. `{p}dissent {n} <reason>` puts disagreement on record."
            ),
            n=number,
            p=ctx.prefix,
        )
        return None
    if found.status != "open":
        await ctx.reply(
            _(
                "Proposal #{n} is closed ({state}) and takes no more answers. "
                "`{p}dissent {n} <reason>` puts disagreement on record; `{p}proposal {n}` "
                "shows it."
            ),
            n=number,
            state=views.state(ctx, found),
            p=ctx.prefix,
        )
        return None
    return found


@practice.command(
    "propose",
    Text("text"),
    KeywordDuration("duration", keyword="review", optional=True),
    summary=N_("Open a proposal for everyone to answer until its closing date."),
    examples=(
        "!propose we move the weekly meeting to Thursdays",
        "!propose we rotate the kitchen shifts review 3m",
    ),
)
async def propose(ctx: Context, text: str, duration: Interval | None) -> None:
    review = duration
    text = _said(text, _("Missing text."))
    rule = ctx.settings.decision_rule
    now = ctx.now()
    closes = closing_time(now, ctx.settings.decision_open_days, ctx.settings.timezone)
    made = await decisions.propose(
        ctx.session, ctx.collective_id, text, ctx.author, now, closes_at=closes, rule=rule
    )
    made.quorum = ctx.settings.decision_quorum
    made.hidden = ctx.settings.decision_answers == "hidden"
    made.review_after = review.text if review is not None else None
    await ctx.audit("proposal.opened", number=made.number)
    template = _(
        "Proposal **#{n}** from {who}: {text}\nOpen until {closes}, decided by {rule}. "
        "Answer with `{p}agree {n}`, `{p}abstain {n} [reason]`, `{p}object {n} <reason>` "
        "or `{p}block {n} <reason>`; `{p}proposal {n}` shows the counts so far."
    )
    if made.hidden:
        template += " " + _(
            "Answers are given in private, in your direct chat with me; the room sees only "
            "the counts until it closes, then who said what."
        )
    if review is not None:
        template += " " + _("Once adopted, it comes back {review} later as a proposal to keep it.")
    await ctx.reply(
        template,
        who=await ctx.mention(ctx.author, ping=False),
        text=text,
        closes=ctx.time(closes),
        rule=rule_words(rule),
        p=ctx.prefix,
        n=made.number,
        review=review.text if review is not None else "",
    )


async def _answer(ctx: Context, number: int, answer: str, reason: str | None) -> None:
    if ctx.is_direct and ctx.answer_room is None:  # typed in a direct chat with the bot
        there = await private.in_direct_chat(ctx, number)
        if there is None:
            return
        ctx, found = there
    else:
        open_one = await _proposal(ctx, number)
        if open_one is None:
            return
        if open_one.hidden:
            await private.refuse_in_room(ctx, open_one)
            return
        found = open_one
    if found.closes_at is not None and found.closes_at <= ctx.now():
        await ctx.reply(
            _(
                "Proposal #{n} closed at {closes}; it takes no more answers. The result is "
                "posted within the hour."
            ),
            n=number,
            closes=ctx.time(found.closes_at),
        )
        return
    if reason is not None and not normalise(reason):
        if answer == "abstain":
            reason = None  # an abstention's reason is optional: nothing visible is none
        else:
            _said(reason, _("Missing reason."))
    # A newcomer in their entry sprint is a collaborator, not yet a full member: their
    # block is heard and kept, as an objection ("collaborators, not yet full decision-makers").
    newcomer = answer == "block" and (
        await entry.current(ctx.session, ctx.collective_id, ctx.author) is not None
    )
    if newcomer:
        answer = "object"
    previous = await decisions.set_answer(ctx.session, found, ctx.author, answer, reason, ctx.now())
    await ctx.audit("proposal.answered", number=number)  # not what: that stays private while open
    t = await decisions.tally(ctx.session, found.id)
    if previous == answer:
        template = _(
            "{who} {verb} proposal #{n} (as before; this answer replaces the earlier one). "
            "Counts so far: {counts}; it closes {closes}."
        )
    elif previous is not None:
        template = _(
            "{who} {verb} proposal #{n} (changed from {previous}; only the new answer counts). "
            "Counts so far: {counts}; it closes {closes}."
        )
    else:
        template = _("{who} {verb} proposal #{n}. Counts so far: {counts}; it closes {closes}.")
    rule = views.rule_of(ctx, found)
    if newcomer:
        template += " " + _(
            "You are in your entry sprint, a collaborator and not yet a full member, so your "
            "block counts as an objection: it is on the record with your reason and the group "
            "hears it, but it does not stop the proposal by itself. Thank you for saying it."
        )
    elif answer == "block":
        template += " " + _("A block stops the proposal under every rule while it stands.")
    elif answer == "abstain" and rule == "unanimity":
        template += " " + _("Under unanimity standing aside does not stop the proposal.")
    await ctx.reply(
        template,
        who=await ctx.mention(ctx.author, ping=False),
        verb=_(ANSWERING[answer]),
        n=number,
        previous=_(ANSWER_WORDS[previous]) if previous in ANSWER_WORDS else previous or "",
        counts=counts(t),
        closes=ctx.time(found.closes_at) if found.closes_at else _("when decided"),
    )


@practice.command(
    "agree",
    Number("proposal"),
    summary=N_("Agree to a proposal (a changed answer replaces your earlier one)."),
    examples=("!agree 3",),
    direct_ok=True,
)
async def agree(ctx: Context, proposal: int) -> None:
    await _answer(ctx, proposal, "agree", None)


@practice.command(
    "abstain",
    Number("proposal"),
    Text("reason", optional=True),
    summary=N_("Stand aside from a proposal, with a reason if you like."),
    examples=("!abstain 3", "!abstain 3 I will be away that month"),
    direct_ok=True,
)
async def abstain(ctx: Context, proposal: int, reason: str | None) -> None:
    await _answer(ctx, proposal, "abstain", reason)


@practice.command(
    "object",
    Number("proposal"),
    Text("reason"),
    summary=N_("Object to a proposal, with the reason (recorded, shown once it closes)."),
    examples=("!object 3 Thursdays clash with the food bank shift",),
    direct_ok=True,
)
async def object_(ctx: Context, proposal: int, reason: str) -> None:
    await _answer(ctx, proposal, "object", reason)


@practice.command(
    "block",
    Number("proposal"),
    Text("reason"),
    summary=N_("Block a proposal you cannot live with, with the reason: it is not adopted."),
    examples=("!block 3 this breaks our agreement with the tenants' union",),
    direct_ok=True,
)
async def block(ctx: Context, proposal: int, reason: str) -> None:
    await _answer(ctx, proposal, "block", reason)


@practice.command(
    "proposal",
    Number("number"),
    summary=N_("Show one proposal or decision: counts while open; who said what once closed."),
    examples=("!proposal 3",),
)
async def show(ctx: Context, number: int) -> None:
    found = await views.numbered(ctx, number)
    if found is None:
        return
    text, values = await views.describe(ctx, found)
    text += await views.follow_through(ctx, found, values)
    await ctx.reply(text, **values)


@practice.command(
    "decide",
    Number("proposal"),
    Text("outcome", optional=True),
    summary=N_("Close a proposal now under the group's rule and record the outcome."),
    examples=("!decide 3", "!decide 3 meetings move to Thursdays from April"),
    details=DEFINITIONS,
)
async def decide(ctx: Context, proposal: int, outcome: str | None) -> None:
    found = await decisions.by_number(ctx.session, ctx.collective_id, proposal)
    if found is None:
        await ctx.reply(
            _("There is no proposal #{n}. `{p}decisions` lists them."), n=proposal, p=ctx.prefix
        )
        return
    if found.kind != PROPOSAL or found.status != "open":
        await ctx.reply(
            _(
                "#{n} is not an open proposal ({kind}, {state}); nothing changed. "
                "`{p}proposal {n}` shows it."
            ),
            n=proposal,
            kind=_("a proposal") if found.kind == PROPOSAL else _("a decision taken elsewhere"),
            state=views.state(ctx, found),
            p=ctx.prefix,
        )
        return
    now = ctx.now()
    t = await decisions.tally(ctx.session, found.id)
    answers = await decisions.answers(ctx.session, found.id)
    if t.blocked:  # under every rule: nobody decides over a standing block, not even its author
        await ctx.reply(
            _(
                "Proposal #{n} cannot be decided: it is blocked, and a standing block stops it "
                "under every rule.\n{blockers}\nNothing changed. A block stands until whoever "
                "blocked changes their answer (`{p}agree {n}`, `{p}abstain {n}` or "
                "`{p}object {n} <reason>`); still standing at the closing time ({closes}), it "
                "rejects the proposal."
            ),
            n=proposal,
            blockers=await views.blockers(ctx, answers),
            p=ctx.prefix,
            closes=ctx.time(found.closes_at) if found.closes_at else _("none set"),
        )
        return
    if outcome is not None:
        outcome = _said(outcome, _("Missing outcome."))
    early = found.closes_at is not None and now < found.closes_at
    if early and not everyone_answered(t, await views.electorate(ctx, found, now)):
        payload: dict[str, object] = {"number": proposal}
        if outcome is not None:
            payload["outcome"] = outcome
        await ask_second(
            ctx,
            "decide early",
            payload,
            _("close proposal #{n} before {closes}: {text}").format(
                n=proposal, closes=ctx.time(found.closes_at or now), text=short(found.text)
            ),
            template=_(
                "Request **#{n}** from {who}: {what}. Not every member has answered yet, so "
                "nobody closes it early alone: it waits for a second member, `{p}second {n}` "
                "before {until}. Otherwise it closes by itself at its closing time."
            ),
        )
        return
    await settle(ctx, found, now, "proposal.decided", by=ctx.author, outcome=outcome)
    text, values = await views.describe(ctx, found)
    await ctx.reply(text, **values)


@practice.command(
    "decision",
    Text("text"),
    summary=N_("Record a decision taken elsewhere (a meeting), in the same log."),
    examples=("!decision the assembly chose the new meeting place: the library",),
)
async def record(ctx: Context, text: str) -> None:
    text = _said(text, _("Missing text."))
    made = await decisions.record(ctx.session, ctx.collective_id, text, ctx.author, ctx.now())
    await ctx.audit("decision.recorded", number=made.number)
    await ctx.reply(
        _(
            "Recorded decision **#{n}** from {who}, taken elsewhere: {text}\n"
            "It has no answers or tally here; `{p}dissent {n} <reason>` puts disagreement on "
            "record."
        ),
        n=made.number,
        who=await ctx.mention(ctx.author, ping=False),
        text=text,
        p=ctx.prefix,
    )


@practice.command(
    "dissent",
    Number("decision"),
    Text("reason"),
    summary=N_("Put your dissent on record with any proposal or decision, open or closed."),
    examples=("!dissent 4 we never asked the people this affects",),
)
async def dissent(ctx: Context, decision: int, reason: str) -> None:
    found = await views.numbered(ctx, decision)
    if found is None:
        return
    reason = _said(reason, _("Missing reason."))
    await decisions.add_dissent(ctx.session, found.id, ctx.author, reason, ctx.now())
    await ctx.audit("decision.dissent", number=decision)
    if found.kind == PROPOSAL:
        template = _("{who}'s dissent is on record with proposal #{n} ({state}): {reason}")
    else:
        template = _("{who}'s dissent is on record with decision #{n} ({state}): {reason}")
    if found.status == "open":
        template += " " + _(
            "It is still open: `{p}object {n} <reason>` or `{p}block {n} <reason>` would "
            "count in deciding it; dissent only goes on record."
        )
    await ctx.reply(
        template,
        who=await ctx.mention(ctx.author, ping=False),
        n=decision,
        state=views.state(ctx, found),
        reason=reason,
        p=ctx.prefix,
    )
