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

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from handlers.airtime import _may_redact_others, measure
from handlers.arguments import Number
from handlers.context import Context, Rows
from handlers.registry import Posted, Practice, Reaction
from handlers.stats import percent
from handlers.timeparse import month_of
from storage import decisions, gallery, knowledge, labour, roles
from storage.models import GalleryPattern, GalleryWalk

practice = Practice(
    "Circle of shadows",
    "A silent gallery walk through the group's patterns, marked with coloured dots.",
)

DEFAULT_MINUTES = 20
MIN_MINUTES = 5
MAX_MINUTES = 240
TICK = 5  # minutes: how often the bot looks for a walk whose time is up
CLOSE_CRON = f"*/{TICK} * * * *"
PERIOD_DAYS = 30  # a walk started by command looks back this far
ROLE_WINDOW = relativedelta(months=6)

COLOURS = {"🔴": "red", "🔵": "blue", "🟢": "green"}
DOTS = {colour: dot for dot, colour in COLOURS.items()}
MEANING = {"red": "dominance", "blue": "invisibility", "green": "balance"}
KEY = "🔴 dominance · 🔵 invisibility · 🟢 balance. A mirror, not a score."
MIRROR = (
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


@dataclass(frozen=True)
class Period:
    label: str
    first: date
    last: date

    def bounds(self, ctx: Context) -> tuple[datetime, datetime]:
        zone = ctx.settings.timezone
        start = datetime.combine(self.first, time(0), tzinfo=zone)
        return start, datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _fewest_for_half(counts: list[int]) -> int:
    """How many, taking the largest first, together did more than half."""
    total, running = sum(counts), 0
    for i, c in enumerate(sorted(counts, reverse=True), start=1):
        running += c
        if running * 2 > total:
            return i
    return len(counts)


async def _airtime(ctx: Context, period: Period, members: int) -> str:
    a = await measure(ctx, period.first, period.last)
    if not a.messages:
        return "No messages were counted in the room in this period: any talk was elsewhere."
    return (
        f"The most active fifth ({a.fifth_size} of {members} members) wrote "
        f"{percent(a.fifth_share, 1)} of the words; {a.silent} of {members} wrote nothing here. "
        f"Gini {a.gini:.2f} (0: everyone equal; 1: a single voice)."
    )


async def _invisible(ctx: Context, start: datetime, end: datetime, members: int) -> str:
    work = await labour.by_member_and_kind(ctx.session, ctx.collective_id, start, end)
    hidden = [w.get("invisible", 0) for w in work.values() if w.get("invisible")]
    care = [w.get("care", 0) for w in work.values() if w.get("care")]
    if not hidden:
        text = (
            "No invisible work (notes, minutes, cleaning, booking, admin...) was logged in "
            "this period: it was not done, or not seen."
        )
    else:
        text = (
            f"{_n(sum(hidden), 'invisible task was', 'invisible tasks were')} logged, by "
            f"{len(hidden)} of {members} members; {_fewest_for_half(hidden)} of them did more "
            "than half of it."
        )
    if care:
        text += (
            f" Care work: {_n(sum(care), 'task', 'tasks')} by {_n(len(care), 'member', 'members')}."
        )
    else:
        text += " No care work was logged."
    return text


async def _knowledge(ctx: Context) -> str:
    declared = await knowledge.all_current(ctx.session, ctx.collective_id)
    if not declared:
        return "Nobody has declared what they know (!knows <area>): the knowledge map is blank."
    holders: dict[str, set[str]] = {}
    for d in declared:
        holders.setdefault(d.area, set())
        if d.level == "knows":
            holders[d.area].add(d.user_id)
    single = sorted(a for a, h in holders.items() if len(h) == 1)
    none = sorted(a for a, h in holders.items() if not h)
    if not single and not none:
        return f"Every declared area ({len(holders)}) has at least two holders."
    parts = []
    if single:
        shown = ", ".join(single[:10]) + (
            f" and {len(single) - 10} more" if len(single) > 10 else ""
        )
        parts.append(f"{_n(len(single), 'area has', 'areas have')} a single holder ({shown})")
    if none:
        parts.append(f"{_n(len(none), 'area has', 'areas have')} only learners")
    return f"Of {len(holders)} declared areas, " + " and ".join(parts) + "."


async def _roles(ctx: Context, end: datetime, members: int) -> str:
    held = await roles.terms_between(ctx.session, ctx.collective_id, end - ROLE_WINDOW, end)
    if not held:
        return "No role was held in the last six months."
    holders: dict[str, set[str | None]] = {}
    for role, user in held:
        holders.setdefault(role, set()).add(user)
    order = sorted(holders, key=lambda r: (r != "facilitation", r))
    listed = "; ".join(f"{r} {len(holders[r])}" for r in order[:12])
    return (
        "How many different members held each role in the last six months "
        f"({members} members now): {listed}."
    )


async def _decisions(ctx: Context, start: datetime, end: datetime, members: int) -> str:
    influence = await decisions.influence(ctx.session, ctx.collective_id, start, end)
    decided = await decisions.decided_between(ctx.session, ctx.collective_id, start, end)
    if not influence and not decided:
        return "No proposal was made or adopted, and no decision recorded, in this period."
    made = sum(i.made for i in influence.values())
    makers = sum(1 for i in influence.values() if i.made)
    adopted = sum(i.adopted for i in influence.values())
    adopters = sum(1 for i in influence.values() if i.adopted)
    early = sum(1 for d in decided if d.closed_early)
    recorded = sum(1 for d in decided if d.kind == decisions.RECORD)
    return (
        f"{_n(adopted, 'proposal was', 'proposals were')} adopted, from "
        f"{_n(adopters, 'member', 'different members')}; {_n(made, 'was', 'were')} made, by "
        f"{makers} of {members} members. Taken under time pressure: {early} closed early, "
        f"{recorded} recorded without a proposal."
    )


def _level(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _power(raw: str | None, members: set[str]) -> str:
    try:
        levels = json.loads(raw) if raw else None
    except ValueError:
        levels = None
    if not isinstance(levels, dict):
        return "The bot has not seen the room's power levels yet."
    raw_users, raw_events = levels.get("users"), levels.get("events")
    users: dict[str, object] = raw_users if isinstance(raw_users, dict) else {}
    events: dict[str, object] = raw_events if isinstance(raw_events, dict) else {}
    default = _level(levels.get("users_default"), 0)
    needs = {
        "change the room's settings": _level(
            events.get("m.room.power_levels"), _level(levels.get("state_default"), 50)
        ),
        "remove people": _level(levels.get("kick"), 50),
        "invite": _level(levels.get("invite"), 0),
    }
    able = [
        f"{sum(1 for u in members if _level(users.get(u), default) >= need)} can {what}"
        for what, need in needs.items()
    ]
    return f"Of {len(members)} members, " + ", ".join(able) + "."


async def patterns(ctx: Context, period: Period) -> list[tuple[str, str]]:
    """The walk's patterns, (title, statement): the group's, in counts, never a name."""
    start, end = period.bounds(ctx)
    current = set(await ctx.quiet_names())
    members = len(current)
    return [
        ("Who is heard", await _airtime(ctx, period, members)),
        ("Invisible work", await _invisible(ctx, start, end, members)),
        ("Single points of knowledge", await _knowledge(ctx)),
        ("Who holds the roles", await _roles(ctx, end, members)),
        ("Whose proposals carry", await _decisions(ctx, start, end, members)),
        ("Who holds the room's keys", _power(ctx.collective.power_levels, current)),
    ]


async def start_walk(ctx: Context, minutes: int, period: Period, *, scheduled: bool) -> None:
    now = ctx.now()
    found = await patterns(ctx, period)
    walk, rows = await gallery.start(
        ctx.session,
        ctx.collective_id,
        by=ctx.author or None,
        scheduled=scheduled,
        first=period.first,
        last=period.last,
        now=now,
        ends_at=ends_at(now, minutes),
        patterns=found,
    )
    await ctx.audit("gallery.started", automatic=scheduled, until=walk.ends_at, patterns=len(rows))
    intro = (
        "**Circle of shadows: a silent gallery walk** until {end}, through the patterns of "
        "{period} ({first} to {last}).{late}\n"
        "Next come {n} patterns, one message each: counts for the whole group, no names, no "
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
        "n": len(rows),
        "p": ctx.prefix,
        "mirror": MIRROR,
        "late": " (Started late: the bot was offline when it was due.)" if ctx.late_by else "",
    }
    if scheduled:
        await ctx.announce(intro, **values)
    else:
        await ctx.reply(intro, **values)
    for row in rows:
        await ctx.post_marked(
            marker(walk.id, row.number),
            "**Pattern {n} of {total}: {title}**\n{statement}\n{key}",
            n=row.number,
            total=len(rows),
            title=row.title,
            statement=row.statement,
            key=KEY,
        )


async def _tally(ctx: Context, walk: GalleryWalk, found: list[GalleryPattern], how: str) -> None:
    rows = [
        {
            "n": p.number,
            "title": p.title,
            "red": p.red or 0,
            "blue": p.blue or 0,
            "green": p.green or 0,
            "unseen": ""
            if p.event_id
            else " (its message never came back to me, so no dots on it could be counted)",
        }
        for p in found
    ]
    text = (
        "**Gallery walk tally** ({first} to {last}), {how}: {reactors} put dots.\n{rows}\n"
        "{mirror} To talk them through in small mixed groups: `{p}groups`."
    )
    values: dict[str, object] = {
        "first": walk.period_first,
        "last": walk.period_last,
        "how": how,
        "reactors": _n(walk.reactors or 0, "member", "members"),
        "rows": Rows("- Pattern {n}, {title}: 🔴 {red} · 🔵 {blue} · 🟢 {green}{unseen}", rows),
        "mirror": MIRROR,
        "p": ctx.prefix,
    }
    if ctx.event_id:
        await ctx.reply(text, **values)
    else:
        await ctx.say(text, **values)


def _recent(ctx: Context) -> Period:
    today = ctx.now().astimezone(ctx.settings.timezone).date()
    return Period(f"the last {PERIOD_DAYS} days", today - timedelta(days=PERIOD_DAYS - 1), today)


@practice.command(
    "gallery",
    Number("minutes", optional=True, minimum=MIN_MINUTES),
    summary="Start a silent gallery walk through the last 30 days' patterns (default 20 minutes).",
    examples=("!gallery", "!gallery 30"),
)
async def gallery_start(ctx: Context, minutes: int | None) -> None:
    minutes = minutes or DEFAULT_MINUTES
    if minutes > MAX_MINUTES:
        await ctx.reply(
            "A gallery walk lasts {lo} to {hi} minutes; `{p}gallery {d}` walks for {d}.",
            lo=MIN_MINUTES,
            hi=MAX_MINUTES,
            p=ctx.prefix,
            d=DEFAULT_MINUTES,
        )
        return
    open_ = await gallery.open_walk(ctx.session, ctx.collective_id)
    if open_ is not None:
        await ctx.reply(
            "A gallery walk is open until {end}: one at a time. `{p}gallery end` closes it now.",
            end=ctx.time(open_.ends_at),
            p=ctx.prefix,
        )
        return
    await start_walk(ctx, minutes, _recent(ctx), scheduled=False)


@practice.command(
    "gallery end",
    summary="Close the open gallery walk now and post the tally of dots per pattern.",
    examples=("!gallery end",),
)
async def gallery_end(ctx: Context) -> None:
    walk = await gallery.open_walk(ctx.session, ctx.collective_id)
    if walk is None:
        await ctx.reply("No gallery walk is open. `{p}gallery [minutes]` starts one.", p=ctx.prefix)
        return
    found = await gallery.close(ctx.session, walk, ctx.now(), by=ctx.author)
    await ctx.audit("gallery.ended_early", reactors=walk.reactors)
    await _tally(ctx, walk, found, f"closed early with `{ctx.prefix}gallery end`")


@practice.job("gallery", "gallery")
async def monthly(ctx: Context) -> None:
    """On `[schedule] gallery` (off unless set): a walk through the month just ended."""
    due = (ctx.due_at or ctx.now()).astimezone(ctx.settings.timezone).date()
    month = month_of(due.replace(day=1) - relativedelta(months=1), due)
    open_ = await gallery.open_walk(ctx.session, ctx.collective_id)
    if open_ is not None:
        await ctx.say(
            "The monthly gallery walk did not start: one is still open, until {end}.",
            end=ctx.time(open_.ends_at),
        )
        return
    await start_walk(
        ctx, DEFAULT_MINUTES, Period(month.label, month.first, month.last), scheduled=True
    )


@practice.job("gallery-close", lambda settings: CLOSE_CRON)
async def close_due(ctx: Context) -> None:
    """Every five minutes: a walk whose time is up ends and its tally is posted, once."""
    for walk in await gallery.due(ctx.session, ctx.collective_id, ctx.now()):
        found = await gallery.close(ctx.session, walk, ctx.now())
        await ctx.audit("gallery.ended", automatic=True, reactors=walk.reactors)
        late = ctx.now() - walk.ends_at > timedelta(minutes=TICK)
        how = "late: the bot was offline when it ended" if late else "at its end"
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
