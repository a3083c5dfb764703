"""The sovereignty lens: "who can call a meeting? who can access information? who can
shape the agenda?" and whose suggestions become action. Group figures only, never a name:
a mirror, not a score. Measured once (`measure`), then said as the power map's lines, its
chart panel, a gallery-walk pattern and the trust audit sprint's comparison rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.context import Context
from handlers.i18n import N_, _, ngettext
from storage import access, labour, sovereignty

TITLE = N_("Shared sovereignty")


@dataclass(frozen=True)
class Lens:
    """The group's figures over one period (access: as it stands now)."""

    members: int
    meetings: int = 0  # meetings called or started
    callers: int = 0  # different members who called or started one
    agenda: int = 0  # agenda items members put forward
    agenda_people: int = 0  # different members who put one forward
    resources: int = 0  # resources in the access register
    alone: int = 0  # of them, held by one member only
    adopted: int = 0  # decisions adopted, still standing
    with_task: int = 0  # of them, with a task tied to them
    closed: int = 0  # proposals closed
    closed_early: int = 0  # of them, before their closing time
    closers: int = 0  # different members who closed one early
    dropped: int = 0  # claims dropped
    stale: int = 0  # claims left unfinished 30 days (now)


async def measure(ctx: Context, members: int, start: datetime, end: datetime) -> Lens:
    found = await sovereignty.figures(ctx.session, ctx.collective_id, start, end, ctx.now())
    held = await access.register(ctx.session, ctx.collective_id)
    follow = await labour.follow_through(ctx.session, ctx.collective_id, start, end)
    return Lens(
        members=members,
        meetings=found.meetings,
        callers=found.callers,
        agenda=found.agenda_items,
        agenda_people=found.agenda_people,
        resources=len(held),
        alone=sum(1 for users in held.values() if len(users) == 1),
        adopted=follow.with_task + follow.without_task,
        with_task=follow.with_task,
        closed=found.closed,
        closed_early=found.closed_early,
        closers=found.closers,
        dropped=found.dropped,
        stale=found.stale,
    )


def lines(lens: Lens, p: str) -> list[str]:
    """The power map's **Shared sovereignty** part, worded with its values."""
    out = [_("**Shared sovereignty** (counts of the group, never names)")]
    if lens.meetings:
        out.append(
            ngettext(
                "- Meetings: {n} called; members who called one: {callers} of {members}.",
                "- Meetings: {n} called; members who called one: {callers} of {members}.",
                lens.meetings,
            ).format(n=lens.meetings, callers=lens.callers, members=lens.members)
        )
    else:
        out.append(_("- Meetings: none called this month."))
    out.append(
        ngettext(
            "- Agenda: {n} item put forward; members who put one forward: {people} of {members}.",
            "- Agenda: {n} items put forward; members who put one forward: {people} of {members}.",
            lens.agenda,
        ).format(n=lens.agenda, people=lens.agenda_people, members=lens.members)
        if lens.agenda
        else _("- Agenda: no item put forward this month (`{p}agenda add <item>`).").format(p=p)
    )
    out.append(
        ngettext(
            "- Single points of access: {n} resource held by one member only (`{p}access` "
            "lists it).",
            "- Single points of access: {n} resources held by one member only (`{p}access` "
            "lists them).",
            lens.alone,
        ).format(n=lens.alone, p=p)
        if lens.alone
        else _(
            "- Single points of access: none recorded (`{p}access add <resource>` records "
            "who holds a key or an account)."
        ).format(p=p)
    )
    out.append(
        ngettext(
            "- Suggestions into action: {n} decision adopted; with a task tied to it: "
            "{with_task}; without one yet: {without}.",
            "- Suggestions into action: {n} decisions adopted; with a task tied to them: "
            "{with_task}; without one yet: {without}.",
            lens.adopted,
        ).format(n=lens.adopted, with_task=lens.with_task, without=lens.adopted - lens.with_task)
        if lens.adopted
        else _("- Suggestions into action: no decision was adopted this month.")
    )
    out.append(
        ngettext(
            "- Decisions closed early: {n}; members who closed one early: {closers}.",
            "- Decisions closed early: {n}; members who closed one early: {closers}.",
            lens.closed_early,
        ).format(n=lens.closed_early, closers=lens.closers)
        if lens.closed_early
        else _("- Decisions closed early: none.")
    )
    out.append(
        _(
            "- Tasks claimed and then dropped: {dropped}; claimed and left unfinished for 30 "
            "days: {stale}."
        ).format(dropped=lens.dropped, stale=lens.stale)
    )
    return out


async def lens(ctx: Context, members: int, start: datetime, end: datetime) -> list[str]:
    return lines(await measure(ctx, members, start, end), ctx.prefix)


def bars(lens: Lens) -> list[tuple[str, int, int]]:
    """The lens as parts of a whole, each the wider the more shared: (label, part, whole).
    Translated now (called in the collective's context)."""
    return [
        (_("members who called a meeting"), lens.callers, lens.members),
        (_("members who put an agenda item forward"), lens.agenda_people, lens.members),
        (_("resources held by two or more"), lens.resources - lens.alone, lens.resources),
        (_("adopted decisions with a task"), lens.with_task, lens.adopted),
        (_("proposals that ran their full time"), lens.closed - lens.closed_early, lens.closed),
    ]


def panel(lens: Lens) -> dict[str, Any]:
    """The power map chart's group panel (see `chart.group_panel`)."""
    return {"kind": "group", "title": _(TITLE), "rows": [list(row) for row in bars(lens)]}


def statement(lens: Lens) -> str:
    """The gallery walk's pattern: the lens in a few sentences, counts only."""
    parts = [
        ngettext(
            "Meetings called: {n}, by {callers} of {members} member.",
            "Meetings called: {n}, by {callers} of {members} members.",
            lens.members,
        ).format(n=lens.meetings, callers=lens.callers, members=lens.members),
        ngettext(
            "Agenda items put forward: {n}, by {people} different members.",
            "Agenda items put forward: {n}, by {people} different members.",
            lens.agenda,
        ).format(n=lens.agenda, people=lens.agenda_people),
        ngettext(
            "Access: {alone} of {n} recorded resource is held by one member only.",
            "Access: {alone} of {n} recorded resources are held by one member only.",
            lens.resources,
        ).format(alone=lens.alone, n=lens.resources)
        if lens.resources
        else _("Access: nobody has recorded who holds the keys and accounts."),
        ngettext(
            "Of {n} adopted decision, {with_task} has a task tied to it.",
            "Of {n} adopted decisions, {with_task} have a task tied to them.",
            lens.adopted,
        ).format(n=lens.adopted, with_task=lens.with_task),
        ngettext(
            "{early} of {n} proposal was closed early, by {closers} different members.",
            "{early} of {n} proposals were closed early, by {closers} different members.",
            lens.closed,
        ).format(early=lens.closed_early, n=lens.closed, closers=lens.closers),
        _("Claims dropped: {dropped}; left unfinished 30 days: {stale}.").format(
            dropped=lens.dropped, stale=lens.stale
        ),
    ]
    return " ".join(parts)
