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
from typing import Any

from handlers.arguments import Duration, Member
from handlers.context import Context, Mention, Message, Rows
from handlers.i18n import N_, _, ngettext
from handlers.labour_kinds import kind_word
from handlers.registry import Practice
from handlers.seconds import ask_second
from handlers.timeparse import Interval, longer
from storage import entry, knowledge, labour

practice = Practice(
    N_("Entry sprints"),
    N_("Welcoming newcomers: the circle question and a task-based entry sprint."),
)

LONGEST_EXTENSION = "1y"
FIT_DAYS = 7  # how long a newcomer's answer on fit may be shared after the look back
MAX_FIT = 1000  # characters of it the room gets
SHARE = "share:"
MAKE_MEMBER = "make member"
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
        text += " " + _(
            "Say what you would like to learn (`{p}learning <area>`) and I suggest a buddy "
            "who knows it."
        )
        starter = next(
            (
                t
                for t in await labour.open_tasks(ctx.session, ctx.collective_id)
                if not t.claimed_by
            ),
            None,
        )
        if starter is not None:
            text += " " + _("A task to start with: **{task}** (`{p}task claim {task}`).")
            values["task"] = starter.name
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
        await ctx.dm(
            sprint.user_id,
            _(
                "Your entry sprint with {group} has ended, and the group is looking back on "
                "it. How does the fit feel to you: what worked, what did not, what would you "
                "need? If you want the group to read it, answer here starting with `share:` "
                "(for example `share: I felt welcome, and the meetings are too long`) within "
                "{days} days, and I post it in the room under your name. Anything else you "
                "write here stays between us, and I keep nothing of it."
            ),
            group=ctx.collective.name or ctx.collective.room_id,
            days=FIT_DAYS,
        )
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
    await ask_second(
        ctx,
        MAKE_MEMBER,
        {"user": member.user_id, "asker": ctx.author},
        _("make {m} a full member, ending their entry sprint").format(m=member.label),
        about=member.user_id,
        template=_(
            "Request **#{n}** from {who}: {what}. Becoming a full member is the group's "
            "decision, so a second member confirms it: `{p}second {n}` before {until}."
        ),
    )


@practice.overwrite(MAKE_MEMBER)
async def _made_member(ctx: Context, payload: dict[str, Any]) -> str:
    user = str(payload.get("user", ""))
    sprint = await entry.current(ctx.session, ctx.collective_id, user)
    if sprint is None:
        return _("they were a full member already; nothing changed")
    sprint.ended_at = ctx.now()
    await ctx.audit(
        "entry.ended", members={"newcomer": user, "asker": str(payload.get("asker") or "")}
    )
    await ctx.call(
        _("{m} is a full member now: in role rotation from the next one on. Welcome!"),
        m=await ctx.mention(user, ping=True),
    )
    return _("the entry sprint ended")


async def _fit_awaited(ctx: Context) -> bool:
    since = ctx.now() - timedelta(days=FIT_DAYS)
    return (
        await entry.latest_reviewed(ctx.session, ctx.collective_id, ctx.author, since) is not None
    )


@practice.answers(
    N_("your entry sprint's look back"),
    waiting=_fit_awaited,
    accepts=lambda text: text.strip().casefold().startswith(SHARE),
    shape=N_("a text starting with share:"),
)
async def share_fit(ctx: Context, text: str) -> None:
    """The newcomer's own words on fit, posted to the room under their name; nothing kept."""
    words = " ".join(text.strip()[len(SHARE) :].split())[:MAX_FIT]
    if not words:
        await ctx.reply(_("Nothing after `share:`, so nothing was posted."))
        return
    await ctx.outgoing.post(
        Message(
            ctx.collective.room_id,
            _("{who} on how the fit feels after their entry sprint: “{words}”"),
            {"who": await ctx.mention(ctx.author, ping=False), "words": words},
            None,
        )
    )
    await ctx.reply(_("Posted in the group's room under your name. Thank you."))


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
