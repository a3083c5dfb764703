"""The circle of shadows as one session, as the seed describes it: "Begin with a silent
gallery walk… Break into small groups mixing newer and older members. Ask each group to
identify one imbalance they feel complicit in sustaining. Frame responses in the first
person… Reconvene and propose structural experiments… End with affirmation."

`!circle start` (or `[schedule] circle`) runs the four steps in the room, each for its
minutes; `!circle next` moves on early and `!circle end` stops. The step and its end are
stored, and each step is posted by the same transaction that moves the circle on, so a
restart neither repeats nor skips one. The steps reuse the gallery walk, `!groups` and the
experiments; this module only carries the group from one to the next.
"""

from __future__ import annotations

import random

from handlers.context import Context, Rows
from handlers.i18n import N_, _
from handlers.registry import Practice
from handlers.rituals import groups
from handlers.rituals.gallery.patterns import Period
from handlers.rituals.gallery.walk import (
    CLOSE_CRON,
    _recent,
    close_walk,
    ends_at,
    month_before,
    start_walk,
)
from storage import circles, experiments, gallery
from storage.circles import AFFIRMATION, EXPERIMENTS, GALLERY, GROUPS, STEPS, Circle

practice = Practice(
    N_("Circle of shadows, as one session"),
    N_("The gallery walk, small groups, experiments and an affirmation, one after another."),
)

PROMPT = N_(
    "In your group, each of you names one imbalance you feel complicit in sustaining. Speak "
    'in the first person ("I talk first", "I keep the passwords"), about yourself, not '
    "about others."
)
AFFIRM = N_("Name a moment this month where you felt agency.")


async def _begin(ctx: Context, period: Period, *, scheduled: bool) -> None:
    """Open a circle and its first step, the gallery walk; refused while one is open."""
    open_ = await circles.open_circle(ctx.session, ctx.collective_id)
    walking = await gallery.open_walk(ctx.session, ctx.collective_id)
    if open_ is not None or walking is not None:
        text = (
            _("A circle is already running (step {step} of {steps}); `{p}circle end` stops it.")
            if open_ is not None
            else _("A gallery walk is open until {end}; `{p}gallery end` closes it first.")
        )
        busy: dict[str, object] = {
            "step": open_.step if open_ else 0,
            "steps": STEPS,
            "end": ctx.time(walking.ends_at) if walking else "",
            "p": ctx.prefix,
        }
        await (ctx.reply(text, **busy) if ctx.event_id else ctx.say(text, **busy))
        return
    s = ctx.settings
    intro = _(
        "**Circle of shadows**: one session in four steps. 1. a silent gallery walk "
        "({gallery} min); 2. small groups, each naming an imbalance in the first person "
        "({groups} min); 3. structural experiments ({experiments} min); 4. a closing "
        "affirmation. `{p}circle next` moves on early, `{p}circle end` stops."
    )
    values: dict[str, object] = {
        "gallery": s.circle_gallery_minutes,
        "groups": s.circle_groups_minutes,
        "experiments": s.circle_experiments_minutes,
        "p": ctx.prefix,
    }
    if scheduled:
        await ctx.announce(intro, **values)
    else:
        values["who"] = await ctx.mention(ctx.author, ping=False)
        await ctx.reply(_("{who} started a circle of shadows.") + "\n" + intro, **values)
    await start_walk(ctx, s.circle_gallery_minutes, period, scheduled=scheduled)
    walk = await gallery.open_walk(ctx.session, ctx.collective_id)
    assert walk is not None
    circle = await circles.start(
        ctx.session,
        ctx.collective_id,
        by=ctx.author or None,
        scheduled=scheduled,
        now=ctx.now(),
        step_ends_at=walk.ends_at,
    )
    await ctx.audit("circle.started", automatic=scheduled, circle=circle.id)


async def _advance(ctx: Context, circle: Circle, how: str) -> None:
    """End the current step and post the next (the last ends the circle)."""
    now = ctx.now()
    if circle.step == GALLERY:
        walk = await gallery.open_walk(ctx.session, ctx.collective_id)
        if walk is not None:
            await close_walk(ctx, walk, how)
        circle.step, circle.step_ends_at = GROUPS, ends_at(now, ctx.settings.circle_groups_minutes)
        await ctx.announce(
            _("**Circle of shadows, step 2 of 4: small groups** until {end}.\n{prompt}"),
            end=ctx.time(circle.step_ends_at),
            prompt=_(PROMPT),
        )
        await groups.groups(ctx, None)
    elif circle.step == GROUPS:
        minutes = ctx.settings.circle_experiments_minutes
        circle.step, circle.step_ends_at = EXPERIMENTS, ends_at(now, minutes)
        running = [
            e
            for e in await experiments.every(ctx.session, ctx.collective_id)
            if e.ends_at > now and e.review_number is None
        ]
        rows = [{"n": e.number, "change": e.change, "end": ctx.date(e.ends_at)} for e in running]
        await ctx.announce(
            _(
                "**Circle of shadows, step 3 of 4: structural experiments** until {end}.\n"
                "Back together: what would change the patterns you saw? Record a trial with "
                "`{p}experiment <change> for 1m`; at its end the group keeps, changes or "
                "drops it.\n{running}"
            ),
            end=ctx.time(circle.step_ends_at),
            p=ctx.prefix,
            running=Rows(_("- Running: #{n} {change} (until {end})"), rows)
            if rows
            else _("No experiment is running now."),
        )
    else:
        circle.step, circle.ended_at = AFFIRMATION, now
        names = await ctx.quiet_names()
        order = [names[u] for u in sorted(names)]
        random.Random(f"circle:{circle.id}").shuffle(order)
        await ctx.announce(
            _(
                "**Circle of shadows, step 4 of 4: affirmation**. {question} One at a time, "
                "in this order (drawn at random):\n{order}\nThe circle ends with this round. "
                "Thank you all."
            ),
            question=_(AFFIRM),
            order=Rows("{n}. {who}", [{"n": i + 1, "who": m} for i, m in enumerate(order)]),
        )
        await ctx.audit("circle.ended", automatic=not ctx.author, circle=circle.id)


@practice.command(
    "circle start",
    summary=N_("Run the circle of shadows as one session: walk, groups, experiments, affirmation."),
    examples=("!circle start",),
)
async def circle_start(ctx: Context) -> None:
    await _begin(ctx, _recent(ctx), scheduled=False)


@practice.command(
    "circle next",
    summary=N_("Move the running circle of shadows on to its next step now."),
    examples=("!circle next",),
)
async def circle_next(ctx: Context) -> None:
    circle = await circles.open_circle(ctx.session, ctx.collective_id)
    if circle is None:
        await ctx.reply(_("No circle is running. `{p}circle start` starts one."), p=ctx.prefix)
        return
    who = await ctx.mention(ctx.author, ping=False)
    await ctx.reply(_("{who} moved the circle on."), who=who)
    how = _("closed early by {who} with `{p}circle next`").format(who=who.label, p=ctx.prefix)
    await _advance(ctx, circle, how)


@practice.command(
    "circle end",
    summary=N_("Stop the running circle of shadows."),
    examples=("!circle end",),
)
async def circle_end(ctx: Context) -> None:
    circle = await circles.open_circle(ctx.session, ctx.collective_id)
    if circle is None:
        await ctx.reply(_("No circle is running. `{p}circle start` starts one."), p=ctx.prefix)
        return
    who = await ctx.mention(ctx.author, ping=False)
    if circle.step == GALLERY and (walk := await gallery.open_walk(ctx.session, ctx.collective_id)):
        how = _("closed early by {who} with `{p}circle end`").format(who=who.label, p=ctx.prefix)
        await close_walk(ctx, walk, how)
    circle.ended_at, circle.ended_by = ctx.now(), ctx.author
    await ctx.audit("circle.stopped", circle=circle.id, step=circle.step)
    await ctx.reply(
        _("{who} stopped the circle of shadows at step {step} of {steps}."),
        who=who,
        step=circle.step,
        steps=STEPS,
    )


@practice.job("circle", "circle")
async def monthly(ctx: Context) -> None:
    """On `[schedule] circle` (off unless set): a circle through the month just ended."""
    await _begin(ctx, month_before(ctx), scheduled=True)


@practice.job("circle-step", lambda settings: CLOSE_CRON)
async def step_due(ctx: Context) -> None:
    """Every five minutes: a circle whose step's time is up moves on, once."""
    for circle in await circles.due(ctx.session, ctx.collective_id, ctx.now()):
        await _advance(ctx, circle, _("at the end of its time in the circle"))
