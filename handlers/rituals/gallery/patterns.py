"""The gallery walk's patterns: what the group's records say about who is heard, whose
work is invisible, who alone knows what, who holds the roles, whose proposals carry, who
holds the room's keys, and the sovereignty lens (meetings, access, follow-through), in
counts for the whole group, never a name or a ranking. The walk itself, its dots and its
tally are in `walk.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from handlers import sovereignty
from handlers.airtime import measure
from handlers.context import Context
from handlers.i18n import N_, _, ngettext
from handlers.stats import percent
from storage import decision_log, decisions, knowledge, labour, roles, room_power

ROLE_WINDOW = relativedelta(months=6)


@dataclass(frozen=True)
class Period:
    label: str
    first: date
    last: date

    def bounds(self, ctx: Context) -> tuple[datetime, datetime]:
        zone = ctx.settings.timezone
        start = datetime.combine(self.first, time(0), tzinfo=zone)
        return start, datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)


def _fewest_for_half(counts: list[int]) -> int:
    """How many, taking the largest first, together did more than half."""
    total, running = sum(counts), 0
    for i, c in enumerate(sorted(counts, reverse=True), start=1):
        running += c
        if running * 2 > total:
            return i
    return len(counts)


# A pattern's statement: looked up once, then said in whichever language is current when
# it is called (the walk keeps it in English, and posts it in the collective's language).
Statement = Callable[[], str]


def member_count(n: int) -> str:
    return ngettext("{n} member", "{n} members", n).format(n=n)


async def _airtime(ctx: Context, period: Period, members: int) -> Statement:
    a = await measure(ctx, period.first, period.last)
    if not a.messages:
        return lambda: _(
            "No messages were counted in the room in this period: any talk was elsewhere."
        )
    return lambda: ngettext(
        "The most active fifth ({k} of {members} member) wrote {fifth} of the words; "
        "{silent} of {members} wrote nothing here. Gini {gini} (0: everyone equal; 1: a "
        "single voice).",
        "The most active fifth ({k} of {members} members) wrote {fifth} of the words; "
        "{silent} of {members} wrote nothing here. Gini {gini} (0: everyone equal; 1: a "
        "single voice).",
        members,
    ).format(
        k=a.fifth_size,
        members=members,
        fifth=percent(a.fifth_share, 1),
        silent=a.silent,
        gini=f"{a.gini:.2f}",
    )


async def _invisible(ctx: Context, start: datetime, end: datetime, members: int) -> Statement:
    work = await labour.by_member_and_kind(ctx.session, ctx.collective_id, start, end)
    hidden = [w.get("invisible", 0) for w in work.values() if w.get("invisible")]
    care = [w.get("care", 0) for w in work.values() if w.get("care")]

    def say() -> str:
        if not hidden:
            text = _(
                "No invisible work (notes, minutes, cleaning, booking, admin...) was logged in "
                "this period: it was not done, or not seen."
            )
        else:
            by = ngettext(
                "{workers} of {members} member", "{workers} of {members} members", members
            ).format(workers=len(hidden), members=members)
            text = ngettext(
                "{n} invisible task was logged, by {by}; {fewest} of them did more than half "
                "of it.",
                "{n} invisible tasks were logged, by {by}; {fewest} of them did more than half "
                "of it.",
                sum(hidden),
            ).format(n=sum(hidden), by=by, fewest=_fewest_for_half(hidden))
        if care:
            tasks = ngettext("{n} task", "{n} tasks", sum(care)).format(n=sum(care))
            text += " " + _("Care work: {tasks} by {people}.").format(
                tasks=tasks, people=member_count(len(care))
            )
        else:
            text += " " + _("No care work was logged.")
        return text

    return say


async def _knowledge(ctx: Context) -> Statement:
    declared = await knowledge.all_current(ctx.session, ctx.collective_id)
    if not declared:
        return lambda: _(
            "Nobody has declared what they know (!knows <area>): the knowledge map is blank."
        )
    holders: dict[str, set[str]] = {}
    for d in declared:
        holders.setdefault(d.area, set())
        if d.level == "knows":
            holders[d.area].add(d.user_id)
    single = sorted(a for a, h in holders.items() if len(h) == 1)
    none = sorted(a for a, h in holders.items() if not h)
    if not single and not none:
        return lambda: _("Every declared area ({n}) has at least two holders.").format(
            n=len(holders)
        )

    def say() -> str:
        parts = []
        if single:
            shown = ", ".join(single[:10])
            if len(single) > 10:
                shown = _("{areas} and {n} more").format(areas=shown, n=len(single) - 10)
            parts.append(
                ngettext(
                    "{n} area has a single holder ({areas})",
                    "{n} areas have a single holder ({areas})",
                    len(single),
                ).format(n=len(single), areas=shown)
            )
        if none:
            parts.append(
                ngettext(
                    "{n} area has only learners", "{n} areas have only learners", len(none)
                ).format(n=len(none))
            )
        if len(parts) == 2:
            found = _("{first} and {second}").format(first=parts[0], second=parts[1])
        else:
            found = parts[0]
        return ngettext(
            "Of {n} declared area, {found}.", "Of {n} declared areas, {found}.", len(holders)
        ).format(n=len(holders), found=found)

    return say


async def _roles(ctx: Context, end: datetime, members: int) -> Statement:
    held = await roles.terms_between(ctx.session, ctx.collective_id, end - ROLE_WINDOW, end)
    if not held:
        return lambda: _("No role was held in the last six months.")
    holders: dict[str, set[str | None]] = {}
    for role, user in held:
        holders.setdefault(role, set()).add(user)
    order = sorted(holders, key=lambda r: (r != "facilitation", r))
    listed = "; ".join(f"{r} {len(holders[r])}" for r in order[:12])
    return lambda: ngettext(
        "How many different members held each role in the last six months "
        "({members} member now): {listed}.",
        "How many different members held each role in the last six months "
        "({members} members now): {listed}.",
        members,
    ).format(members=members, listed=listed)


async def _decisions(ctx: Context, start: datetime, end: datetime, members: int) -> Statement:
    influence = await decision_log.influence(ctx.session, ctx.collective_id, start, end)
    decided = await decision_log.decided_between(ctx.session, ctx.collective_id, start, end)
    if not influence and not decided:
        return lambda: _(
            "No proposal was made or adopted, and no decision recorded, in this period."
        )
    made = sum(i.made for i in influence.values())
    makers = sum(1 for i in influence.values() if i.made)
    adopted = sum(i.adopted for i in influence.values())
    adopters = sum(1 for i in influence.values() if i.adopted)
    early = sum(1 for d in decided if d.closed_early)
    recorded = sum(1 for d in decided if d.kind == decisions.RECORD)

    def say() -> str:
        return _(
            "{adopted}, from {adopters}; {made}, by {makers} of {members}. Taken under time "
            "pressure: {early} closed early, {recorded} recorded without a proposal."
        ).format(
            adopted=ngettext(
                "{n} proposal was adopted", "{n} proposals were adopted", adopted
            ).format(n=adopted),
            adopters=ngettext("{n} member", "{n} different members", adopters).format(n=adopters),
            made=ngettext("{n} was made", "{n} were made", made).format(n=made),
            makers=makers,
            members=member_count(members),
            early=early,
            recorded=recorded,
        )

    return say


def _power(raw: str | None, members: set[str]) -> Statement:
    """How many members can do what, by the room's power: its power levels and, from room
    version 12 on, its creators, who hold every power without being listed."""
    power = room_power.read(raw)
    if power is None:
        return lambda: _("The bot has not seen the room's power levels yet.")
    # How many can do what (said in the current language), with the level it needs.
    needs = {
        N_("{n} can change the room's settings"): power.need_state("m.room.power_levels"),
        N_("{n} can remove people"): power.need("kick", 50),
        N_("{n} can invite"): power.need("invite", 0),
    }
    able = {what: sum(1 for u in members if power.level(u) >= need) for what, need in needs.items()}
    return lambda: ngettext(
        "Of {n} member, {able}.", "Of {n} members, {able}.", len(members)
    ).format(n=len(members), able=", ".join(_(what).format(n=n) for what, n in able.items()))


def _sovereignty(lens: sovereignty.Lens) -> Statement:
    """Who calls meetings, who alone holds access, whose suggestions became action."""
    return lambda: sovereignty.statement(lens)


# The patterns' titles, kept in English with the walk and translated where shown.
TITLES = (
    N_("Who is heard"),
    N_("Invisible work"),
    N_("Single points of knowledge"),
    N_("Who holds the roles"),
    N_("Whose proposals carry"),
    N_("Who holds the room's keys"),
    sovereignty.TITLE,
)


async def patterns(ctx: Context, period: Period) -> list[tuple[str, Statement]]:
    """The walk's patterns, (title, statement): the group's, in counts, never a name. The
    title is the English msgid (`_()` where shown); the statement says itself in whichever
    language is current when it is called."""
    start, end = period.bounds(ctx)
    current = set(await ctx.quiet_names())
    members = len(current)
    statements = [
        await _airtime(ctx, period, members),
        await _invisible(ctx, start, end, members),
        await _knowledge(ctx),
        await _roles(ctx, end, members),
        await _decisions(ctx, start, end, members),
        _power(ctx.collective.power_levels, current),
        _sovereignty(await sovereignty.measure(ctx, members, start, end)),
    ]
    return list(zip(TITLES, statements, strict=True))
