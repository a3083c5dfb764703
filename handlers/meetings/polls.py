"""Native polls: `!poll <question>; <option>; <option> ...` posts a Matrix poll (Element
shows it with buttons); members answer with their client, and the latest answer of each
member counts. It closes at `!poll close N` or after `[meetings] poll_days`, and the bot
ends it (`m.poll.end`) and posts the tally: counts per option and how many members
answered, never who chose what. While it is open, an answer is kept as who and which
option only; at the close only the counts stay.

Who closes a poll early: its author (it is their question), or anyone once every member
has answered (nobody is left to wait for); otherwise a request for a second member, as for
every act that cuts the others short (`handlers/seconds.py`).

Other practices open polls with `open_poll(ctx, question, options, on_close="key")` and
are told the result by the function registered with `@when_closed("key")`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from handlers.arguments import Text
from handlers.context import Context, Rows
from handlers.errors import UsageError
from handlers.i18n import N_, _, ngettext
from handlers.meetings.stack import practice
from handlers.registry import MAX_LINE, PollAnswer, Posted
from handlers.seconds import ask_second
from storage import polls
from storage.polls import MAX_OPTIONS, Poll, Tally

log = logging.getLogger(__name__)

MARKER = "poll"
MAX_QUESTION = 300
MAX_OPTION = 200
HOURLY = "0 * * * *"

Closer = Callable[[Context, Poll, Tally], Awaitable[None]]
CLOSERS: dict[str, Closer] = {}


def when_closed(key: str) -> Callable[[Closer], Closer]:
    """Register what a practice does with the result of the polls it opened under `key`
    (called in the transaction that closes the poll, after the tally is posted)."""

    def register(func: Closer) -> Closer:
        if key in CLOSERS and CLOSERS[key] is not func:
            raise ValueError(f"poll close handler {key!r} declared twice")
        CLOSERS[key] = func
        return func

    return register


def marker(poll_id: int) -> str:
    return f"{MARKER}:{poll_id}"


def read_marker(text: str) -> int | None:
    kind, _sep, number = text.partition(":")
    return int(number) if kind == MARKER and number.isascii() and number.isdigit() else None


def parse(text: str) -> tuple[str, list[str]]:
    """`question; option; option ...` with white space folded; a UsageError that says what
    is wrong otherwise."""
    parts = [" ".join(p.split()) for p in text.split(";")]
    question, options = parts[0], [p for p in parts[1:] if p]
    return checked(question, options)


def checked(question: str, options: Sequence[str]) -> tuple[str, list[str]]:
    if not question:
        raise UsageError(_("A poll needs a question before the first `;`."))
    if len(question) > MAX_QUESTION:
        raise UsageError(
            _("The question is too long ({n} characters; at most {most}).").format(
                n=len(question), most=MAX_QUESTION
            )
        )
    if len(options) < 2:
        raise UsageError(_("A poll needs at least two options, each after a `;`."))
    if len(options) > MAX_OPTIONS:
        raise UsageError(
            _("A poll has at most {most} options; this one has {n}.").format(
                most=MAX_OPTIONS, n=len(options)
            )
        )
    for option in options:
        if len(option) > MAX_OPTION:
            raise UsageError(
                _("An option is too long ({n} characters; at most {most}).").format(
                    n=len(option), most=MAX_OPTION
                )
            )
    folded = [o.casefold() for o in options]
    if len(set(folded)) < len(folded):
        raise UsageError(_("Two options are the same; each option must differ."))
    return question, list(options)


async def open_poll(
    ctx: Context,
    question: str,
    options: Sequence[str],
    *,
    on_close: str | None = None,
    ref: str | None = None,
    closes_at: datetime | None = None,
) -> Poll:
    """Post a native poll in the collective's room, open for `[meetings] poll_days`. By a
    member's command, `ctx.author` is its author; from a practice, `on_close` names the
    `when_closed` handler told of its result (with `ref`, e.g. a decision's number)."""
    question, options = checked(question, options)
    nominal = closes_at or ctx.now() + timedelta(days=ctx.settings.poll_days)
    closes = ctx.runtime.next_fire("poll-close", nominal) or nominal
    poll = await polls.open_poll(
        ctx.session,
        ctx.collective_id,
        question,
        options,
        by=ctx.author or None,
        now=ctx.now(),
        closes_at=closes,
        on_close=on_close,
        ref=ref,
    )
    await ctx.post_poll(marker(poll.id), question, options)
    await ctx.audit("poll.opened", number=poll.number)
    return poll


@practice.command(
    "poll",
    # As long as a command may be: the question and each option have their own limits.
    Text("question", label="<question>; <option>; <option> ...", max_length=MAX_LINE),
    summary=N_(
        "Ask the room a native poll (buttons in Element); the latest answer of each member "
        "counts, and the tally comes at its close."
    ),
    examples=("!poll Which evening for the assembly?; Tuesday; Wednesday; Thursday",),
)
async def poll_command(ctx: Context, question: str) -> None:
    text, options = parse(question)
    poll = await open_poll(ctx, text, options)
    await ctx.reply(
        _(
            "Poll **#{n}** is open until {closes}: answer with the poll's buttons; the latest "
            "answer of each member counts. `{p}poll close {n}` ends it early."
        ),
        n=poll.number,
        closes=ctx.time(poll.closes_at),
        p=ctx.prefix,
    )


@practice.command(
    "poll close",
    Text("number"),
    summary=N_("Close a poll now and post its tally (its author, or with a second member)."),
    examples=("!poll close 2",),
)
async def poll_close(ctx: Context, number: str) -> None:
    digits = number.removeprefix("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        if ";" in number:  # a poll whose question starts with "close"
            await poll_command(ctx, f"close {number}")
            return
        raise UsageError(_("`{text}` is not a number.").format(text=number[:40]))
    found = await polls.by_number(ctx.session, ctx.collective_id, int(digits))
    if found is None:
        await ctx.reply(_("There is no poll #{n}. `{p}polls` lists the open ones."),
                        n=int(digits), p=ctx.prefix)  # fmt: skip
        return
    if found.closed_at is not None:
        await ctx.reply(_("Poll #{n} is closed already."), n=found.number)
        return
    members = set(await ctx.quiet_names())
    everyone = members <= set(await polls.responses(ctx.session, found.id))
    if found.created_by == ctx.author or everyone:
        await close(ctx, found, _("closed with `{p}poll close`").format(p=ctx.prefix))
        return
    await ask_second(
        ctx,
        "close poll",
        {"number": found.number},
        _("close poll #{n} before its time").format(n=found.number),
        template=_(
            "Request **#{n}** from {who}: {what}. Closing a poll early cuts short the members "
            "who have not answered yet, so it waits for a second member: `{p}second {n}` "
            "before {until}. (Its author may close it alone, and anyone may once every "
            "member has answered.)"
        ),
    )


@practice.overwrite("close poll")
async def carry_out_close(ctx: Context, payload: dict[str, Any]) -> str:
    number = int(payload["number"])
    found = await polls.by_number(ctx.session, ctx.collective_id, number)
    if found is None or found.closed_at is not None:
        raise UsageError(_("Poll #{n} is closed already.").format(n=number))
    await close(ctx, found, _("closed early, with a second member"))
    return _("poll #{n} is closed").format(n=number)


@practice.command(
    "polls",
    summary=N_("List the open polls, with how many members answered so far."),
    examples=("!polls",),
    read_only=True,
)
async def list_polls(ctx: Context) -> None:
    found = await polls.open_polls(ctx.session, ctx.collective_id)
    if not found:
        await ctx.reply(_("No poll is open. `{p}poll <question>; <option>; <option>` asks one."),
                        p=ctx.prefix)  # fmt: skip
        return
    members = set(await ctx.quiet_names())
    rows = []
    for poll in found:
        answered = len(set(await polls.responses(ctx.session, poll.id)) & members)
        rows.append(
            {
                "n": poll.number,
                "question": poll.question,
                "closes": ctx.time(poll.closes_at),
                "answered": _answered(answered, len(members)),
            }
        )
    await ctx.reply(
        _("Open polls:") + "\n{rows}",
        rows=Rows(_("- **#{n}** {question} ({answered}; closes {closes})"), rows),
    )


def _answered(answered: int, members: int) -> str:
    return ngettext(
        "{answered} of {members} member answered",
        "{answered} of {members} members answered",
        members,
    ).format(answered=answered, members=members)


def _votes(n: int) -> str:
    return ngettext("{n} vote", "{n} votes", n).format(n=n)


async def close(ctx: Context, poll: Poll, how: str) -> Tally:
    """End the poll in the room (`m.poll.end`, once the bot knows its start event) and post
    the tally; then the practice that opened it, if any, is told the result."""
    members = set(await ctx.quiet_names())
    tally = await polls.close(ctx.session, poll, ctx.now(), members, by=ctx.author or None)
    counts = "; ".join(f"{text}: {votes}" for _n, text, votes in tally.options)
    if poll.event_id is not None:
        await ctx.end_poll(poll.event_id, _("The poll is closed. {counts}"), counts=counts)
    await ctx.reply(
        _("**Poll #{n}** is closed ({how}): {question}") + "\n{rows}\n{answered}.",
        n=poll.number,
        how=how,
        question=poll.question,
        rows=Rows(
            "- {option}: {votes}",
            [{"option": text, "votes": _votes(votes)} for _n, text, votes in tally.options],
        ),
        answered=_answered(tally.answered, tally.members),
    )
    await ctx.audit(
        "poll.closed",
        automatic=not ctx.author,
        number=poll.number,
        answered=tally.answered,
        of=tally.members,
    )
    if poll.on_close is not None:
        closer = CLOSERS.get(poll.on_close)
        if closer is None:
            log.warning("poll %s closed with no handler for %r", poll.id, poll.on_close)
        else:
            await closer(ctx, poll, tally)
    return tally


@practice.job("poll-close", lambda settings: HOURLY)
async def close_due(ctx: Context) -> None:
    """Hourly: each poll whose time is up closes and its tally is posted, once."""
    for poll in await polls.due(ctx.session, ctx.collective_id, ctx.now()):
        late = ctx.now() - poll.closes_at > timedelta(hours=1)
        await close(
            ctx, poll, _("late: the bot was offline at its end") if late else _("at its end")
        )


@practice.on_posted
async def poll_posted(ctx: Context, posted: Posted) -> None:
    poll_id = read_marker(posted.marker)
    if poll_id is not None:
        await polls.saw_post(ctx.session, ctx.collective_id, poll_id, posted.event_id)


@practice.on_poll_answer
async def poll_answer(ctx: Context, answer: PollAnswer) -> None:
    """The latest answer of a member counts; one that names no option of the poll (or
    more than one: these polls take one) is a spoiled ballot and takes the answer back.
    Answers to closed or unknown polls, and from users who are not members, are ignored."""
    poll = await polls.at_event(ctx.session, ctx.collective_id, answer.poll)
    if poll is None or poll.closed_at is not None:
        return
    if answer.sender not in await ctx.quiet_names():
        return
    count = len(await polls.options(ctx.session, poll.id))
    first = answer.answers[0] if answer.answers else ""
    number = int(first) if first.isascii() and first.isdigit() and len(first) < 4 else 0
    await polls.answer(
        ctx.session, poll.id, answer.sender, number if 1 <= number <= count else None
    )
