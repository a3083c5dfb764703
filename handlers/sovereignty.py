"""The sovereignty lens of the power map: "who can call a meeting? who can access
information? who can shape the agenda?" and whose suggestions become action. Group figures
only, never a name: a mirror, not a score."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.i18n import _, ngettext
from storage import access, labour, sovereignty


async def lens(ctx: Context, members: int, start: datetime, end: datetime) -> list[str]:
    """Lines of the power map's **Shared sovereignty** part, worded with their values."""
    found = await sovereignty.figures(ctx.session, ctx.collective_id, start, end, ctx.now())
    alone = await access.single_holders(ctx.session, ctx.collective_id)
    follow = await labour.follow_through(ctx.session, ctx.collective_id, start, end)
    p = ctx.prefix
    lines = [_("**Shared sovereignty** (counts of the group, never names)")]
    if found.meetings:
        lines.append(
            ngettext(
                "- Meetings: {n} called; members who called one: {callers} of {members}.",
                "- Meetings: {n} called; members who called one: {callers} of {members}.",
                found.meetings,
            ).format(n=found.meetings, callers=found.callers, members=members)
        )
    else:
        lines.append(_("- Meetings: none called this month."))
    lines.append(
        ngettext(
            "- Agenda: {n} item put forward; members who put one forward: {people} of {members}.",
            "- Agenda: {n} items put forward; members who put one forward: {people} of {members}.",
            found.agenda_items,
        ).format(n=found.agenda_items, people=found.agenda_people, members=members)
        if found.agenda_items
        else _("- Agenda: no item put forward this month (`{p}agenda add <item>`).").format(p=p)
    )
    lines.append(
        ngettext(
            "- Single points of access: {n} resource held by one member only (`{p}access` "
            "lists it).",
            "- Single points of access: {n} resources held by one member only (`{p}access` "
            "lists them).",
            len(alone),
        ).format(n=len(alone), p=p)
        if alone
        else _(
            "- Single points of access: none recorded (`{p}access add <resource>` records "
            "who holds a key or an account)."
        ).format(p=p)
    )
    adopted = follow.with_task + follow.without_task
    lines.append(
        ngettext(
            "- Suggestions into action: {n} decision adopted; with a task tied to it: "
            "{with_task}; without one yet: {without}.",
            "- Suggestions into action: {n} decisions adopted; with a task tied to them: "
            "{with_task}; without one yet: {without}.",
            adopted,
        ).format(n=adopted, with_task=follow.with_task, without=follow.without_task)
        if adopted
        else _("- Suggestions into action: no decision was adopted this month.")
    )
    lines.append(
        ngettext(
            "- Decisions closed early: {n}; members who closed one early: {closers}.",
            "- Decisions closed early: {n}; members who closed one early: {closers}.",
            found.closed_early,
        ).format(n=found.closed_early, closers=found.closers)
        if found.closed_early
        else _("- Decisions closed early: none.")
    )
    lines.append(
        _(
            "- Tasks claimed and then dropped: {dropped}; claimed and left unfinished for 30 "
            "days: {stale}."
        ).format(dropped=found.dropped, stale=found.stale)
    )
    return lines
