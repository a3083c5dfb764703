"""Guard the psyche: campaigns, and decompression check-ins after them.

`!campaign start <name>` / `!campaign end` mark an intense campaign. `checkin_after_days`
after it ends (or at once with `!checkin`), the bot posts a check-in and asks each
member by direct message how much capacity they have: green, yellow or red. The room
sees only the counts, when the check-in closes (`OPEN_FOR` later), and only when at
least `reflection_min_answers` members answered: with fewer, counts could tell whose
answer was which. The week after a campaign ends is for rest: the rotation in it says
so, and leaves out anyone who answered red silently, as it leaves out someone away
(`handlers/roles/rotation.py`); nothing in the room ties anyone's absence from it to their
answer. Each person's answer is kept with their name (rotation needs it) until
`KEEP_ANSWERS` after the check-in closed; then only the counts stay.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.arguments import Text
from handlers.context import Context
from handlers.i18n import N_, _, ngettext
from handlers.registry import Practice
from handlers.rituals import decompression
from storage import checkins
from storage.checkins import REST_WEEK
from storage.models import Campaign, Checkin

practice = Practice(
    N_("Decompression"), N_("Campaigns, and check-ins on everyone's capacity after them.")
)

OPEN_FOR = timedelta(days=2)
KEEP_ANSWERS = timedelta(days=14)
MAX_CAMPAIGN = 100
# The answers, as members type them: kept as they are in every language (like command
# words), and put into messages as the values `{green}`, `{yellow}`, `{red}`, so that no
# translation changes them.
ANSWERS = {"green": "green", "yellow": "yellow", "red": "red"}
WORDS = {
    "green": "green",
    "yellow": "yellow",
    "red": "red",
    "🟢": "green",
    "🟡": "yellow",
    "🔴": "red",
}


def capacity(text: str) -> str | None:
    """green, yellow or red, however it was written (one word, any case, or the dot)."""
    word = text.strip().strip(".!").casefold()
    return WORDS.get(word)


def _group(ctx: Context) -> str:
    return ctx.collective.name or ctx.collective.room_id


async def start_checkin(ctx: Context, campaign: Campaign | None) -> Checkin:
    now = ctx.now()
    members = await ctx.quiet_names()
    found = await checkins.start_checkin(
        ctx.session,
        ctx.collective_id,
        campaign.id if campaign else None,
        now,
        now + OPEN_FOR,
        members,
    )
    if campaign:
        asked = _(
            "**Check-in** from {group} after the campaign {campaign}: how much capacity do "
            "you have right now?"
        )
    else:
        asked = _("**Check-in** from {group}: how much capacity do you have right now?")
    asked += "\n" + _(
        "- {green}: I have energy to spare\n- {yellow}: I am managing, but stretched\n"
        "- {red}: I need rest\n"
        "Answer here with one word, until {closes}; answer again to change it. The group "
        "sees only how many gave each answer, and only when enough answered that nobody's "
        "can be told. Your answer is kept with your name until two weeks after the "
        "check-in, so that in the week after a campaign rotation can leave you out if you "
        "answer {red} (without saying why); then only the counts stay."
    )
    for user_id in members:
        await ctx.dm(
            user_id,
            asked,
            group=_group(ctx),
            campaign=campaign.name if campaign else "",
            closes=ctx.time(found.closes_at),
            **ANSWERS,
        )
    if campaign:
        told = _(
            "**Check-in** after the campaign **{campaign}**: how much capacity does everyone "
            "have now?"
        )
    else:
        told = _("**Check-in**: how much capacity does everyone have now?")
    told += " " + ngettext(
        "I have asked each of the {n} member in a direct message ({green}, {yellow} or {red}). "
        "The room sees only the counts, on {closes}.",
        "I have asked each of the {n} members in a direct message ({green}, {yellow} or {red}). "
        "The room sees only the counts, on {closes}.",
        len(members),
    )
    if ctx.author and campaign is None:  # asked for by a member (`!checkin`)
        told = _("{who} started a check-in.") + " " + told
    await ctx.announce(
        told,
        who=await ctx.mention(ctx.author or None, ping=False),
        campaign=campaign.name if campaign else "",
        n=len(members),
        closes=ctx.time(found.closes_at),
        **ANSWERS,
    )
    return found


@practice.command(
    "campaign start",
    Text("name", max_length=MAX_CAMPAIGN),
    summary=N_("Mark the start of an intense campaign (a check-in follows its end)."),
    examples=("!campaign start rent strike",),
)
async def campaign_start(ctx: Context, name: str) -> None:
    current = await checkins.current_campaign(ctx.session, ctx.collective_id)
    if current is not None:
        await ctx.reply(
            _("The campaign **{name}** is still on (since {since}); `{p}campaign end` first."),
            name=current.name,
            since=ctx.date(current.started_at),
            p=ctx.prefix,
        )
        return
    await checkins.start_campaign(ctx.session, ctx.collective_id, name, ctx.now())
    await ctx.audit("campaign.started", name=name)
    days = ctx.settings.checkin_after_days
    await ctx.reply(
        ngettext(
            "{who} started the campaign **{name}**. `{p}campaign end` when it is over: "
            "{days} day later I ask everyone how they are.",
            "{who} started the campaign **{name}**. `{p}campaign end` when it is over: "
            "{days} days later I ask everyone how they are.",
            days,
        ),
        who=await ctx.mention(ctx.author, ping=False),
        name=name,
        days=days,
        p=ctx.prefix,
    )


@practice.command(
    "campaign end",
    summary=N_("Mark the end of the campaign: a week for rest, and a check-in after it."),
    examples=("!campaign end",),
)
async def campaign_end(ctx: Context) -> None:
    current = await checkins.current_campaign(ctx.session, ctx.collective_id)
    if current is None:
        await ctx.reply(_("No campaign is on. `{p}campaign start <name>` marks one."), p=ctx.prefix)
        return
    now = ctx.now()
    current.ended_at = now
    await ctx.audit("campaign.ended", name=current.name)
    days = ctx.settings.checkin_after_days
    await ctx.reply(
        _(
            "{who} ended the campaign **{name}**. The week until {rest} is for rest: the role "
            "rotation in it says so."
        )
        + " "
        + (_("The check-in starts now.") if days == 0 else _("The check-in comes on {when}.")),
        who=await ctx.mention(ctx.author, ping=False),
        name=current.name,
        rest=ctx.time(now + REST_WEEK),
        when=ctx.time(now + timedelta(days=days)),
    )
    await decompression.offer(ctx, current.name)
    if days == 0:
        await _campaign_checkin(ctx, current)


async def _campaign_checkin(ctx: Context, campaign: Campaign) -> None:
    already = await checkins.open_checkin(ctx.session, ctx.collective_id)
    if already is not None:
        if already.campaign_id is None:
            already.campaign_id = campaign.id  # the open check-in serves for this one too
        return
    await start_checkin(ctx, campaign)
    await ctx.audit("checkin.after_campaign", automatic=True, name=campaign.name)


@practice.command(
    "checkin",
    summary=N_("Start a capacity check-in now: everyone is asked by direct message."),
    examples=("!checkin",),
)
async def checkin(ctx: Context) -> None:
    found = await checkins.open_checkin(ctx.session, ctx.collective_id)
    if found is not None:
        await ctx.reply(
            _("A check-in is open until {closes}: answer in your direct chat with me."),
            closes=ctx.time(found.closes_at),
        )
        return
    await ctx.audit("checkin.started")
    await start_checkin(ctx, None)


@practice.job("checkin-tick", lambda settings: "0 * * * *")
async def tick(ctx: Context) -> None:
    """Hourly: the check-in due after a campaign, the counts of one that closes, and
    forgetting who answered what once it no longer matters."""
    now = ctx.now()
    due = now - timedelta(days=ctx.settings.checkin_after_days)
    for ended in await checkins.awaiting_checkin(ctx.session, ctx.collective_id, due):
        if await checkins.open_checkin(ctx.session, ctx.collective_id) is None:
            await _campaign_checkin(ctx, ended)
    for found in await checkins.due_to_close(ctx.session, ctx.collective_id, now):
        counts = await checkins.close(ctx.session, found, now)
        campaign = await checkins.campaign(ctx.session, found.campaign_id)
        rest = await checkins.rest_week(ctx.session, ctx.collective_id, now)
        fewest = ctx.settings.reflection_min_answers
        answered = counts.green + counts.yellow + counts.red
        closed = (
            _("**Check-in** after the campaign **{campaign}** closed:")
            if campaign
            else _("**Check-in** closed:")
        )
        shown = (
            _(
                "{green} green, {yellow} yellow, {red} red; {none} did not answer. Counts "
                "only: nobody's answer is shown. A mirror of how the group is, not a score for "
                "anyone."
            )
            if answered >= fewest
            # With so few, the counts could tell whose answer was which.
            else ngettext(
                "fewer than {fewest} member answered, too few to show the counts without "
                "revealing someone's answer.",
                "fewer than {fewest} members answered, too few to show the counts without "
                "revealing someone's answer.",
                fewest,
            )
        )
        text = closed + " " + shown
        if rest:
            text += " " + _("Until {until} is a week for rest.")
        await ctx.announce(
            text,
            campaign=campaign.name if campaign else "",
            green=counts.green,
            yellow=counts.yellow,
            red=counts.red,
            none=counts.unanswered,
            fewest=fewest,
            until=ctx.time(rest.ended_at + REST_WEEK) if rest else "",
        )
    await checkins.prune(ctx.session, ctx.collective_id, now - KEEP_ANSWERS)


async def _waiting(ctx: Context) -> bool:
    found = await checkins.open_checkin(ctx.session, ctx.collective_id)
    if found is None or found.closes_at <= ctx.now():
        return False
    return await checkins.asked(ctx.session, found.id, ctx.author) is not None


@practice.answers(
    N_("the check-in"),
    waiting=_waiting,
    accepts=lambda text: capacity(text) is not None,
    # TRANSLATORS: green, yellow and red are the words members answer with: keep them.
    shape=N_("one word: green, yellow or red"),
)
async def take_answer(ctx: Context, text: str) -> None:
    found = await checkins.open_checkin(ctx.session, ctx.collective_id)
    assert found is not None
    row = await checkins.asked(ctx.session, found.id, ctx.author)
    assert row is not None
    row.answer = capacity(text)
    await ctx.reply(
        _(
            "Noted **{answer}** for the check-in of {group}. The group sees only the counts, "
            "on {closes}; answer again to change it."
        ),
        answer=row.answer,
        group=_group(ctx),
        closes=ctx.time(found.closes_at),
    )
