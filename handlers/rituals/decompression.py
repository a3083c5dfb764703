"""Decompression that gathers people: "Shared meals. Reflection circles. Time off." When a
campaign ends, the care of organising a gathering goes on the task list (someone has to
do it, and it is work), a native poll asks which day suits, and everyone is told the rest
week is theirs to take, not only those who answer red at the check-in."""

from __future__ import annotations

from datetime import timedelta

from babel.dates import format_date

from handlers.context import Context
from handlers.i18n import N_, _, locale_name
from handlers.meetings.polls import open_poll
from storage import labour

TASK = N_("organise the decompression gathering")
FIRST_DAY, DAYS = 8, 4  # the poll offers the four days after the rest week


async def offer(ctx: Context, campaign: str) -> None:
    """After `!campaign end`: the care task, the date poll, and the word on rest."""
    now = ctx.now()
    name = _(TASK)
    if await labour.task(ctx.session, ctx.collective_id, name) is None:
        await labour.add_task(ctx.session, ctx.collective_id, name, "care", ctx.author, now)
        await ctx.audit("task.added", task=name)
    today = now.astimezone(ctx.settings.timezone).date()
    days = [today + timedelta(days=FIRST_DAY + i) for i in range(DAYS)]
    options = [str(format_date(d, "EEEE d MMMM", locale=locale_name())) for d in days]
    options.append(_("another time"))
    await open_poll(
        ctx,
        _(
            "Which day for a decompression gathering after {campaign} (a shared meal, a circle)?"
        ).format(campaign=" ".join(campaign.split())[:100]),
        options,
    )
    await ctx.announce(
        _(
            "**Decompression** after **{campaign}**: the task **{task}** is on the list for "
            "whoever takes it (`{p}task claim {task}`), and the poll above asks which day "
            "suits. The rest week is for everyone who wants it, not only those who answer red "
            "at the check-in: `{p}away 1w` takes it."
        ),
        campaign=campaign,
        task=name,
        p=ctx.prefix,
    )
