"""Calling a meeting: `!meeting call <when> [topic]` reaches every member (an `m.text`
mentioning them, since default push rules never notify for a notice) with a calendar file,
and one reminder `[meetings] remind_before` ahead; `!meetings` lists the coming ones;
`!meeting cancel N` by its caller, or by anyone with a second member. Who called each
meeting is kept: the sovereignty lens asks how many members call meetings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from handlers.arguments import Number, Param, Text
from handlers.context import Context, File, Mention, Rows, defuse
from handlers.i18n import N_, _
from handlers.meetings import ics
from handlers.meetings.stack import practice
from handlers.meetings.when import minutes_words, parse_when, short_duration
from handlers.seconds import ask_second
from storage import meeting_calls
from storage.meeting_calls import MeetingCall

LENGTH = timedelta(hours=1)  # a calendar needs an end; an hour, until a meeting says otherwise
TOPIC_LENGTH = 200
CANCEL = "cancel meeting"


@dataclass(frozen=True)
class When(Param):
    """`thu 19:00`, `2026-12-10 18:30`, `tomorrow 9:30`: two words, a moment ahead (UTC)."""

    width: ClassVar[int] = 2

    @property
    def hint(self) -> str:
        # TRANSLATORS: a usage hint; thu 19:00 is typed as it is.
        return _("when: thu 19:00|2026-12-10 18:30")

    async def convert(self, ctx: Context, text: str) -> Any:
        return parse_when(text, ctx.now(), ctx.settings.timezone)


def remind_before(ctx: Context) -> timedelta:
    return short_duration(ctx.settings.remind_before)


def title(call: MeetingCall) -> str:
    return call.topic or _("Meeting")


async def everyone(ctx: Context) -> Rows:
    """Every member, mentioned so that each is notified (listed in `m.mentions`)."""
    names = await ctx.quiet_names()
    ordered = sorted(names.values(), key=lambda m: m.label.casefold())
    return Rows("{who}", [{"who": Mention(m.user_id, m.name, ping=True)} for m in ordered], ", ")


def calendar_file(ctx: Context, call: MeetingCall, *, cancelled: bool = False) -> File:
    event = ics.Event(
        uid=call.uid,
        start=call.starts_at,
        end=call.starts_at + LENGTH,
        summary=defuse(title(call)),
        description=defuse(
            _("Called in the room {room}. `{p}agenda` shows its agenda.").format(
                room=ctx.collective.name or ctx.room_id, p=ctx.prefix
            )
        ),
        sequence=1 if cancelled else 0,
        cancelled=cancelled,
    )
    return File(ics.calendar(event, ctx.now()), f"meeting-{call.number}.ics", "text/calendar")


@practice.command(
    "meeting call",
    When("when"),
    Text("topic", optional=True, max_length=TOPIC_LENGTH),
    summary=N_("Call a meeting for a day and time: every member is told, with a calendar file."),
    examples=("!meeting call thu 19:00 budget and summer camp", "!meeting call 2026-12-10 18:30"),
)
async def meeting_call(ctx: Context, when: datetime, topic: str | None) -> None:
    uid = f"{secrets.token_hex(12)}@flattening"
    call = await meeting_calls.call(
        ctx.session, ctx.collective_id, when, topic or None, ctx.author, ctx.now(), uid
    )
    ahead = remind_before(ctx)
    if when - ctx.now() <= ahead:
        call.reminded_at = ctx.now()  # this announcement is the reminder
    await ctx.audit("meeting.called", number=call.number, starts=when)
    await ctx.call(
        _(
            "**Meeting #{n}** called by {who}: **{topic}**, {when} ({zone}).\n"
            "For: {members}\n"
            "`{p}agenda add <item> [10min]` puts an item on its agenda; `{p}meetings` lists "
            "the meetings called. A reminder comes {before} ahead; the calendar file follows."
        ),
        n=call.number,
        who=await ctx.mention(ctx.author, ping=False),
        topic=title(call),
        when=ctx.time(when),
        zone=str(ctx.settings.timezone),
        members=await everyone(ctx),
        p=ctx.prefix,
        before=minutes_words(ahead),
    )
    await ctx.post_file(calendar_file(ctx, call), "")


@practice.command(
    "meetings",
    summary=N_("List the meetings called that are still ahead."),
    examples=("!meetings",),
    read_only=True,
)
async def meetings_list(ctx: Context) -> None:
    coming = await meeting_calls.coming(ctx.session, ctx.collective_id, ctx.now())
    if not coming:
        await ctx.reply(
            _("No meeting is called. `{p}meeting call thu 19:00 <topic>` calls one."),
            p=ctx.prefix,
        )
        return
    rows = [
        {
            "n": c.number,
            "topic": title(c),
            "when": ctx.time(c.starts_at),
            "who": await ctx.mention(c.called_by, ping=False),
        }
        for c in coming
    ]
    await ctx.reply(
        _("**Meetings called** ({zone}):\n{rows}\n`{p}meeting cancel N` cancels one."),
        zone=str(ctx.settings.timezone),
        rows=Rows(_("- #{n} {when}: **{topic}**, called by {who}"), rows),
        p=ctx.prefix,
    )


async def _cancel(ctx: Context, call: MeetingCall) -> None:
    call.cancelled_at = ctx.now()
    call.cancelled_by = ctx.author
    await ctx.audit(
        "meeting.cancelled",
        members={"caller": call.called_by},
        number=call.number,
        starts=call.starts_at,
    )
    await ctx.post_file(calendar_file(ctx, call, cancelled=True), "")


@practice.command(
    "meeting cancel",
    Number("meeting"),
    summary=N_("Cancel a called meeting: by its caller, or by another member with a second."),
    examples=("!meeting cancel 2",),
)
async def meeting_cancel(ctx: Context, meeting: int) -> None:
    call = await meeting_calls.by_number(ctx.session, ctx.collective_id, meeting)
    if call is None:
        await ctx.reply(_("There is no meeting #{n}. `{p}meetings` lists them."), n=meeting,
                        p=ctx.prefix)  # fmt: skip
        return
    if call.cancelled_at is not None:
        await ctx.reply(_("Meeting #{n} is cancelled already."), n=meeting)
        return
    if call.starts_at <= ctx.now():
        await ctx.reply(_("Meeting #{n} was due {when}; it can no longer be cancelled."),
                        n=meeting, when=ctx.time(call.starts_at))  # fmt: skip
        return
    if call.called_by != ctx.author:
        await ask_second(
            ctx,
            CANCEL,
            {"number": meeting},
            _("cancel meeting #{n} ({when}), called by {caller}").format(
                n=meeting,
                when=ctx.time(call.starts_at),
                caller=(await ctx.mention(call.called_by, ping=False)).label,
            ),
        )
        return
    await ctx.reply(
        _("{who} cancelled meeting #{n}, **{topic}**, {when}. The calendar file below removes it."),
        who=await ctx.mention(ctx.author, ping=False),
        n=meeting,
        topic=title(call),
        when=ctx.time(call.starts_at),
    )
    await _cancel(ctx, call)


@practice.overwrite(CANCEL)
async def cancel_seconded(ctx: Context, payload: dict[str, Any]) -> str:
    call = await meeting_calls.by_number(ctx.session, ctx.collective_id, int(payload["number"]))
    if call is None or call.cancelled_at is not None or call.starts_at <= ctx.now():
        return _("meeting #{n} was no longer ahead, so nothing changed").format(n=payload["number"])
    await _cancel(ctx, call)
    return _("meeting #{n} ({when}) is cancelled").format(
        n=call.number, when=ctx.time(call.starts_at)
    )


async def remind(ctx: Context) -> None:
    """Each coming meeting within `[meetings] remind_before` is reminded of once: the row is
    marked in the transaction that queues the message."""
    now = ctx.now()
    for call in await meeting_calls.to_remind(
        ctx.session, ctx.collective_id, now, now + remind_before(ctx)
    ):
        call.reminded_at = now
        await ctx.announce(
            _(
                "**Reminder**: meeting #{n}, **{topic}**, starts {when} (in {left} min).\n"
                "For: {members}\n`{p}agenda` shows its agenda."
            ),
            n=call.number,
            topic=title(call),
            when=ctx.time(call.starts_at),
            left=max(1, round((call.starts_at - now).total_seconds() / 60)),
            members=await everyone(ctx),
            p=ctx.prefix,
        )
