"""Reflection groups: `!groups [size]` draws small groups that mix newer and older members.

Members are put in order of when the bot first saw them in the room (ties, such as
everyone who was there when the bot arrived, in random order) and cut into bands as wide
as the number of groups; each group gets one member of each band, at random. So the
longest-standing members are spread over the groups, as are the newest, and sizes differ
by at most one. Every draw is fresh (`random.SystemRandom`); nothing is stored.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime

from handlers.arguments import Number
from handlers.context import Context, Mention, Rows
from handlers.i18n import N_, _, ngettext
from handlers.registry import Practice
from storage import collectives

practice = Practice(
    N_("Reflection groups"),
    N_("Small groups drawn at random, each mixing newer and older members."),
)

DEFAULT_SIZE = 3.5  # groups of 3 to 4
SMALLEST = 3  # with no size given, fewer members than this make one group
MAX_SIZE = 50
NOTE = N_(
    "A random draw, not a judgement: the groups say nothing about anyone, and these counts "
    "are mirrors, not scores."
)


def draw(
    members: Sequence[tuple[str, datetime]], size: float, rng: random.Random
) -> list[list[str]]:
    """Groups of about `size` (as many as `size` fits best, at least one), sizes as even as
    possible, each taking one member from every band of seniority."""
    count = max(1, math.floor(len(members) / size + 0.5))
    order = [user for user, _ in sorted(members, key=lambda m: (m[1], rng.random()))]
    groups: list[list[str]] = [[] for _ in range(count)]
    for i in range(0, len(order), count):
        band = order[i : i + count]
        rng.shuffle(band)
        # A full band gives every group one; a last, partial one goes to random groups
        # among the smallest (all equal then), so sizes differ by at most one.
        slots = sorted(range(count), key=lambda g: (len(groups[g]), rng.random()))
        for g, user in zip(slots, band, strict=False):
            groups[g].append(user)
    return [g for g in groups if g]


def _sizes(groups: list[list[str]]) -> str:
    sizes = sorted((len(g) for g in groups), reverse=True)
    n = len(groups)
    if len(set(sizes)) == 1:
        return ngettext("{n} group of {size}", "{n} groups of {size}", n).format(n=n, size=sizes[0])
    return ngettext(
        "{n} group of {sizes} and {last}", "{n} groups of {sizes} and {last}", n
    ).format(n=n, sizes=", ".join(str(s) for s in sizes[:-1]), last=sizes[-1])


@practice.command(
    "groups",
    Number("size", optional=True, minimum=2),
    summary=N_(
        "Draw small reflection groups (default 3 to 4 people) mixing newer and older members."
    ),
    examples=("!groups", "!groups 5"),
)
async def groups(ctx: Context, size: int | None) -> None:
    if size is not None and size > MAX_SIZE:
        await ctx.reply(
            ngettext(
                "A group has at most {most} person.", "A group has at most {most} people.", MAX_SIZE
            ),
            most=MAX_SIZE,
        )
        return
    members = await collectives.members(ctx.session, ctx.collective_id)
    if not members:
        await ctx.reply(_("There is nobody to draw groups from: the room has no members yet."))
        return
    names = await ctx.quiet_names()

    def pill(user_id: str) -> Mention:
        shown = names.get(user_id)
        return Mention(user_id, shown.name if shown else None, ping=True)

    seen = [(m.user_id, m.first_seen_at) for m in members]
    wanted = size or SMALLEST
    if len(seen) < wanted:
        everyone = sorted((pill(u) for u, _since in seen), key=lambda m: m.label.casefold())
        await ctx.call(
            _(
                "**Reflection groups**: there are only {n}, fewer than {size}, so this is one "
                "group of everyone: {who}.\n{note}"
            ),
            n=ngettext("{n} member", "{n} members", len(seen)).format(n=len(seen)),
            size=wanted,
            who=Rows("{item}", everyone, sep=", "),
            note=_(NOTE),
        )
        return
    drawn = draw(seen, float(size) if size else DEFAULT_SIZE, random.SystemRandom())

    def named(group: list[str]) -> Rows:
        pills = sorted((pill(u) for u in group), key=lambda m: m.label.casefold())
        return Rows("{item}", pills, sep=", ")

    rows = [{"n": i, "who": named(g)} for i, g in enumerate(drawn, start=1)]
    await ctx.call(
        ngettext(
            "**Reflection groups**: {n} member in {sizes}, drawn at random, each mixing newer "
            "and older members (by when they joined).\n{groups}\n{note}",
            "**Reflection groups**: {n} members in {sizes}, drawn at random, each mixing newer "
            "and older members (by when they joined).\n{groups}\n{note}",
            len(seen),
        ),
        n=len(seen),
        sizes=_sizes(drawn) if len(drawn) > 1 else _("one group of {n}").format(n=len(seen)),
        groups=Rows(_("- Group {n}: {who}"), rows),
        note=_(NOTE),
    )
