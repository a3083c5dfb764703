"""The monthly power map: one mirror of airtime, labour, roles, decisions, knowledge and room
power, for the reflection meeting. Patterns of the group come first; members are listed by
name, never ranked; a practice with no data says so instead of vanishing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta

from handlers import chart, sovereignty
from handlers.airtime import MIRROR, measure, summary_lines
from handlers.arguments import Month as MonthArg
from handlers.context import FORMER, Context, Image, Rows
from handlers.i18n import N_, _, ngettext
from handlers.labour_kinds import KINDS, kind_count
from handlers.registry import Practice
from handlers.stats import percent
from handlers.timeparse import Month, month_of
from storage import decision_log, decisions, knowledge, labour, pairs, roles, room_power

practice = Practice(
    N_("Power map"),
    N_("The monthly mirror of airtime, labour, roles, decisions, knowledge and power."),
)


def _power(
    members: dict[str, str], raw: str | None, bot: str
) -> tuple[list[str], dict[str, object]]:
    """Lines on who holds the room's Matrix power, with concentration flagged. The power is
    the room's as its version grants it (`storage.room_power`): from room version 12 on,
    the room's creators hold every power without being listed in the power levels."""
    values: dict[str, object] = {}
    power = room_power.read(raw)
    if power is None:
        return [
            _("**Room power**: not known yet (the bot has not seen the room's power levels).")
        ], values
    # What one may do, shown to members (translated where shown), with the level it needs.
    needs = {
        # TRANSLATORS: what members may do, after "at most one member can ...".
        N_("invite"): power.need("invite", 0),
        N_("kick"): power.need("kick", 50),
        N_("change settings"): power.need_state("m.room.power_levels"),
    }
    lines = [_("**Room power** (Matrix power levels)"), "{power}"]
    concentrated, rows = [], []
    for what, need in needs.items():
        able = sorted(
            (name for uid, name in members.items() if power.level(uid) >= need), key=str.casefold
        )
        outsiders = sorted(
            uid for uid in power.holders()
            if uid not in members and uid != bot and power.level(uid) >= need
        )  # fmt: skip
        if able and len(able) == len(members):
            shown = _("everyone")
        else:
            shown = ", ".join(able) or _("no member")
        if outsiders:
            shown = _("{who} (also non-members: {others})").format(
                who=shown, others=", ".join(outsiders[:5])
            )
        rows.append({"what": _(what), "who": shown})
        if len(members) > 1 and len(able) <= 1:
            concentrated.append(_(what))
    values["power"] = Rows("- {what}: {who}", rows)
    creators = [members.get(uid, uid) for uid in power.privileged if uid != bot]
    if creators:
        values["creators"], values["room_version"] = ", ".join(creators), power.version
        lines.append(
            ngettext(
                "- {creators} created the room and, by its version ({room_version}), holds "
                "every power without being listed in the power levels.",
                "- {creators} created the room and, by its version ({room_version}), hold "
                "every power without being listed in the power levels.",
                len(creators),
            )
        )
    if power.level(bot) >= needs["change settings"]:
        lines.append(_("- the bot itself can change settings (it does not use that power)."))
    if concentrated:
        values["conc"] = ", ".join(concentrated)
        lines.append(
            _("⚠ Concentrated: at most one member can {conc}. Consider sharing that power.")
        )
    return lines, values


async def _decisions(
    ctx: Context, names: dict[str, str], start: datetime, end: datetime, values: dict[str, object]
) -> list[str]:
    """Decision influence: the group's pattern (whose proposals were adopted, what was decided
    under time pressure), then each member who proposed, by name."""
    lines = [_("**Decisions**")]
    influence = await decision_log.influence(ctx.session, ctx.collective_id, start, end)
    decided = await decision_log.decided_between(ctx.session, ctx.collective_id, start, end)
    if not influence and not decided:
        if await decision_log.search(ctx.session, ctx.collective_id, limit=1):
            lines.append(
                _("No proposals were made or decided and no decisions recorded this month.")
            )
        else:
            lines.append(
                _("No proposals or decisions are recorded yet (`{p}propose <text>` opens one).")
            )
        return lines
    made = sum(i.made for i in influence.values())
    adopted = sum(i.adopted for i in influence.values())
    recorded = sum(1 for d in decided if d.kind == decisions.RECORD)
    early = sum(1 for d in decided if d.closed_early)
    adopters = sum(1 for i in influence.values() if i.adopted)
    values["dec_made"] = ngettext("{n} proposal", "{n} proposals", made).format(n=made)
    values["dec_makers"] = sum(1 for i in influence.values() if i.made)
    values["dec_adopted"] = adopted
    values["dec_adopters"] = ngettext("{n} member's", "{n} members'", adopters).format(n=adopters)
    values["dec_recorded"] = ngettext("{n} decision", "{n} decisions", recorded).format(n=recorded)
    values["dec_early"] = ngettext("{n} proposal", "{n} proposals", early).format(n=early)
    lines.append(
        ngettext(
            "{dec_made} made by {dec_makers} of {members_n} member; {dec_adopted} adopted, "
            "from {dec_adopters} proposals. Taken under time pressure: {dec_recorded} recorded "
            "without a proposal, {dec_early} closed early.",
            "{dec_made} made by {dec_makers} of {members_n} members; {dec_adopted} adopted, "
            "from {dec_adopters} proposals. Taken under time pressure: {dec_recorded} recorded "
            "without a proposal, {dec_early} closed early.",
            len(names),
        )
    )
    each: dict[str, tuple[int, int]] = {}
    for author, counted in influence.items():
        label = names.get(author, FORMER) if author else FORMER
        had = each.get(label, (0, 0))
        each[label] = (had[0] + counted.made, had[1] + counted.adopted)
    former = each.pop(FORMER, None)
    rows = [
        {"who": label, "made": m, "adopted": a}
        for label, (m, a) in sorted(each.items(), key=lambda kv: kv[0].casefold())
    ]
    if former is not None:
        rows.append({"who": _(FORMER), "made": former[0], "adopted": former[1]})
    if rows:
        values["dec_each"] = Rows(_("- {who}: {made} made, {adopted} adopted"), rows)
        lines.append(_("Proposals by member (by name, not a ranking):\n{dec_each}"))
    return lines


Built = tuple[str, dict[str, object], list[chart.ChartRow], list[dict[str, Any]]]


async def build(ctx: Context, month: Month) -> Built:
    """The power map's text and values, its chart's member rows and its group panels."""
    start, end = month.bounds(ctx.settings.timezone)
    values: dict[str, object] = {"label": month.label, "first": month.first, "last": month.last}
    # `{late}`: filled by `post`, empty unless the monthly post comes late.
    lines = [_("**Power map, {label}** ({first} to {last}){late}"), "{mirror}"]
    values["mirror"], values["late"] = _(MIRROR), ""
    names = {u: m.label for u, m in (await ctx.quiet_names()).items()}
    values["members_n"], values["p"] = len(names), ctx.prefix

    air = await measure(ctx, month.first, month.last)
    lines.append(_("**Airtime**"))
    if air.messages:
        lines += summary_lines(air, values)
    else:
        lines.append(_("No messages were counted this month."))

    work = await labour.by_member_and_kind(ctx.session, ctx.collective_id, start, end)
    jointly: dict[str | None, int] = {}
    totals = {k: sum(w.get(k, 0) for w in work.values()) for k in KINDS}
    lines.append(_("**Labour**"))
    if work:
        logged = sum(totals.values())
        values["tasks"] = ngettext("{n} task", "{n} tasks", logged).format(n=logged)
        values["kinds"] = ", ".join(kind_count(k, totals[k]) for k in KINDS)
        values["workers"] = len(work)
        lines.append(
            ngettext(
                "{tasks} logged ({kinds}) by {workers} of {members_n} member.",
                "{tasks} logged ({kinds}) by {workers} of {members_n} members.",
                len(names),
            )
        )
        pieces, jointly = await labour.joint_between(ctx.session, ctx.collective_id, start, end)
        if pieces:
            values["joint_n"], values["joint_lines"] = pieces, sum(jointly.values())
            lines.append(
                ngettext(
                    "Shared work: {joint_n} piece done jointly ({joint_lines} of these tasks, "
                    "one for each who shared it).",
                    "Shared work: {joint_n} pieces done jointly ({joint_lines} of these tasks, "
                    "one for each who shared it).",
                    pieces,
                )
            )
    else:
        lines.append(_("No tasks were logged this month (`{p}task done <name>` logs one)."))

    held = await roles.terms_between(ctx.session, ctx.collective_id, start, end)
    by_role: dict[str, list[str]] = {}
    for role, user in held:
        label = names.get(user or "", _(FORMER))
        if label not in by_role.setdefault(role, []):
            by_role[role].append(label)
    lines.append(_("**Roles held**"))
    if by_role:
        values["roles"] = "; ".join(f"{r}: {', '.join(who)}" for r, who in by_role.items())
        lines.append("{roles}")
    else:
        lines.append(_("No role terms this month."))

    lines += await _decisions(ctx, names, start, end, values)
    # Our own words and counts only: braces doubled so they stay text in the template.
    lens = await sovereignty.measure(ctx, len(names), start, end)
    lines += [
        line.replace("{", "{{").replace("}", "}}") for line in sovereignty.lines(lens, ctx.prefix)
    ]

    declared = await knowledge.all_current(ctx.session, ctx.collective_id)
    holders: dict[str, list[str]] = {}
    for d in declared:
        holders.setdefault(d.area, [])
        if d.level == "knows":
            holders[d.area].append(names.get(d.user_id, d.user_id))
    thin = sorted(a for a, h in holders.items() if len(h) < 2)
    lines.append(_("**Single points of knowledge**"))
    if not declared:
        lines.append(_("The knowledge map is empty (`{p}knows <area>` fills it)."))
    elif thin:
        nobody = _("nobody")
        values["spof"] = "; ".join(f"{a} ({', '.join(holders[a]) or nobody})" for a in thin[:30])
        lines.append("{spof}")
    else:
        lines.append(_("None: every declared area has at least two holders."))
    completed = await pairs.completed_between(ctx.session, ctx.collective_id, start, end)
    going = len(await pairs.open_pairs(ctx.session, ctx.collective_id))
    lines.append(
        ngettext(
            "Cross-training: {done} pair completed this month; {going} in progress.",
            "Cross-training: {done} pairs completed this month; {going} in progress.",
            completed,
        ).format(done=completed, going=going)
    )

    power_lines, power_values = _power(names, ctx.collective.power_levels, ctx.runtime.user_id)
    lines += power_lines
    values.update(power_values)

    lines.append(_("**Each member** (by name)\n{each}"))
    rows, table = [], []
    for share in air.shares:
        mine = work.get(share.member.user_id, {})
        mine_roles = [r for r, u in held if u == share.member.user_id]
        shown = ", ".join(kind_count(k, mine[k]) for k in KINDS if mine.get(k))
        kinds = f" ({shown})" if mine else ""
        done = sum(mine.values())
        shared = jointly.get(share.member.user_id, 0)
        if shared:
            kinds += ", " + ngettext("{n} of them shared", "{n} of them shared", shared).format(
                n=shared
            )
        table.append(
            {
                "member": share.member,
                "airtime": percent(share.words, air.words),
                "tasks": ngettext("{n} task", "{n} tasks", done).format(n=done) + kinds,
                "roles": ", ".join(dict.fromkeys(mine_roles)) or _("none"),
            }
        )
        rows.append(
            chart.ChartRow(share.member.label, share.words / air.words if air.words else 0, mine)
        )
    values["each"] = Rows(_("- {member}: {airtime} of words; {tasks}; roles: {roles}"), table)
    return "\n".join(lines), values, rows, [sovereignty.panel(lens)]


async def post(ctx: Context, month: Month, late_note: str = "") -> None:
    text, values, rows, extra = await build(ctx, month)
    values["late"] = late_note
    if ctx.event_id:
        await ctx.reply(text, **values)
    else:
        await ctx.say(text, **values)
    # The chart's words are translated here, in the collective's language, and kept in the
    # spec: the sender renders it later, where no language is set.
    data = chart.spec(_("Power map, {label}").format(label=month.label), rows, extra)
    image = Image(data, f"powermap-{month.first:%Y-%m}.png", "image/png", renderer="powermap-chart")
    # The image's body (its alt text) says the chart's figures in words.
    caption = _("Power map chart, {label}").format(label=month.label)
    template, figures = chart.describe(caption, rows, extra)
    await ctx.post_image(image, template, **figures)


@practice.command(
    "powermap",
    MonthArg("month", optional=True),
    summary=N_(
        "The monthly mirror: airtime, labour, roles, decisions, knowledge, room power, chart."
    ),
    examples=("!powermap", "!powermap last", "!powermap 2026-10"),
)
async def show_powermap(ctx: Context, month: Month | None) -> None:
    today = ctx.now().astimezone(ctx.settings.timezone).date()
    await post(ctx, month or month_of(today.replace(day=1), today))


@practice.job("powermap", "powermap")
async def monthly(ctx: Context) -> None:
    """On the configured day, the month just ended (the month before the due date)."""
    due = (ctx.due_at or ctx.now()).astimezone(ctx.settings.timezone).date()
    first = due.replace(day=1) - relativedelta(months=1)
    late = ""
    if ctx.late_by:
        late = " " + _("(posted late: the bot was offline when it was due)")
    await post(ctx, month_of(first, due), late)
