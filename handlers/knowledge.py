"""The knowledge map: who knows what, so no one becomes indispensable by accident.

An area with a single holder is a single point of knowledge; the bot says so and
suggests a cross-training pair, because naming the risk is cheaper than losing it.
"""

from __future__ import annotations

from handlers.context import Context, Mention
from handlers.registry import MAX_NAME, Name, Practice, Text, UsageError, normalise
from storage import audit, knowledge, labour

MAX_AREAS = 10
LIST_LIMIT = 40

practice = Practice("Knowledge", "A map of who knows what, and where knowledge is thin.")


def _areas(text: str) -> list[str]:
    areas: list[str] = []
    for part in text.split(","):
        area = normalise(part)
        if not area:
            continue
        if len(area) > MAX_NAME:
            raise UsageError(
                f"An area name is too long ({len(area)} characters; at most {MAX_NAME})."
            )
        if area not in areas:
            areas.append(area)
    if not areas:
        raise UsageError("Missing area.")
    if len(areas) > MAX_AREAS:
        raise UsageError(f"At most {MAX_AREAS} areas at once.")
    return areas


def _bold_list(prefix: str, items: list[str]) -> tuple[str, dict[str, object]]:
    fields = ", ".join(f"**{{{prefix}{i}}}**" for i in range(len(items)))
    return fields, {f"{prefix}{i}": item for i, item in enumerate(items)}


@practice.command(
    "knows",
    Text("areas", label="<area>[, <area>...]"),
    summary="Declare areas you know well enough to do or teach.",
    examples=("!knows database", "!knows bookkeeping, press contacts"),
)
async def knows(ctx: Context, areas: str) -> None:
    names = _areas(areas)
    now = ctx.now()
    for area in names:
        await knowledge.declare(ctx.session, ctx.collective_id, ctx.me, area, "knows", now)
        await audit.record(ctx.session, ctx.collective_id, ctx.me, "declared knowledge", area, now)
    fields, values = _bold_list("a", names)
    await ctx.reply(
        "Noted: {who} knows " + fields + ". `{p}whohas <area>` shows everyone who does.",
        who=await ctx.mention(ctx.me, ping=False),
        p=ctx.prefix,
        **values,
    )


@practice.command(
    "unknows",
    Name("area"),
    summary="Withdraw a declaration that you know (or are learning) an area.",
    examples=("!unknows database",),
)
async def unknows(ctx: Context, area: str) -> None:
    who = await ctx.mention(ctx.me, ping=False)
    previous = await knowledge.withdraw(ctx.session, ctx.collective_id, ctx.me, area)
    if previous is None:
        await ctx.reply("{who} had not declared **{area}**; nothing changed.", who=who, area=area)
        return
    await audit.record(
        ctx.session, ctx.collective_id, ctx.me, "withdrew knowledge", area, ctx.now()
    )
    await ctx.reply("Removed: {who} no longer listed for **{area}**.", who=who, area=area)


@practice.command(
    "learning",
    Name("area"),
    summary="Say you are learning an area, so a holder can cross-train you.",
    examples=("!learning database",),
)
async def learning(ctx: Context, area: str) -> None:
    who = await ctx.mention(ctx.me, ping=False)
    found = await knowledge.declaration(ctx.session, ctx.collective_id, ctx.me, area)
    if found is not None and found.level == "knows":
        await ctx.reply(
            "{who} already declared knowing **{area}**. To be listed as learning it instead, "
            "`{p}unknows {area}` first.",
            who=who,
            area=area,
            p=ctx.prefix,
        )
        return
    await knowledge.declare(ctx.session, ctx.collective_id, ctx.me, area, "learning", ctx.now())
    await audit.record(ctx.session, ctx.collective_id, ctx.me, "learning", area, ctx.now())
    holders = [
        d
        for d in await knowledge.for_area(ctx.session, ctx.collective_id, area)
        if d.level == "knows"
    ]
    if holders:
        names = await ctx.quiet_names()
        listed = ", ".join(names[d.user_id].label for d in holders if d.user_id in names)
        await ctx.reply(
            "Noted: {who} is learning **{area}**. Who knows it: {holders}.",
            who=who,
            area=area,
            holders=listed,
        )
    else:
        await ctx.reply(
            "Noted: {who} is learning **{area}**. Nobody has declared knowing it yet.",
            who=who,
            area=area,
        )


@practice.command(
    "whohas",
    Name("area"),
    summary="Who knows an area, who has done tasks in it, who is learning it.",
    examples=("!whohas database",),
)
async def whohas(ctx: Context, area: str) -> None:
    declared = await knowledge.for_area(ctx.session, ctx.collective_id, area)
    names = await ctx.quiet_names()
    holders = [d.user_id for d in declared if d.level == "knows" and d.user_id in names]
    learners = [d.user_id for d in declared if d.level == "learning" and d.user_id in names]
    done = await labour.exercised(ctx.session, ctx.collective_id, area)
    done = {u: n for u, n in done.items() if u in names}

    values: dict[str, object] = {"area": area, "p": ctx.prefix}
    lines = ["**{area}**"]

    def people(key: str, users: list[str]) -> str:
        values[key] = ", ".join(names[u].label for u in users)
        return "{" + key + "}"

    lines.append("- Declared: " + (people("holders", holders) if holders else "nobody"))
    if done:
        ranked = sorted(done, key=lambda u: (-done[u], names[u].label))
        values["done"] = ", ".join(f"{names[u].label} ({done[u]})" for u in ranked)
        lines.append("- Done tasks in it: {done}")
    else:
        lines.append("- Done tasks in it: none logged")
    lines.append("- Learning: " + (people("learners", learners) if learners else "nobody"))

    if not holders:
        lines.append("Nobody has declared **{area}**. Anyone who knows it: `{p}knows {area}`.")
    elif len(holders) == 1:
        holder = Mention(holders[0], names[holders[0]].name)
        values["holder"] = holder
        lines.append("⚠ **Single point of knowledge**: only {holder} has declared **{area}**.")
        if learners:
            values["learner"] = Mention(learners[0], names[learners[0]].name)
            lines.append("Cross-training suggestion: {holder} with {learner}.")
        else:
            lines.append(
                "Who would like to learn it? `{p}learning {area}`, and pair up with {holder}."
            )
    await ctx.reply("\n".join(lines), **values)


@practice.command(
    "spof",
    summary="Every area with fewer than two holders: single points of knowledge.",
    examples=("!spof",),
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
    if not declared:
        await ctx.reply(
            "The knowledge map is empty. Declare what you know with `{p}knows <area>`.",
            p=ctx.prefix,
        )
        return
    if not thin:
        await ctx.reply(
            "Every declared area has at least two holders ({n} areas). Good cover.", n=len(holders)
        )
        return
    lines = ["**Areas with fewer than two holders** ({n} of {total})"]
    values: dict[str, object] = {"n": len(thin), "total": len(holders), "p": ctx.prefix}
    values["more"] = len(thin) - LIST_LIMIT
    for i, area in enumerate(thin[:LIST_LIMIT]):
        held = holders[area]
        learning_now = learners.get(area, [])
        who = names[held[0]].label if held and held[0] in names else "nobody"
        extra = ""
        if learning_now:
            values[f"l{i}"] = ", ".join(names[u].label for u in learning_now if u in names)
            extra = f"; learning: {{l{i}}}"
        lines.append(f"- **{{a{i}}}**: {{h{i}}}{extra}")
        values[f"a{i}"], values[f"h{i}"] = area, who
    if len(thin) > LIST_LIMIT:
        lines.append("… and {more} more.")
    lines.append("Pair a holder with a learner: `{p}learning <area>`, `{p}whohas <area>`.")
    await ctx.reply("\n".join(lines), **values)
