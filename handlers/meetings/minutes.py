"""Minutes: `!meeting end` posts them, `!minutes [N]` shows them again, the `minutes` export
writes them all. The agenda with planned and used time, the notes, decisions and tasks of the
meeting, then how the floor was shared, as a group first (how many spoke, the share of
speaking time the most active fifth held, who did not speak) and only then per person, with
the mirror line: what the stack saw, not who was heard or how well."""

from __future__ import annotations

from handlers.arguments import Number
from handlers.audit_actions import shown
from handlers.context import Context, Mention, Rows
from handlers.i18n import N_, _, ngettext
from handlers.ledger import NOTE_ROW, note_rows, preview
from handlers.meetings.agenda import used_minutes
from handlers.meetings.record import Record, gather, numbered
from handlers.meetings.stack import MIRROR, NOTES_LIMIT, ON_END, practice
from storage import agenda, meetings, minutes

ROWS_LIMIT = 30


def _min(value: int | None) -> str:
    return "–" if value is None else _("{n} min").format(n=value)


async def render(ctx: Context, record: Record, lead: str, values: dict[str, object]) -> None:
    """Post the minutes after `lead` (its values in `values`)."""
    names = await ctx.quiet_names()

    def who(user_id: str | None) -> Mention:
        return names.get(user_id or "") or Mention(user_id or "", ping=False)

    lines = [lead]
    end = record.meeting.ended_at or ctx.now()
    if record.items:
        values["items"] = Rows(
            "- **{item}**: " + _("{planned} planned, {used} used"),
            [
                {
                    "item": i.title,
                    "planned": _min(i.planned_minutes),
                    "used": _min(used_minutes(i, end)),
                }
                for i in record.items
            ],
            limit=ROWS_LIMIT,
        )
        lines.append(_("**Agenda**:\n{items}"))
    if record.notes:
        values["notes"] = Rows(_(NOTE_ROW), note_rows(ctx, record.notes, names), limit=NOTES_LIMIT)
        values["n_notes"] = len(record.notes)
        lines.append(_("**Notes from this meeting** ({n_notes}):\n{notes}"))
    if record.decisions:
        values["decisions"] = Rows(
            "- #{n} {text} ({status})",
            [
                {"n": d.number, "text": preview(d.text), "status": shown("status", d.status)}
                for d in record.decisions
            ],
            limit=ROWS_LIMIT,
        )
        lines.append(_("**Decisions** (proposed, recorded or closed meanwhile):\n{decisions}"))
    if record.tasks:
        words = {"task.added": _("added by {who}"), "task.claimed": _("claimed by {who}")}
        values["tasks"] = Rows(
            "- **{task}**: {how}",
            [
                {"task": task, "how": Rows(words[action], [{"who": who(actor)}])}
                for action, task, actor in record.tasks
            ],
            limit=ROWS_LIMIT,
        )
        lines.append(_("**Tasks** added or claimed meanwhile:\n{tasks}"))
    found = record.pattern()
    values["spoke"], values["members"] = found.spoke, found.members
    if record.turns:
        lines.append(
            ngettext(
                "**How the floor was shared**: {spoke} of {members} member spoke.",
                "**How the floor was shared**: {spoke} of {members} members spoke.",
                found.members,
            )
        )
        if found.top_share is not None:
            values.update(share=found.top_share, fifth=found.fifth)
            lines.append(
                ngettext(
                    "The most active fifth of the members ({fifth} member) held {share}% of "
                    "the speaking time.",
                    "The most active fifth of the members ({fifth} members) held {share}% of "
                    "the speaking time.",
                    found.fifth,
                )
            )
        silent = [names[m].label for m in found.silent if m in names]
        if silent:
            values["quiet"] = ", ".join(silent)
            lines.append(_("Did not take the floor: {quiet}. Worth asking next time, gently."))
        speakers = sorted(record.turns, key=lambda u: who(u).label.casefold())
        values["speakers"] = Rows(
            "- {who}: {turns}, {time}",
            [
                {
                    "who": who(u),
                    "turns": ngettext("{n} turn", "{n} turns", record.turns[u]).format(
                        n=record.turns[u]
                    ),
                    "time": _min(round(record.seconds.get(u, 0.0) / 60)),
                }
                for u in speakers
            ],
        )
        lines.append(_("Each member (turns, time with the floor):") + "\n{speakers}")
    values["mirror"] = _(MIRROR)
    lines.append("{mirror}")
    await ctx.reply("\n".join(lines), **values)


@practice.command(
    "meeting end",
    summary=N_("End the meeting and post its minutes: agenda, notes, decisions, who spoke."),
    examples=("!meeting end",),
)
async def meeting_end(ctx: Context) -> None:
    meeting = await meetings.running(ctx.session, ctx.collective_id)
    if meeting is None:
        await ctx.reply(_("No meeting is running. `{p}meeting start` starts one."), p=ctx.prefix)
        return
    now = ctx.now()
    meeting.ended_at = now
    for item in await agenda.running_items(ctx.session, ctx.collective_id):
        item.ended_at = now
    number = len(await minutes.ended(ctx.session, ctx.collective_id))
    record = await gather(ctx.session, ctx.collective_id, meeting, number)
    await ctx.audit("meeting.ended", started=meeting.started_at, minutes=record.minutes)
    taken = sum(record.turns.values())
    values: dict[str, object] = {
        "who": await ctx.mention(ctx.author, ping=False),
        "min": record.minutes,
        "turns_n": ngettext("{n} turn", "{n} turns", taken).format(n=taken),
        "spoke": len([m for m in record.members if record.turns.get(m)]),
        "members": len(record.members),
        "twice": len([u for u, n in record.turns.items() if n > 1]),
        "left": record.waiting,
    }
    lead = ngettext(
        "**Meeting ended** by {who} after {min} min: {turns_n} from the stack; {spoke} of "
        "{members} member spoke, {twice} more than once; {left} still waiting when it "
        "closed.",
        "**Meeting ended** by {who} after {min} min: {turns_n} from the stack; {spoke} of "
        "{members} members spoke, {twice} more than once; {left} still waiting when it "
        "closed.",
        len(record.members),
    )
    lead += " " + _("`{p}minutes {n}` shows these minutes again.")
    values.update(p=ctx.prefix, n=number)
    await render(ctx, record, lead, values)
    for hook in ON_END:
        await hook(ctx, meeting)


@practice.command(
    "minutes",
    Number("meeting", optional=True),
    summary=N_("Show the minutes of meeting N (the latest without N)."),
    examples=("!minutes", "!minutes 3"),
    read_only=True,
)
async def minutes_show(ctx: Context, meeting: int | None) -> None:
    found = await numbered(ctx.session, ctx.collective_id, meeting)
    if found is None:
        count = len(await minutes.ended(ctx.session, ctx.collective_id))
        await ctx.reply(
            _("No meeting has ended yet, so there are no minutes.")
            if not count
            else ngettext(
                "There is no meeting {n}: {count} meeting has ended.",
                "There is no meeting {n}: {count} meetings have ended.",
                count,
            ),
            n=meeting or 0,
            count=count,
        )
        return
    number, row = found
    record = await gather(ctx.session, ctx.collective_id, row, number)
    await render(
        ctx,
        record,
        _("**Minutes of meeting {n}**, {start} to {end} ({min} min)."),
        {
            "n": number,
            "start": ctx.time(row.started_at),
            "end": ctx.time(row.ended_at or row.started_at),
            "min": record.minutes,
        },
    )
