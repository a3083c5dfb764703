"""Cross-training pairs: "cross training is an equality practice". A member who wants to
learn an area pairs up with one who holds it; the bot reminds both after a while, and a
completed pair lists the learner as a holder in training, so knowledge stops resting on
one person. Part of the knowledge practice (`!whohas` and `!spof` show pairs)."""

from __future__ import annotations

from datetime import timedelta

from handlers.arguments import Member, Name
from handlers.context import Context, Mention, Rows
from handlers.errors import UsageError
from handlers.i18n import N_, _
from handlers.knowledge import practice
from storage import knowledge, pairs

LIST_LIMIT = 40


async def _open_for(ctx: Context, area: str) -> pairs.Pair:
    """The sender's one open pair in the area (as learner first, then as holder)."""
    found = await pairs.mine(ctx.session, ctx.collective_id, area, ctx.author)
    learning = [p for p in found if p.learner_id == ctx.author]
    if learning:
        return learning[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(
            _("You are in no cross-training pair for **{area}**. `{p}pairs` lists them.").format(
                area=area, p=ctx.prefix
            )
        )
    raise UsageError(
        _(
            "You teach **{area}** to more than one member: the learner closes their pair "
            "(`{p}pair done {area}`)."
        ).format(area=area, p=ctx.prefix)
    )


@practice.command(
    "pair",
    Name("area"),
    Member("holder"),
    summary=N_("Learn an area from a member who holds it: a cross-training pair."),
    examples=("!pair database @alice:example.org", "!pair press contacts Bob"),
)
async def pair(ctx: Context, area: str, holder: Mention) -> None:
    if holder.user_id == ctx.author:
        raise UsageError(_("Name the member you learn from, not yourself."))
    mine = await knowledge.declaration(ctx.session, ctx.collective_id, ctx.author, area)
    if mine is not None and mine.level == "knows":
        raise UsageError(
            _(
                "You already declared knowing **{area}**: teach it instead. Whoever learns it "
                "from you types `{p}pair {area} <you>`."
            ).format(area=area, p=ctx.prefix)
        )
    for p in await pairs.mine(ctx.session, ctx.collective_id, area, ctx.author):
        if p.learner_id == ctx.author:
            raise UsageError(
                _(
                    "You are already learning **{area}** in a pair, since {since}. `{p}pair "
                    "done {area}` closes it; `{p}pair drop {area}` ends it."
                ).format(area=area, since=ctx.date(p.started_at), p=ctx.prefix)
            )
    now = ctx.now()
    if mine is None:
        await knowledge.declare(ctx.session, ctx.collective_id, ctx.author, area, "learning", now)
    await pairs.start(ctx.session, ctx.collective_id, area, ctx.author, holder.user_id, now)
    await ctx.audit("pair.started", members={"learner": ctx.author, "holder": holder.user_id},
                    area=area)  # fmt: skip
    theirs = await knowledge.declaration(ctx.session, ctx.collective_id, holder.user_id, area)
    text = _(
        "{learner} is learning **{area}** from {holder}: a cross-training pair. The bot "
        "reminds you both in {days} days; `{p}pair done {area}` when {learner} can do it "
        "with {holder} nearby."
    )
    if theirs is None or theirs.level != "knows":
        text += " " + _("({holder} has not declared knowing it yet: `{p}knows {area}`.)")
    await ctx.call(
        text,
        learner=await ctx.mention(ctx.author, ping=False),
        holder=Mention(holder.user_id, holder.name, ping=True),
        area=area,
        days=ctx.settings.pair_reminder_days,
        p=ctx.prefix,
    )


@practice.command(
    "pair done",
    Name("area"),
    summary=N_("Close your cross-training pair: the learner becomes a holder in training."),
    examples=("!pair done database",),
)
async def pair_done(ctx: Context, area: str) -> None:
    found = await _open_for(ctx, area)
    found.status, found.ended_at = pairs.DONE, ctx.now()
    members = {"learner": found.learner_id, "holder": found.holder_id}
    await ctx.audit("pair.done", members=members, area=found.area)
    await ctx.reply(
        _(
            "Cross-training done: {learner} learned **{area}** from {holder}, and is listed "
            "as a holder in training (`{p}whohas {area}`). When ready to do it alone: "
            "`{p}knows {area}`."
        ),
        learner=await ctx.mention(found.learner_id, ping=False),
        holder=await ctx.mention(found.holder_id, ping=False),
        area=found.area,
        p=ctx.prefix,
    )


@practice.command(
    "pair drop",
    Name("area"),
    summary=N_("End your cross-training pair without completing it."),
    examples=("!pair drop database",),
)
async def pair_drop(ctx: Context, area: str) -> None:
    found = await _open_for(ctx, area)
    found.status, found.ended_at = pairs.DROPPED, ctx.now()
    members = {"learner": found.learner_id, "holder": found.holder_id}
    await ctx.audit("pair.dropped", members=members, area=found.area)
    await ctx.reply(
        _("{who} ended the cross-training pair of {learner} and {holder} in **{area}**."),
        who=await ctx.mention(ctx.author, ping=False),
        learner=await ctx.mention(found.learner_id, ping=False),
        holder=await ctx.mention(found.holder_id, ping=False),
        area=found.area,
    )


@practice.command(
    "pairs",
    summary=N_("Cross-training pairs in progress."),
    examples=("!pairs",),
    read_only=True,
)
async def list_pairs(ctx: Context) -> None:
    found = await pairs.open_pairs(ctx.session, ctx.collective_id)
    if not found:
        await ctx.reply(
            _(
                "No cross-training pair is in progress. `{p}pair <area> <holder>` starts one: "
                "you learn the area from a member who holds it."
            ),
            p=ctx.prefix,
        )
        return
    rows = [
        {
            "area": p.area,
            "learner": await ctx.mention(p.learner_id, ping=False),
            "holder": await ctx.mention(p.holder_id, ping=False),
            "since": ctx.date(p.started_at),
        }
        for p in found
    ]
    await ctx.reply(
        _("**Cross-training pairs in progress**\n{rows}"),
        rows=Rows(
            _("- **{area}**: {learner} learning from {holder}, since {since}"),
            rows,
            limit=LIST_LIMIT,
        ),
    )


@practice.job("pair-reminder", "pairs")
async def remind(ctx: Context) -> None:
    """Once per pair, `pair_reminder_days` after it started: a nudge to both, so a pair
    does not quietly stall."""
    before = ctx.now() - timedelta(days=ctx.settings.pair_reminder_days)
    here = await ctx.quiet_names()
    for p in await pairs.due_reminders(ctx.session, ctx.collective_id, before):
        p.reminded_at = ctx.now()
        if p.learner_id not in here or p.holder_id not in here:
            continue  # one of them left: nobody to nudge
        await ctx.announce(
            _(
                "{learner} and {holder}: your cross-training pair in **{area}** started on "
                "{since}. How is it going? `{p}pair done {area}` when {learner} can do it, "
                "`{p}pair drop {area}` if it stopped."
            ),
            learner=await ctx.mention(p.learner_id),
            holder=await ctx.mention(p.holder_id),
            area=p.area,
            since=ctx.date(p.started_at),
            p=ctx.prefix,
        )
