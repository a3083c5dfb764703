"""The `minutes` section of an export: every ended meeting's minutes, oldest first, as
`!minutes N` shows them in the room (agenda with planned and used time, notes, decisions,
tasks, then how the floor was shared, group first)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.audit_actions import shown
from handlers.exports.markdown import inline, quoted
from handlers.exports.sections import Writer
from handlers.i18n import _, ngettext
from handlers.meetings.agenda import used_minutes
from handlers.meetings.record import Record, gather
from handlers.meetings.stack import MIRROR
from storage import minutes


def _min(value: int | None) -> str:
    return "–" if value is None else _("{n} min").format(n=value)


def _meeting(w: Writer, r: Record) -> None:
    m = r.meeting
    end = m.ended_at or m.started_at
    w.add(
        "### " + _("Meeting {n}").format(n=r.number),
        "",
        _("{start} to {end} ({min} min), started by {who}.").format(
            start=w.time(m.started_at), end=w.time(end), min=r.minutes, who=w.who(m.started_by)
        ),
        "",
    )
    if r.items:
        w.add(_("Agenda (planned, used):"), "")
        for item in r.items:
            w.add(f"- {quoted(item.title, '  ')}: {_min(item.planned_minutes)}, "
                  f"{_min(used_minutes(item, end))}")  # fmt: skip
        w.add("")
    if r.notes:
        w.add(_("Notes:"), "")
        for n in r.notes:
            w.add(f"- #{n.number}, {w.who(n.author)}: {quoted(n.text, '  ')}")
        w.add("")
    if r.decisions:
        w.add(_("Decisions proposed, recorded or closed meanwhile:"), "")
        for d in r.decisions:
            w.add(f"- #{d.number} ({shown('status', d.status)}): {quoted(d.text, '  ')}")
        w.add("")
    if r.tasks:
        w.add(_("Tasks added or claimed meanwhile:"), "")
        for action, task, actor in r.tasks:
            how = _("added by {who}") if action == "task.added" else _("claimed by {who}")
            w.add(f"- {inline(task)}: {how.format(who=w.who(actor))}")
        w.add("")
    found = r.pattern()
    if r.turns:
        w.add(
            ngettext(
                "**How the floor was shared**: {spoke} of {members} member spoke.",
                "**How the floor was shared**: {spoke} of {members} members spoke.",
                found.members,
            ).format(spoke=found.spoke, members=found.members)
        )
        if found.top_share is not None:
            w.add(
                ngettext(
                    "The most active fifth of the members ({fifth} member) held {share}% of "
                    "the speaking time.",
                    "The most active fifth of the members ({fifth} members) held {share}% of "
                    "the speaking time.",
                    found.fifth,
                ).format(fifth=found.fifth, share=found.top_share)
            )
        silent = [w.who(u) for u in found.silent]
        if silent:
            w.add(
                _("Did not take the floor: {quiet}. Worth asking next time, gently.").format(
                    quiet=", ".join(silent)
                )
            )
        w.add("", _("Each member (turns, time with the floor):"), "")
        for u in sorted(r.turns, key=lambda u: w.who(u).casefold()):
            turns = ngettext("{n} turn", "{n} turns", r.turns[u]).format(n=r.turns[u])
            w.add(f"- {w.who(u)}: {turns}, {_min(round(r.seconds.get(u, 0.0) / 60))}")
        w.add("")
    w.add(_(MIRROR), "")


async def write_minutes(session: AsyncSession, w: Writer, collective_id: int) -> int:
    ended = await minutes.ended(session, collective_id)
    w.add("## " + _("Minutes of meetings"), "")
    if not ended:
        w.add(_("No meeting has ended yet, so there are no minutes."), "")
        return 0
    for number, meeting in enumerate(ended, 1):
        _meeting(w, await gather(session, collective_id, meeting, number))
    return len(ended)
