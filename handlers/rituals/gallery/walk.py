"""Circle of shadows: a silent gallery walk through the group's patterns.

`!gallery [minutes]` (or `[schedule] gallery`, after the monthly power map) posts the
patterns one message each: counts for the whole group, never a name or a ranking. Members
walk through them in silence and put dots on each with a reaction: 🔴 dominance,
🔵 invisibility, 🟢 balance. When the time is up (checked every five minutes, so the end
is rounded up to the next five minutes and said so) or on `!gallery end`, the bot posts how
many members put each colour on each pattern, never who.

The bot learns each pattern's event id when it sees its own message come back in the room's
timeline (the message carries a marker in its content, encrypted with it), so reactions to
it can be told from reactions to anything else, across restarts and in encrypted rooms.
While the walk is open a dot is kept with who put it (one member counts once per colour per
pattern) and the reaction's event id (a removed reaction is taken back); at the end only
the counts stay.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta

from handlers import i18n
from handlers.airtime import _may_redact_others, last_days
from handlers.arguments import Number
from handlers.context import Context, Rows
from handlers.i18n import N_, _, ngettext
from handlers.registry import Posted, Practice, Reaction
from handlers.rituals.gallery.patterns import Period, member_count, patterns
from handlers.timeparse import month_of
from storage import gallery
from storage.models import GalleryPattern, GalleryWalk

practice = Practice(
    N_("Circle of shadows"),
    N_("A silent gallery walk through the group's patterns, marked with coloured dots."),
)

DEFAULT_MINUTES = 20
MIN_MINUTES = 5
MAX_MINUTES = 240
TICK = 5  # minutes: how often the bot looks for a walk whose time is up
CLOSE_CRON = f"*/{TICK} * * * *"
PERIOD_DAYS = 30  # a walk started by command looks back this far

COLOURS = {"🔴": "red", "🔵": "blue", "🟢": "green"}
DOTS = {colour: dot for dot, colour in COLOURS.items()}
MEANING = {"red": N_("dominance"), "blue": N_("invisibility"), "green": N_("balance")}
KEY = N_("🔴 dominance · 🔵 invisibility · 🟢 balance. A mirror, not a score.")
MIRROR = N_(
    "These are mirrors, not scores: patterns of the group, never a judgement of anyone. "
    "The dots say what members saw, not what is true."
)
MARKER = "gallery"


def colour_of(key: str) -> str | None:
    """The colour a reaction's key stands for, with or without the emoji variation selector."""
    return COLOURS.get(key.replace("\ufe0f", "").strip())


def marker(walk_id: int, number: int) -> str:
    return f"{MARKER}:{walk_id}:{number}"


def read_marker(text: str) -> tuple[int, int] | None:
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != MARKER or not all(p.isdigit() for p in parts[1:]):
        return None
    return int(parts[1]), int(parts[2])


def ends_at(now: datetime, minutes: int) -> datetime:
    """`minutes` from now, rounded up to the next check (whole five minutes, UTC; every
    time zone's offset is a multiple of five minutes, so it is on the local clock too)."""
    end = (now + timedelta(minutes=minutes)).astimezone(UTC)
    step = TICK * 60
    seconds = math.ceil(end.timestamp() / step) * step
    return datetime.fromtimestamp(seconds, tz=UTC)


async def start_walk(ctx: Context, minutes: int, period: Period, *, scheduled: bool) -> None:
    now = ctx.now()
    found = await patterns(ctx, period)
    # Kept as they always were, in English: the walk's record, whatever the language.
    with i18n.speaking(i18n.SOURCE):
        kept = [(title, statement()) for title, statement in found]
    walk, rows = await gallery.start(
        ctx.session,
        ctx.collective_id,
        by=ctx.author or None,
        scheduled=scheduled,
        first=period.first,
        last=period.last,
        now=now,
        ends_at=ends_at(now, minutes),
        patterns=kept,
    )
    await ctx.audit("gallery.started", automatic=scheduled, until=walk.ends_at, patterns=len(rows))
    intro = _(
        "**Circle of shadows: a silent gallery walk** until {end}, through the patterns of "
        "{period} ({first} to {last}).{late}\n"
        "Next come {n}, one message each: counts for the whole group, no names, no "
        "ranking. Walk through them in silence and put dots on each with a reaction: "
        "🔴 dominance, 🔵 invisibility, 🟢 balance (each colour counts once per member and "
        "pattern; removing a reaction takes the dot back). At {end}, or on `{p}gallery end`, "
        "I post how many dots each pattern got, never who put them.\n{mirror}"
    )
    values: dict[str, object] = {
        "end": ctx.time(walk.ends_at),
        "period": period.label,
        "first": period.first,
        "last": period.last,
        "n": ngettext("{n} pattern", "{n} patterns", len(rows)).format(n=len(rows)),
        "p": ctx.prefix,
        "mirror": _(MIRROR),
        "late": " " + _("(Started late: the bot was offline when it was due.)")
        if ctx.late_by
        else "",
    }
    if scheduled:
        await ctx.announce(intro, **values)
    else:
        values["who"] = await ctx.mention(ctx.author, ping=False)
        await ctx.reply(_("{who} started a gallery walk.") + "\n" + intro, **values)
    # Posted in the collective's language (the statements say themselves again, now).
    for row, (title, statement) in zip(rows, found, strict=True):
        await ctx.post_marked(
            marker(walk.id, row.number),
            _("**Pattern {n} of {total}: {title}**\n{statement}\n{key}"),
            n=row.number,
            total=len(rows),
            title=_(title),
            statement=statement(),
            key=_(KEY),
        )


async def _tally(ctx: Context, walk: GalleryWalk, found: list[GalleryPattern], how: str) -> None:
    unseen = " " + _("(its message never came back to me, so no dots on it could be counted)")
    rows = [
        {
            "n": p.number,
            "title": _(p.title),  # kept in English, shown in the collective's language
            "red": p.red or 0,
            "blue": p.blue or 0,
            "green": p.green or 0,
            "unseen": "" if p.event_id else unseen,
        }
        for p in found
    ]
    text = _(
        "**Gallery walk tally** ({first} to {last}), {how}: {reactors} put dots.\n{rows}\n"
        "{mirror} To talk them through in small mixed groups: `{p}groups`."
    )
    values: dict[str, object] = {
        "first": walk.period_first,
        "last": walk.period_last,
        "how": how,
        "reactors": member_count(walk.reactors or 0),
        "rows": Rows(_("- Pattern {n}, {title}: 🔴 {red} · 🔵 {blue} · 🟢 {green}{unseen}"), rows),
        "mirror": _(MIRROR),
        "p": ctx.prefix,
    }
    if ctx.event_id:
        await ctx.reply(text, **values)
    else:
        await ctx.say(text, **values)


async def close_walk(ctx: Context, walk: GalleryWalk, how: str) -> None:
    """End an open walk now and post its tally (`how` says how it ended)."""
    found = await gallery.close(ctx.session, walk, ctx.now(), by=ctx.author or None)
    await ctx.audit("gallery.ended_early", automatic=not ctx.author, reactors=walk.reactors)
    await _tally(ctx, walk, found, how)


def month_before(ctx: Context) -> Period:
    """The month just ended, as of the job's due time: what a scheduled walk looks at."""
    due = (ctx.due_at or ctx.now()).astimezone(ctx.settings.timezone).date()
    month = month_of(due.replace(day=1) - relativedelta(months=1), due)
    return Period(month.label, month.first, month.last)


def _recent(ctx: Context) -> Period:
    today = ctx.now().astimezone(ctx.settings.timezone).date()
    return Period(last_days(PERIOD_DAYS), today - timedelta(days=PERIOD_DAYS - 1), today)


@practice.command(
    "gallery",
    Number("minutes", optional=True, minimum=MIN_MINUTES),
    summary=N_(
        "Start a silent gallery walk through the last 30 days' patterns (default 20 minutes)."
    ),
    examples=("!gallery", "!gallery 30"),
)
async def gallery_start(ctx: Context, minutes: int | None) -> None:
    minutes = minutes or DEFAULT_MINUTES
    if minutes > MAX_MINUTES:
        await ctx.reply(
            _("A gallery walk lasts {lo} to {hi} minutes; `{p}gallery {d}` walks for {d}."),
            lo=MIN_MINUTES,
            hi=MAX_MINUTES,
            p=ctx.prefix,
            d=DEFAULT_MINUTES,
        )
        return
    open_ = await gallery.open_walk(ctx.session, ctx.collective_id)
    if open_ is not None:
        await ctx.reply(
            _("A gallery walk is open until {end}: one at a time. `{p}gallery end` closes it now."),
            end=ctx.time(open_.ends_at),
            p=ctx.prefix,
        )
        return
    await start_walk(ctx, minutes, _recent(ctx), scheduled=False)


@practice.command(
    "gallery end",
    summary=N_("Close the open gallery walk now and post the tally of dots per pattern."),
    examples=("!gallery end",),
)
async def gallery_end(ctx: Context) -> None:
    walk = await gallery.open_walk(ctx.session, ctx.collective_id)
    if walk is None:
        await ctx.reply(
            _("No gallery walk is open. `{p}gallery [minutes]` starts one."), p=ctx.prefix
        )
        return
    who = (await ctx.mention(ctx.author, ping=False)).label
    how = _("closed early by {who} with `{p}gallery end`").format(who=who, p=ctx.prefix)
    await close_walk(ctx, walk, how)


@practice.job("gallery", "gallery")
async def monthly(ctx: Context) -> None:
    """On `[schedule] gallery` (off unless set): a walk through the month just ended."""
    open_ = await gallery.open_walk(ctx.session, ctx.collective_id)
    if open_ is not None:
        await ctx.say(
            _("The monthly gallery walk did not start: one is still open, until {end}."),
            end=ctx.time(open_.ends_at),
        )
        return
    await start_walk(ctx, DEFAULT_MINUTES, month_before(ctx), scheduled=True)


@practice.job("gallery-close", lambda settings: CLOSE_CRON)
async def close_due(ctx: Context) -> None:
    """Every five minutes: a walk whose time is up ends and its tally is posted, once."""
    for walk in await gallery.due(ctx.session, ctx.collective_id, ctx.now()):
        found = await gallery.close(ctx.session, walk, ctx.now())
        await ctx.audit("gallery.ended", automatic=True, reactors=walk.reactors)
        late = ctx.now() - walk.ends_at > timedelta(minutes=TICK)
        how = _("late: the bot was offline when it ended") if late else _("at its end")
        await _tally(ctx, walk, found, how)


@practice.on_posted
async def pattern_posted(ctx: Context, posted: Posted) -> None:
    found = read_marker(posted.marker)
    if found is not None:
        await gallery.saw_post(ctx.session, ctx.collective_id, *found, posted.event_id)


@practice.on_reaction
async def dot(ctx: Context, reaction: Reaction) -> None:
    """A dot counts when it is one of the three colours, on a pattern of an open walk, put
    before the walk's end, by a member (other bots are not members)."""
    colour = colour_of(reaction.key)
    if colour is None:
        return
    found = await gallery.pattern_at(ctx.session, ctx.collective_id, reaction.target)
    if found is None:
        return
    pattern, walk = found
    if walk.ended_at is not None or reaction.at >= walk.ends_at:
        return
    if reaction.sender not in await ctx.quiet_names():
        return
    await gallery.add_mark(ctx.session, pattern.id, reaction.sender, colour, reaction.event_id)


@practice.on_redaction
async def undot(ctx: Context, redacted_event_id: str) -> None:
    await gallery.remove_mark(
        ctx.session,
        ctx.collective_id,
        redacted_event_id,
        ctx.author,
        _may_redact_others(ctx.collective.power_levels, ctx.author),
    )
