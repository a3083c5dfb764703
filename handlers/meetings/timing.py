"""Time in a meeting: `!timer <minutes>` sets how long a speaking turn may take, and the
speaker is told once (mentioned, so it reaches them) when theirs has passed it; the
`[meetings] opening_round` and `closing_round` questions (off unless set) open and close a
meeting with a go-round in random order: the seed's circles of intention and capacity, and
its closing affirmation."""

from __future__ import annotations

import random

from handlers.arguments import Number
from handlers.context import Context, Rows
from handlers.i18n import N_, _
from handlers.meetings import stack
from handlers.meetings.stack import current_turn, practice
from storage import meetings
from storage.models import Meeting

MOST_MINUTES = 120


@practice.command(
    "timer",
    Number("minutes", minimum=0),
    summary=N_("During a meeting: how many minutes a speaking turn may take (0: no limit)."),
    examples=("!timer 3", "!timer 0"),
)
async def timer(ctx: Context, minutes: int) -> None:
    running = await meetings.running(ctx.session, ctx.collective_id)
    if running is None:
        await ctx.reply(_("No meeting is running. `{p}meeting start` starts one."), p=ctx.prefix)
        return
    if minutes > MOST_MINUTES:
        await ctx.reply(_("A turn may take at most {most} minutes."), most=MOST_MINUTES)
        return
    running.turn_limit = minutes or None
    await ctx.audit("meeting.timer", minutes=minutes)
    who = await ctx.mention(ctx.author, ping=False)
    if not minutes:
        await ctx.reply(_("{who} lifted the turn limit."), who=who)
        return
    await ctx.reply(
        _(
            "{who} set turns to {n} min: whoever has the floor is told once when theirs has "
            "passed it."
        ),
        who=who,
        n=minutes,
    )


async def overruns(ctx: Context) -> None:
    """The speaker whose turn has passed the limit is told, once per turn."""
    running = await meetings.running(ctx.session, ctx.collective_id)
    if running is None or not running.turn_limit:
        return
    turn = current_turn(await meetings.entries(ctx.session, running.id))
    if turn is None or turn.called_at is None or turn.told_at is not None:
        return
    used = (ctx.now() - turn.called_at).total_seconds() / 60
    if used < running.turn_limit:
        return
    turn.told_at = ctx.now()
    await ctx.announce(
        _(
            "{who}, your turn has passed the {n} minutes agreed. Time to come to a close and "
            "hand the floor on (`{p}next`)."
        ),
        who=await ctx.mention(turn.user_id),
        n=running.turn_limit,
        p=ctx.prefix,
    )


async def _round(ctx: Context, title: str, question: str) -> None:
    names = await ctx.quiet_names()
    order = [names[user_id] for user_id in sorted(names)]
    random.SystemRandom().shuffle(order)
    await ctx.say(
        title + "\n{order}",
        question=question,
        order=Rows("{n}. {who}", [{"n": i + 1, "who": m} for i, m in enumerate(order)]),
    )


async def opening(ctx: Context, meeting: Meeting) -> None:
    if ctx.settings.opening_round:
        await _round(
            ctx, _("**Opening round**, in this order: {question}"), ctx.settings.opening_round
        )


async def closing(ctx: Context, meeting: Meeting) -> None:
    if ctx.settings.closing_round:
        await _round(
            ctx, _("**Closing round**, in this order: {question}"), ctx.settings.closing_round
        )


stack.ON_START.append(opening)
stack.ON_END.append(closing)
