"""Airtime: who gets heard. Every member message in the room is counted, never stored.

Counts are per member per local day: messages and words. Commands to the bot,
edits, notices and the bot's own messages are not talk and are not counted; a
redacted message is taken back out (for 30 days after it was counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from handlers.arguments import Word
from handlers.context import Context, Mention, Rows
from handlers.i18n import N_, _, locale_name, ngettext
from handlers.registry import Practice, Said
from handlers.stats import gini, percent, top_fifth
from storage import airtime, room_power

practice = Practice(N_("Airtime"), N_("A mirror of who talks in the room, and who does not."))

MIRROR = N_(
    "A mirror, not a score: it counts messages in this room only, not meetings, calls or care. "
    "Use it to ask who is not being heard, not to blame who talks."
)


@practice.on_message
async def count_message(ctx: Context, said: Said) -> None:
    if said.command or ctx.is_direct:
        return  # talking to the bot, here or in private, is not talking to the group
    day = said.at.astimezone(ctx.settings.timezone).date()
    await airtime.count(
        ctx.session, ctx.collective_id, said.event_id, said.sender, day, said.words, ctx.now()
    )


@practice.on_redaction
async def uncount_message(ctx: Context, redacted_event_id: str) -> None:
    today = ctx.now().astimezone(ctx.settings.timezone).date()
    await airtime.uncount(
        ctx.session,
        ctx.collective_id,
        redacted_event_id,
        ctx.author,
        _may_redact_others(ctx.collective.power_levels, ctx.author),
        today,
        ctx.now(),
    )


def _may_redact_others(raw: str | None, user_id: str) -> bool:
    """From the room's power (`storage.room_power`): can this user redact other people's
    messages? A creator of a room of version 12 or later always can."""
    power = room_power.read(raw)
    return power is not None and power.level(user_id) >= power.need("redact", 50)


@dataclass(frozen=True)
class Period:
    label: str
    first: date
    last: date


def last_days(n: int) -> str:
    """A period's label: the last 30 days."""
    return ngettext("the last {n} day", "the last {n} days", n).format(n=n)


def window(name: str, today: date) -> Period:
    """The period asked for, its label in the current language."""
    if name == "7d":
        return Period(last_days(7), today - timedelta(days=6), today)
    if name == "month":
        from babel.dates import format_date

        month = format_date(today, "LLLL yyyy", locale=locale_name())  # March 2026
        return Period(_("{month} so far").format(month=month), today.replace(day=1), today)
    return Period(last_days(30), today - timedelta(days=29), today)


@dataclass(frozen=True)
class Share:
    member: Mention
    messages: int
    words: int


@dataclass(frozen=True)
class Airtime:
    shares: list[Share]  # every current member, silent ones included, by name
    messages: int
    words: int
    fifth_size: int
    fifth_share: float
    gini: float
    silent: int


async def measure(ctx: Context, first: date, last: date) -> Airtime:
    counts = await airtime.totals(ctx.session, ctx.collective_id, first, last)
    members = await ctx.quiet_names()  # alike names told apart by their user ids
    shares = sorted(
        (Share(m, *counts.get(user_id, (0, 0))) for user_id, m in members.items()),
        key=lambda s: s.member.label.casefold(),
    )
    words = [s.words for s in shares]
    k, fifth = top_fifth(words)
    return Airtime(
        shares=shares,
        messages=sum(s.messages for s in shares),
        words=sum(words),
        fifth_size=k,
        fifth_share=fifth,
        gini=gini(words),
        silent=sum(1 for s in shares if s.messages == 0),
    )


def summary_lines(a: Airtime, values: dict[str, object]) -> list[str]:
    """The group pattern first; shared by `!airtime` and the power map."""
    values.update(
        msgs=ngettext("{n} message", "{n} messages", a.messages).format(n=a.messages),
        words=ngettext("{n} word", "{n} words", a.words).format(n=a.words),
        speakers=len(a.shares) - a.silent,
        members=len(a.shares),
        k=a.fifth_size,
        fifth=percent(a.fifth_share, 1),
        gini=f"{a.gini:.2f}",
        silent=a.silent,
    )
    return [
        ngettext(
            "{msgs}, {words}, from {speakers} of {members} member.",
            "{msgs}, {words}, from {speakers} of {members} members.",
            len(a.shares),
        ),
        _(
            "The most active fifth ({k}) wrote {fifth} of the words. Gini {gini} "
            "(0: everyone equal; 1: a single voice). Silent: {silent}."
        ),
    ]


@practice.command(
    "airtime",
    Word("period", optional=True, choices=("7d", "30d", "month")),
    summary=N_(
        "Each member's share of messages and words, the most active fifth, Gini, the silent."
    ),
    examples=("!airtime", "!airtime 7d", "!airtime month"),
    read_only=True,
)
async def show_airtime(ctx: Context, period: str | None) -> None:
    today = ctx.now().astimezone(ctx.settings.timezone).date()
    p = window(period or "30d", today)
    a = await measure(ctx, p.first, p.last)
    values: dict[str, object] = {
        "label": p.label,
        "first": p.first,
        "last": p.last,
        "mirror": _(MIRROR),
    }
    lines = [_("**Airtime, {label}** ({first} to {last})")]
    if a.messages == 0:
        lines.append(_("No messages were counted in this period."))
    else:
        lines += summary_lines(a, values)
        lines.append("{shares}")
        values["shares"] = Rows(
            _("- {member}: {messages} of messages, {words} of words"),
            [
                {
                    "member": s.member,
                    "messages": percent(s.messages, a.messages),
                    "words": percent(s.words, a.words),
                }
                for s in a.shares
            ],
        )
    lines.append("{mirror}")
    await ctx.reply("\n".join(lines), **values)
