"""A porous membrane: newcomers are welcomed with the circle question and, where
configured, start a task-based entry sprint (`[rituals] entry_sprint_days`, 0 for none).

During the sprint they are a collaborator: every command is theirs, but role rotation
leaves them out (`handlers/roles/rotation.py`). When it ends the bot posts what they did (tasks
from the ledger, areas they know or are learning) and asks the group to reflect on fit
and commitment; `!member @x` then makes them a full member, `!extend @x 2w` gives the
sprint more time. Only people who join while the bot is in the room, and were never in it
before, are newcomers.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.arguments import Duration, Member
from handlers.context import Context, Mention, Rows
from handlers.i18n import N_, _, ngettext
from handlers.labour_kinds import kind_word
from handlers.registry import Practice
from handlers.timeparse import Interval, longer
from storage import entry, knowledge, labour

practice = Practice(
    N_("Entry sprints"),
    N_("Welcoming newcomers: the circle question and a task-based entry sprint."),
)

LONGEST_EXTENSION = "1y"
# How a declared level of knowledge (stored as it is) reads in the review.
LEVELS = {"knows": N_("knows"), "learning": N_("learning")}


@practice.on_member_join
async def welcome(ctx: Context, user_id: str) -> None:
    if user_id not in await ctx.quiet_names():
        return  # another bot
    who = await ctx.mention(user_id, ping=True)
    days = ctx.settings.entry_sprint_days
    text = _(
        "Welcome, {who}! The circle question, to answer here when you are ready: what is "
        "your **intention** in joining, and how much **capacity** do you have (time, "
        "energy)?"
    )
    values: dict[str, object] = {"who": who, "p": ctx.prefix, "days": days}
    if days and await entry.current(ctx.session, ctx.collective_id, user_id) is None:
        now = ctx.now()
        sprint = await entry.start(
            ctx.session, ctx.collective_id, user_id, now, now + timedelta(days=days)
        )
        values["end"] = ctx.time(sprint.ends_at)
        text += " " + ngettext(
            "For the next {days} day you are in an **entry sprint**: a collaborator, not yet "
            "in role rotation. Take on tasks (`{p}task list`, `{p}task claim <name>`, "
            "`{p}task done <name>`) and say what you are learning (`{p}learning <area>`). "
            "On {end} we look back together at what you did, and at fit and commitment.",
            "For the next {days} days you are in an **entry sprint**: a collaborator, not yet "
            "in role rotation. Take on tasks (`{p}task list`, `{p}task claim <name>`, "
            "`{p}task done <name>`) and say what you are learning (`{p}learning <area>`). "
            "On {end} we look back together at what you did, and at fit and commitment.",
            days,
        )
        await ctx.audit("entry.started", automatic=True, members={"newcomer": user_id})
    await ctx.announce(text, **values)


@practice.job("entry-tick", lambda settings: "0 * * * *")
async def review(ctx: Context) -> None:
    """Hourly: each sprint that reached its end is looked back on, once."""
    now = ctx.now()
    for sprint in await entry.due_reviews(ctx.session, ctx.collective_id, now):
        sprint.reviewed_at = now
        done = await labour.completions(
            ctx.session, ctx.collective_id, since=sprint.started_at, user_id=sprint.user_id
        )
        areas = [
            f"{k.area} ({_(LEVELS[k.level]) if k.level in LEVELS else k.level})"
            for k in await knowledge.all_current(ctx.session, ctx.collective_id)
            if k.user_id == sprint.user_id
        ]
        who = await ctx.mention(sprint.user_id, ping=True)
        await ctx.announce(
            _(
                "**Entry sprint** of {who} ({start} to {end}) has ended. What they did:\n"
                "- tasks logged: {tasks}\n- areas they know or are learning: {areas}\n"
                "Time for the group to reflect together on fit and commitment: how was it, for "
                "{who} and for the group? Then `{p}member {id}` makes them a full member (in "
                "role rotation from then on), or `{p}extend {id} 2w` gives the sprint more "
                "time.\n"
                "A mirror, not a score: it shows what was logged here, not what anyone is "
                "worth; much of what a newcomer does is never logged."
            ),
            who=who,
            id=sprint.user_id,
            start=ctx.date(sprint.started_at),
            end=ctx.date(sprint.ends_at),
            tasks=Rows(
                "{name} ({kind})", [{"name": t.name, "kind": kind_word(t.kind)} for t in done], ", "
            )
            if done
            else _("none yet"),
            areas=", ".join(areas) if areas else _("none declared"),
            p=ctx.prefix,
        )


async def _sprint_of(ctx: Context, member: Mention, cmd: str) -> bool:
    """Whether `member` is in an entry sprint another member may end; says why not."""
    if member.user_id == ctx.author:
        await ctx.reply(
            _("The group decides this with you: another member answers `{p}{cmd} ...`."),
            p=ctx.prefix,
            cmd=cmd,
        )
        return False
    if await entry.current(ctx.session, ctx.collective_id, member.user_id) is None:
        await ctx.reply(_("{m} is not in an entry sprint: already a full member."), m=member)
        return False
    return True


@practice.command(
    "member",
    Member("member"),
    summary=N_("End a newcomer's entry sprint: a full member, in role rotation from now on."),
    examples=("!member @dana:example.org",),
)
async def make_member(ctx: Context, member: Mention) -> None:
    if not await _sprint_of(ctx, member, "member"):
        return
    sprint = await entry.current(ctx.session, ctx.collective_id, member.user_id)
    assert sprint is not None
    sprint.ended_at = ctx.now()
    await ctx.audit("entry.ended", members={"newcomer": member.user_id})
    await ctx.call(
        _("{who} welcomed {m} as a full member: in role rotation from the next one on."),
        who=await ctx.mention(ctx.author, ping=False),
        m=await ctx.mention(member.user_id, ping=True),
    )


@practice.command(
    "extend",
    Member("member"),
    Duration("duration", label="<duration e.g. 1w|2w>"),
    summary=N_("Give a newcomer's entry sprint more time (at most a year at once)."),
    examples=("!extend @dana:example.org 2w",),
)
async def extend(ctx: Context, member: Mention, duration: Interval) -> None:
    if longer(duration.text, LONGEST_EXTENSION):
        await ctx.reply(_("An entry sprint is extended by at most {most} at once."), most="1y")
        return
    if not await _sprint_of(ctx, member, "extend"):
        return
    sprint = await entry.current(ctx.session, ctx.collective_id, member.user_id)
    assert sprint is not None
    sprint.ends_at = max(sprint.ends_at, ctx.now()) + duration.step
    sprint.reviewed_at = None  # the group looks back again at the new end
    await ctx.audit("entry.extended", members={"newcomer": member.user_id}, duration=duration.text)
    await ctx.call(
        _(
            "{who} extended the entry sprint of {m} by {d}: until {end}, still a collaborator "
            "and not yet in role rotation."
        ),
        who=await ctx.mention(ctx.author, ping=False),
        m=await ctx.mention(member.user_id, ping=True),
        d=duration.text,
        end=ctx.time(sprint.ends_at),
    )
