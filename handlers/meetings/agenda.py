"""The agenda anyone shapes: `!agenda add <item> [10min]` puts an item forward for the next
meeting (the running one, while one runs), `!agenda` shows it, `!agenda drop N` takes one
off; `[meetings] standing_agenda` items are on every meeting's agenda. Who put each item
forward is kept, because who shapes the agenda is one of the seed's questions.

During a meeting the first item is taken up when it starts, `!agenda next` closes the
current item and takes up the next, and the minute tick tells the room once at 80% and once
at 100% of an item's planned time (`notices`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.arguments import Number, Param, Text
from handlers.context import Context, Rows
from handlers.errors import Mismatch
from handlers.i18n import N_, _
from handlers.meetings import stack
from handlers.meetings.stack import practice
from handlers.meetings.when import short_duration
from storage import agenda, meeting_calls, meetings
from storage.agenda import AgendaItem
from storage.models import Meeting

ITEM_LENGTH = 200
MOST_MINUTES = 8 * 60
_PLANNED = re.compile(r"^\d+(min|h)$")


@dataclass(frozen=True)
class Planned(Param):
    """`10min`, `1h`: an item's planned time, in whole minutes; any other last word stays
    part of the item."""

    async def convert(self, ctx: Context, text: str) -> Any:
        if not _PLANNED.match(text.casefold()):
            raise Mismatch(_("`{text}` is not a planned time like 10min.").format(text=text[:20]))
        minutes = int(short_duration(text).total_seconds() // 60)
        if minutes > MOST_MINUTES:
            raise Mismatch(_("An item is planned for at most 8 hours."))
        return minutes


def used_minutes(item: AgendaItem, now: datetime) -> int | None:
    if item.started_at is None:
        return None
    return round(((item.ended_at or now) - item.started_at).total_seconds() / 60)


async def _shown_items(ctx: Context) -> tuple[Meeting | None, list[AgendaItem | str]]:
    """The agenda as members see it: the running meeting's items, or the waiting items after
    the standing ones the configuration adds when the next meeting starts."""
    running = await meetings.running(ctx.session, ctx.collective_id)
    if running is not None:
        return running, list(await agenda.items(ctx.session, ctx.collective_id, running.id))
    waiting = await agenda.items(ctx.session, ctx.collective_id, None)
    return None, [*ctx.settings.standing_agenda, *waiting]


async def take_up(ctx: Context, meeting: Meeting) -> None:
    """A meeting starts: the standing items and the waiting ones become its agenda, and the
    first is taken up at once."""
    for text in ctx.settings.standing_agenda:
        await agenda.add(
            ctx.session, ctx.collective_id, text[:ITEM_LENGTH], None, None, ctx.now(),
            meeting_id=meeting.id, standing=True,
        )  # fmt: skip
    await agenda.take_up(ctx.session, ctx.collective_id, meeting.id)
    items = await agenda.items(ctx.session, ctx.collective_id, meeting.id)
    if not items:
        return
    items[0].started_at = ctx.now()
    await ctx.say(
        _("**Agenda** ({n} items), first: **{item}**{planned}. `{p}agenda next` moves on."),
        n=len(items),
        item=items[0].title,
        planned=_planned(items[0]),
        p=ctx.prefix,
    )


stack.ON_START.append(take_up)


def _planned(item: AgendaItem) -> str:
    if item.planned_minutes is None:
        return ""
    return " " + _("({n} min planned)").format(n=item.planned_minutes)


@practice.command(
    "agenda add",
    Text("item", max_length=ITEM_LENGTH),
    Planned("minutes", optional=True, label="[10min]"),
    summary=N_("Put an item on the next meeting's agenda (or the running one's), with a time."),
    examples=("!agenda add the summer camp 15min", "!agenda add who keeps the keys"),
)
async def agenda_add(ctx: Context, item: str, minutes: int | None) -> None:
    running = await meetings.running(ctx.session, ctx.collective_id)
    row = await agenda.add(
        ctx.session, ctx.collective_id, item, minutes, ctx.author, ctx.now(),
        meeting_id=running.id if running else None,
    )  # fmt: skip
    await ctx.audit("agenda.added", item=item)
    _meeting, shown = await _shown_items(ctx)
    position = next(i for i, it in enumerate(shown, 1) if isinstance(it, AgendaItem) and it is row)
    await ctx.reply(
        _("{who} put **{item}**{planned} on the agenda of {which}, as item {n}."),
        who=await ctx.mention(ctx.author, ping=False),
        item=item,
        planned=_planned(row),
        which=_("this meeting") if running else _("the next meeting"),
        n=position,
    )


@practice.command(
    "agenda",
    summary=N_("Show the agenda of the running meeting, or of the next one."),
    examples=("!agenda",),
    read_only=True,
)
async def agenda_show(ctx: Context) -> None:
    running, shown = await _shown_items(ctx)
    names = await ctx.quiet_names()
    rows: list[dict[str, object]] = []
    for item in shown:
        if isinstance(item, str):
            rows.append({"item": item, "how": " " + _("(standing)")})
            continue
        how = _planned(item)
        used = used_minutes(item, ctx.now())
        if used is not None:
            done = item.ended_at is not None
            how += " " + (_("done, {n} min used") if done else _("now, {n} min so far")).format(
                n=used
            )
        if item.standing:
            how += " " + _("(standing)")
        elif item.added_by is not None:
            who = names.get(item.added_by)
            how += " " + _("put forward by {who}").format(who=who.label if who else item.added_by)
        rows.append({"item": item.title, "how": how})
    if running is not None:
        lead = _("**Agenda of this meeting**")
    else:
        coming = await meeting_calls.coming(ctx.session, ctx.collective_id, ctx.now())
        lead = _("**Agenda of the next meeting**")
        if coming:
            lead += " " + _("(#{n}, {when})").format(
                n=coming[0].number, when=ctx.time(coming[0].starts_at)
            )
    if not rows:
        await ctx.reply(
            lead
            + "\n"
            + _("Nothing on it yet. `{p}agenda add <item> [10min]` puts an item forward."),
            p=ctx.prefix,
        )
        return
    people = {i.added_by for i in shown if isinstance(i, AgendaItem) and not i.standing}
    await ctx.reply(
        lead
        + "\n{rows}\n"
        + _("Put forward by {people} of the members; anyone adds with `{p}agenda add`."),
        rows=Rows("{n}. **{item}**{how}", [{"n": i + 1, **r} for i, r in enumerate(rows)]),
        people=len(people - {None}),
        p=ctx.prefix,
    )


@practice.command(
    "agenda drop",
    Number("item"),
    summary=N_("Take item N off the agenda."),
    examples=("!agenda drop 2",),
)
async def agenda_drop(ctx: Context, item: int) -> None:
    _running, shown = await _shown_items(ctx)
    if item > len(shown):
        await ctx.reply(
            _("The agenda has no item {n}. `{p}agenda` shows it."), n=item, p=ctx.prefix
        )
        return
    found = shown[item - 1]
    if isinstance(found, str):
        await ctx.reply(
            _("**{item}** is a standing item of the configuration (`[meetings] standing_agenda`); "
              "it can be dropped once the meeting runs."),
            item=found,
        )  # fmt: skip
        return
    found.dropped_at = ctx.now()
    found.dropped_by = ctx.author
    await ctx.audit("agenda.dropped", item=found.title)
    await ctx.reply(
        _("{who} took **{item}** off the agenda."),
        who=await ctx.mention(ctx.author, ping=False),
        item=found.title,
    )


@practice.command(
    "agenda next",
    summary=N_("During a meeting: close the current agenda item and take up the next."),
    examples=("!agenda next",),
)
async def agenda_next(ctx: Context) -> None:
    running = await meetings.running(ctx.session, ctx.collective_id)
    if running is None:
        await ctx.reply(_("No meeting is running. `{p}meeting start` starts one."), p=ctx.prefix)
        return
    items = await agenda.items(ctx.session, ctx.collective_id, running.id)
    now = ctx.now()
    closed = None
    for item in items:
        if item.started_at is not None and item.ended_at is None:
            item.ended_at = now
            closed = item
    following = next((i for i in items if i.started_at is None), None)
    values: dict[str, object] = {"p": ctx.prefix}
    lines = []
    if closed is not None:
        values.update(done=closed.title, used=used_minutes(closed, now) or 0)
        lines.append(_("Closed **{done}** after {used} min."))
    if following is None:
        lines.append(
            _("That was the last item on the agenda. `{p}meeting end` closes the meeting.")
        )
    else:
        following.started_at = now
        values.update(item=following.title, planned=_planned(following))
        lines.append(_("Now: **{item}**{planned}."))
        await ctx.audit("agenda.next", item=following.title)
    await ctx.reply(" ".join(lines), **values)


async def notices(ctx: Context) -> None:
    """Once each, gently: an item has used 80% of its planned time, then all of it. After
    downtime that passed both, only the second is said."""
    now = ctx.now()
    for item in await agenda.running_items(ctx.session, ctx.collective_id):
        if item.planned_minutes is None or item.started_at is None:
            continue
        used = (now - item.started_at).total_seconds() / 60
        if used >= item.planned_minutes and item.warned_full_at is None:
            item.warned_full_at = now
            item.warned_most_at = item.warned_most_at or now
            await ctx.say(
                _("**{item}** has used its {n} planned minutes. Time to close it, or agree to "
                  "go on; `{p}agenda next` moves on."),
                item=item.title, n=item.planned_minutes, p=ctx.prefix,
            )  # fmt: skip
        elif used >= 0.8 * item.planned_minutes and item.warned_most_at is None:
            item.warned_most_at = now
            await ctx.say(
                _("**{item}** has used {used} of its {n} planned minutes: a gentle nudge to "
                  "start wrapping it up."),
                item=item.title, used=int(used), n=item.planned_minutes,
            )  # fmt: skip
