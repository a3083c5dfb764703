"""Live meetings: everyone speaks once before anyone speaks twice.

`!stack` puts you on the speaking stack; `!next` gives the floor to whoever
has spoken least in this meeting, first come first served among equals, and
never to the same person twice in a row while others wait.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.context import Context, Mention, Rows
from handlers.i18n import N_, _
from handlers.registry import Practice
from storage import meetings
from storage.models import Meeting, StackEntry

MIRROR = N_("A mirror, not a score: turns from the stack, not who was heard or how well.")

practice = Practice(N_("Live meetings"), N_("A progressive speaking stack and random go-rounds."))

NOTES_LIMIT = 30  # notes listed in the summary; `!export notes` has them all

# What the meetings' other modules do when a meeting starts (the agenda is taken up) and
# ends; they register here, so this module needs none of them.
MeetingHook = Callable[[Context, Meeting], Awaitable[None]]
ON_START: list[MeetingHook] = []
ON_END: list[MeetingHook] = []  # after the summary of `!meeting end`


@dataclass(frozen=True)
class Waiting:
    user_id: str
    added_at: datetime
    order: int  # arrival order, to break ties between equal timestamps


def stack_order(waiting: Sequence[Waiting], turns: dict[str, int], last: str | None) -> list[str]:
    """Who speaks next, in order: fewest turns so far, then arrival; no one twice in a row."""
    ranked = sorted(waiting, key=lambda w: (turns.get(w.user_id, 0), w.added_at, w.order))
    order = [w.user_id for w in ranked]
    if len(order) > 1 and order[0] == last:
        order.append(order.pop(0))
    return order


def _state(entries: list[StackEntry]) -> tuple[list[Waiting], dict[str, int], str | None]:
    turns: dict[str, int] = {}
    last, last_at = None, None
    waiting = []
    for e in entries:
        if e.called_at is None:
            waiting.append(Waiting(e.user_id, e.added_at, e.id))
        else:
            turns[e.user_id] = turns.get(e.user_id, 0) + 1
            if last_at is None or e.called_at >= last_at:
                last, last_at = e.user_id, e.called_at
    return waiting, turns, last


async def _meeting(ctx: Context, create: bool) -> tuple[Meeting | None, bool]:
    found = await meetings.running(ctx.session, ctx.collective_id)
    if found is None and create:
        started = await meetings.start(ctx.session, ctx.collective_id, ctx.author, ctx.now())
        await ctx.audit("meeting.started")
        return started, True
    return found, False


async def _render_stack(
    ctx: Context, meeting: Meeting, lead: str, values: dict[str, object], *, call: bool = False
) -> None:
    """Show the stack after `lead`; `call`: the point is to reach who is named (`!next`)."""
    entries = await meetings.entries(ctx.session, meeting.id)
    waiting, turns, last = _state(entries)
    names = await ctx.quiet_names()
    order = stack_order(waiting, turns, last)
    spoken = " " + _("(has spoken)")
    values["stack"] = Rows(
        "- {who}{spoken}",
        [
            {
                "who": names.get(user) or Mention(user, ping=False),
                "spoken": spoken if turns.get(user) else "",
            }
            for user in order
        ],
    )
    template = lead + "\n" + (_("Stack:\n{stack}") if order else _("The stack is empty."))
    await (ctx.call if call else ctx.reply)(template, **values)


@practice.command(
    "meeting start",
    summary=N_("Start a live meeting: the speaking stack begins empty."),
    examples=("!meeting start",),
)
async def meeting_start(ctx: Context) -> None:
    meeting, created = await _meeting(ctx, create=True)
    assert meeting is not None
    if not created:
        await ctx.reply(
            _("A meeting is already running since {t}."),
            t=ctx.time(meeting.started_at),
        )
        return
    await ctx.reply(
        _(
            "Meeting started by {who}. `{p}stack` to ask for the floor, `{p}next` to give it, "
            "`{p}round` for a go-round, `{p}meeting end` to close."
        ),
        who=await ctx.mention(ctx.author, ping=False),
        p=ctx.prefix,
    )
    await _started(ctx, meeting)


async def _started(ctx: Context, meeting: Meeting) -> None:
    """After the answer that a meeting started: the agenda, an opening round."""
    for hook in ON_START:
        await hook(ctx, meeting)


@practice.command(
    "stack",
    summary=N_("Put yourself on the speaking stack (starting a meeting if none runs) and show it."),
    examples=("!stack",),
)
async def stack(ctx: Context) -> None:
    meeting, created = await _meeting(ctx, create=True)
    assert meeting is not None
    entries = await meetings.entries(ctx.session, meeting.id)
    already = any(e.user_id == ctx.author and e.called_at is None for e in entries)
    if not already:
        await meetings.push(ctx.session, meeting.id, ctx.author, ctx.now())
        await ctx.audit("stack.joined")
    who = await ctx.mention(ctx.author, ping=False)
    lead = _("{who} is already on the stack.") if already else _("{who} is on the stack.")
    if created:
        lead = _("Meeting started.") + " " + lead
    await _render_stack(ctx, meeting, lead, {"who": who})
    if created:
        await _started(ctx, meeting)


@practice.command(
    "stack show",
    summary=N_("Show the speaking stack without joining it."),
    examples=("!stack show",),
)
async def stack_show(ctx: Context) -> None:
    meeting, _created = await _meeting(ctx, create=False)
    if meeting is None:
        await ctx.reply(_("No meeting is running. `{p}stack` starts one."), p=ctx.prefix)
        return
    await _render_stack(
        ctx, meeting, _("Asked by {who}."), {"who": await ctx.mention(ctx.author, ping=False)}
    )


@practice.command(
    "next", summary=N_("Give the floor to the next speaker on the stack."), examples=("!next",)
)
async def next_speaker(ctx: Context) -> None:
    meeting, _created = await _meeting(ctx, create=False)
    if meeting is None:
        await ctx.reply(_("No meeting is running. `{p}stack` starts one."), p=ctx.prefix)
        return
    entries = await meetings.entries(ctx.session, meeting.id)
    waiting, turns, last = _state(entries)
    order = stack_order(waiting, turns, last)
    if not order:
        await ctx.reply(_("The stack is empty. `{p}stack` to ask for the floor."), p=ctx.prefix)
        return
    chosen = next(e for e in entries if e.user_id == order[0] and e.called_at is None)
    previous = current_turn(entries)
    chosen.called_at = ctx.now()
    await ctx.audit("stack.called", members={"speaker": order[0]})
    values: dict[str, object] = {
        "speaker": await ctx.mention(order[0]),
        "who": await ctx.mention(ctx.author, ping=False),
    }
    lead = _("The floor is {speaker}'s (called by {who}).")
    if previous is not None and previous.called_at is not None:
        values["prev"] = await ctx.mention(previous.user_id, ping=False)
        values["min"] = turn_minutes(previous.called_at, ctx.now())
        lead += " " + _("{prev} had it for {min} min.")
    if meeting.turn_limit:
        values["limit"] = meeting.turn_limit
        lead += " " + _("Turns are {limit} min (`{p}timer`).")
        values["p"] = ctx.prefix
    await _render_stack(ctx, meeting, lead, values, call=True)


def current_turn(entries: Sequence[StackEntry]) -> StackEntry | None:
    """Whoever was given the floor last: their turn lasts until the next `!next`."""
    called = [e for e in entries if e.called_at is not None]
    return max(called, key=lambda e: (e.called_at, e.id)) if called else None


def turn_minutes(start: datetime, end: datetime) -> int:
    return round((end - start).total_seconds() / 60)


@practice.command(
    "round", summary=N_("A random order for a go-round of every member."), examples=("!round",)
)
async def go_round(ctx: Context) -> None:
    names = await ctx.quiet_names()
    order = [names[user_id] for user_id in sorted(names)]
    random.Random(ctx.event_id or ctx.now().isoformat()).shuffle(order)
    await ctx.reply(
        _("**Go-round order** (drawn at random, asked for by {who}):\n{order}"),
        who=await ctx.mention(ctx.author, ping=False),
        order=Rows("{n}. {who}", [{"n": i + 1, "who": m} for i, m in enumerate(order)]),
    )
