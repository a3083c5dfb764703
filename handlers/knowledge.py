"""The knowledge map: who knows what, so no one becomes indispensable by accident.

An area with a single holder is a single point of knowledge; the bot says so and
suggests a cross-training pair, because naming the risk is cheaper than losing it.
"""

from __future__ import annotations

from handlers import access
from handlers.arguments import Name, Names
from handlers.context import FORMER, Context, Mention, Rows
from handlers.i18n import N_, _, ngettext
from handlers.registry import Practice
from storage import entry, knowledge, labour, pairs

LIST_LIMIT = 40
MIRROR = N_("A mirror, not a score: it shows what members declared and logged.")

practice = Practice(N_("Knowledge"), N_("A map of who knows what, and where knowledge is thin."))


def _names(names: dict[str, Mention], users: list[str]) -> Rows:
    """Members by name, in name order: a map, not a ranking."""
    listed = sorted((names[u] for u in users if u in names), key=lambda m: m.label.casefold())
    return Rows("{item}", [m.label for m in listed], sep=", ")


@practice.command(
    "knows",
    Names("area"),
    summary=N_("Declare areas you know well enough to do or teach."),
    examples=("!knows database", "!knows bookkeeping, press contacts"),
)
async def knows(ctx: Context, area: list[str]) -> None:
    now = ctx.now()
    for name in area:
        await knowledge.declare(ctx.session, ctx.collective_id, ctx.author, name, "knows", now)
        await ctx.audit("knowledge.declared", area=name)
    await ctx.reply(
        _("Noted: {who} knows {areas}. `{p}whohas <area>` shows everyone who does."),
        who=await ctx.mention(ctx.author, ping=False),
        p=ctx.prefix,
        areas=Rows("**{item}**", area, sep=", "),
    )


@practice.command(
    "unknows",
    Name("area"),
    summary=N_("Withdraw a declaration that you know (or are learning) an area."),
    examples=("!unknows database",),
)
async def unknows(ctx: Context, area: str) -> None:
    who = await ctx.mention(ctx.author, ping=False)
    previous = await knowledge.withdraw(ctx.session, ctx.collective_id, ctx.author, area)
    if previous is None:
        await ctx.reply(
            _("{who} had not declared **{area}**; nothing changed."), who=who, area=area
        )
        return
    await ctx.audit("knowledge.withdrawn", area=area)
    await ctx.reply(_("Removed: {who} no longer listed for **{area}**."), who=who, area=area)


@practice.command(
    "learning",
    Name("area"),
    summary=N_("Say you are learning an area, so a holder can cross-train you."),
    examples=("!learning database",),
)
async def learning(ctx: Context, area: str) -> None:
    who = await ctx.mention(ctx.author, ping=False)
    found = await knowledge.declaration(ctx.session, ctx.collective_id, ctx.author, area)
    if found is not None and found.level == "knows":
        await ctx.reply(
            _(
                "{who} already declared knowing **{area}**. To be listed as learning it "
                "instead, `{p}unknows {area}` first."
            ),
            who=who,
            area=area,
            p=ctx.prefix,
        )
        return
    await knowledge.declare(ctx.session, ctx.collective_id, ctx.author, area, "learning", ctx.now())
    await ctx.audit("knowledge.learning", area=area)
    holders = [
        d
        for d in await knowledge.for_area(ctx.session, ctx.collective_id, area)
        if d.level == "knows"
    ]
    if holders:
        names = await ctx.quiet_names()
        text = _("Noted: {who} is learning **{area}**. Who knows it: {holders}.")
        values: dict[str, object] = {
            "who": who,
            "area": area,
            "holders": _names(names, [d.user_id for d in holders]),
            "p": ctx.prefix,
        }
        if await entry.current(ctx.session, ctx.collective_id, ctx.author) is not None:
            # A newcomer in their entry sprint: a buddy, the holder teaching fewest now.
            busy = [p.holder_id for p in await pairs.open_pairs(ctx.session, ctx.collective_id)]
            here = [d.user_id for d in holders if d.user_id in names]
            if here:
                buddy = min(here, key=lambda u: (busy.count(u), names[u].label.casefold()))
                text += " " + _(
                    "A buddy for your entry sprint: {buddy}, who knows it. Learn it together: "
                    "`{p}pair {area} {buddy_id}`."
                )
                values["buddy"] = Mention(buddy, names[buddy].name, ping=True)
                values["buddy_id"] = buddy
                await ctx.call(text, **values)
                return
        await ctx.reply(text, **values)
    else:
        await ctx.reply(
            _("Noted: {who} is learning **{area}**. Nobody has declared knowing it yet."),
            who=who,
            area=area,
        )


@practice.command(
    "whohas",
    Name("area"),
    summary=N_("Who knows an area, who has done tasks in it, who is learning it."),
    examples=("!whohas database",),
    read_only=True,
)
async def whohas(ctx: Context, area: str) -> None:
    declared = await knowledge.for_area(ctx.session, ctx.collective_id, area)
    names = await ctx.quiet_names()
    holders = [d.user_id for d in declared if d.level == "knows" and d.user_id in names]
    learners = [d.user_id for d in declared if d.level == "learning" and d.user_id in names]
    done = await labour.exercised(ctx.session, ctx.collective_id, area)
    done = {u: n for u, n in done.items() if u in names}

    values: dict[str, object] = {
        "area": area,
        "p": ctx.prefix,
        "holders": _names(names, holders),
        "done": _names(names, list(done)),
        "learners": _names(names, learners),
        "mirror": _(MIRROR),
    }
    lines = [
        "**{area}**",
        _("- Declared: {holders}") if holders else _("- Declared: nobody"),
        _("- Done tasks in it: {done}") if done else _("- Done tasks in it: none logged"),
        _("- Learning: {learners}") if learners else _("- Learning: nobody"),
    ]
    lines += await _pair_lines(ctx, area, names, values)
    if not holders:
        lines.append(_("Nobody has declared **{area}**. Anyone who knows it: `{p}knows {area}`."))
    elif len(holders) == 1:
        holder = Mention(holders[0], names[holders[0]].name)
        values["holder"] = holder
        lines.append(_("⚠ **Single point of knowledge**: only {holder} has declared **{area}**."))
        if learners:
            values["learner"] = Mention(learners[0], names[learners[0]].name)
            lines.append(_("Cross-training suggestion: {holder} with {learner}."))
        elif doers := sorted(u for u in done if u != holders[0]):
            values["learner"] = Mention(doers[0], names[doers[0]].name)
            lines.append(
                _("Cross-training suggestion: {holder} with {learner}, who has done tasks in it.")
            )
        else:
            lines.append(
                _("Who would like to learn it? `{p}learning {area}`, and pair up with {holder}.")
            )
    lines.append("{mirror}")
    await ctx.reply("\n".join(lines), **values)


async def _pair_lines(
    ctx: Context, area: str, names: dict[str, Mention], values: dict[str, object]
) -> list[str]:
    """Cross-training in the area (handlers/pairs.py): pairs in progress, and learners of
    completed pairs, listed as holders in training until they declare knowing it."""
    lines = []
    going = [
        {"learner": names[p.learner_id].label, "holder": names[p.holder_id].label}
        for p in await pairs.open_pairs(ctx.session, ctx.collective_id, area)
        if p.learner_id in names and p.holder_id in names
    ]
    if going:
        values["pairs"] = Rows(_("{learner} learning from {holder}"), going, sep="; ")
        lines.append(_("- Cross-training in progress: {pairs}"))
    declared = {
        d.user_id
        for d in await knowledge.for_area(ctx.session, ctx.collective_id, area)
        if d.level == "knows"
    }
    trained = {
        p.learner_id: p.holder_id
        for p in await pairs.trained(ctx.session, ctx.collective_id, area)
        if p.learner_id in names and p.learner_id not in declared
    }
    if trained:
        rows = [
            {"learner": names[u].label, "holder": names[h].label if h in names else _(FORMER)}
            for u, h in trained.items()
        ]
        values["trained"] = Rows(_("{learner} (learned from {holder})"), rows, sep="; ")
        lines.append(_("- Holders in training: {trained}"))
    return lines


@practice.command(
    "spof",
    summary=N_("Single points of knowledge (areas with fewer than two holders) and of access."),
    examples=("!spof",),
    read_only=True,
)
async def spof(ctx: Context) -> None:
    declared = await knowledge.all_current(ctx.session, ctx.collective_id)
    names = await ctx.quiet_names()
    holders: dict[str, list[str]] = {}
    learners: dict[str, list[str]] = {}
    for d in declared:
        target = holders if d.level == "knows" else learners
        target.setdefault(d.area, []).append(d.user_id)
        holders.setdefault(d.area, [])
    thin = sorted(a for a, h in holders.items() if len(h) < 2)
    going: dict[str, list[str]] = {}
    for p in await pairs.open_pairs(ctx.session, ctx.collective_id):
        if p.learner_id in names and p.holder_id in names:
            going.setdefault(p.area.casefold(), []).append(
                _("{learner} with {holder}").format(
                    learner=names[p.learner_id].label, holder=names[p.holder_id].label
                )
            )
    values: dict[str, object] = {"p": ctx.prefix}
    if not declared:
        template = _("The knowledge map is empty. Declare what you know with `{p}knows <area>`.")
    elif not thin:
        template = ngettext(
            "Every declared area has at least two holders ({n} area). Good cover.",
            "Every declared area has at least two holders ({n} areas). Good cover.",
            len(holders),
        )
        values["n"] = len(holders)
    else:
        rows = []
        for area in thin:
            held = holders[area]
            learning_now = [u for u in learners.get(area, []) if u in names]
            rows.append(
                {
                    "area": area,
                    "holder": names[held[0]].label if held and held[0] in names else _("nobody"),
                    "learning": _names(names, learning_now) if learning_now else _("nobody"),
                    "pairs": "; ".join(going.get(area.casefold(), [])) or _("none"),
                }
            )
        template = (
            _("**Areas with fewer than two holders** ({n} of {total})")
            + "\n{rows}\n"
            + _("Pair a learner with a holder: `{p}pair <area> <holder>`, `{p}whohas <area>`.")
            + " {mirror}"
        )
        values.update(
            n=len(thin),
            total=len(holders),
            rows=Rows(
                _("- **{area}**: {holder}; learning: {learning}; pairs in progress: {pairs}"),
                rows,
                limit=LIST_LIMIT,
            ),
            mirror=_(MIRROR),
        )
    # Single points of access (handlers/access.py), beside single points of knowledge.
    if (section := await access.spof_section(ctx)) is not None:
        template += "\n\n" + section[0]
        values.update(section[1])
    await ctx.reply(template, **values)
