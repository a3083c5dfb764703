"""`!mydata` as a document: everything the bot keeps about one person, in plain words,
as Markdown (member text escaped as in exports)."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.exports import inline
from storage.personal import InCollective, Personal

SHORT = 2500  # characters a direct message holds before the document goes as a file


def _at(ctx: Context, when: datetime | None) -> str:
    return ctx.time(when) if when else "-"


def _section(ctx: Context, here: InCollective) -> list[str]:
    c = here.collective
    lines = [f"## {inline(c.name or c.room_id)} ({inline(c.room_id)})", ""]
    m = here.member
    if m is not None:
        state = "a member" if m.joined else "no longer in the room"
        lines.append(
            f"- You: {inline(m.display_name or '(no display name)')}, {state}, first seen "
            f"{_at(ctx, m.first_seen_at)}"
            + (f", away until {_at(ctx, m.away_until)}" if m.away_until else "")
            + (", marked as a bot" if m.is_bot else "")
            + "."
        )
    a = here.airtime
    if a.days:
        lines.append(
            f"- Airtime: {a.messages} messages and {a.words} words on {a.days} days, "
            f"from {a.first} to {a.last} (counts only, never what you wrote)."
        )
    if here.counted_messages:
        lines.append(
            f"- The ids of {here.counted_messages} of your messages from the last 30 days, "
            "with their day and word count, so a deleted one can be uncounted."
        )
    for k in here.knowledge:
        lines.append(f"- Knowledge: {inline(k.area)} ({k.level}) since {_at(ctx, k.since)}.")
    for t in here.tasks:
        lines.append(f"- Task on the list: {inline(t.name)} ({t.kind}, {t.status}).")
    for done in here.completions:
        lines.append(f"- Work logged: {_at(ctx, done.done_at)}, {inline(done.name)} ({done.kind}).")
    for name, term in here.terms:
        lines.append(
            f"- Role {inline(name)}: from {_at(ctx, term.started_at)} to "
            f"{_at(ctx, term.ended_at or term.ends_at)} ({term.how})"
            + (f"; handover notes: {inline(term.handover_notes)}" if term.handover_notes else "")
            + "."
        )
    for role in here.roles_created:
        lines.append(f"- You defined the role {inline(role.name)}.")
    for name, swap in here.swaps:
        lines.append(f"- Swap request for {inline(name)}, {_at(ctx, swap.asked_at)}.")
    for meeting in here.meetings:
        lines.append(f"- You started a meeting on {_at(ctx, meeting.started_at)}.")
    if here.stack_entries:
        lines.append(f"- You were on the speaking stack {here.stack_entries} times.")
    for d in here.decisions:
        lines.append(f"- Decision #{d.number} ({d.kind}, {d.status}): {inline(d.text)}")
    for n, given in here.answers:
        reason = f": {inline(given.reason)}" if given.reason else ""
        lines.append(f"- Your answer to #{n}: {given.answer}{reason}")
    for n, dissent in here.dissents:
        lines.append(f"- Your dissent on #{n}: {inline(dissent.reason)}")
    for note in here.notes:
        lines.append(f"- Note #{note.number}, {_at(ctx, note.at)}: {inline(note.text)}")
    for b in here.budget:
        lines.append(
            f"- Budget entry #{b.number}, {_at(ctx, b.at)}: {b.kind} {b.amount} {b.currency}, "
            f"{inline(b.what)}"
        )
    for r in here.requests:
        lines.append(f"- Request #{r.number} for a second member: {inline(r.action)}.")
    for e in here.audit:
        lines.append(f"- Audit log, {_at(ctx, e.at)}: {inline(e.action)} {inline(e.detail)}")
    for checkin, answer in here.checkins:
        lines.append(
            f"- Check-in of {_at(ctx, checkin.opened_at)}: "
            + (f"you answered {answer}." if answer else "asked, not answered.")
        )
    for sprint in here.sprints:
        lines.append(
            f"- Entry sprint from {_at(ctx, sprint.started_at)} to {_at(ctx, sprint.ends_at)}"
            + (", ended" if sprint.ended_at else ", running")
            + "."
        )
    for trial in here.experiments:
        lines.append(
            f"- You started experiment #{trial.number} on {_at(ctx, trial.started_at)}: "
            + inline(trial.change)
        )
    for audit_sprint in here.trust_sprints:
        lines.append(
            f"- Trust audit sprint {inline(audit_sprint.name)}, from "
            f"{_at(ctx, audit_sprint.started_at)}"
            + (f" to {_at(ctx, audit_sprint.ended_at)}" if audit_sprint.ended_at else ", running")
            + ": you started or ended it."
        )
    for walk in here.walks:
        lines.append(f"- You started a gallery walk on {_at(ctx, walk.started_at)}.")
    for walk, n in here.dots:
        lines.append(
            f"- In the gallery walk open until {_at(ctx, walk.ends_at)}: "
            + (f"{n} dots (reactions)" if n != 1 else "1 dot (a reaction)")
            + " you put, kept until it ends; then only the counts stay, without you."
        )
    for found, parts in here.rounds:
        lines.append(
            f"- Reflection round open until {_at(ctx, found.closes_at)}: you were asked"
            + (f" and gave {parts} answers" if parts else "")
            + ". What you wrote is kept with no link to you, so it is not here."
        )
    lines.append("")
    return lines


def document(ctx: Context, data: Personal) -> str:
    """The whole of it, as Markdown."""
    lines = [
        f"# What Flattening keeps about {inline(data.user_id)}",
        "",
        f"As of {ctx.time(ctx.now())} ({ctx.settings.timezone}).",
        "",
    ]
    for chat in data.chats:
        if chat.room_id:
            lines += [f"- Our direct chat: {inline(chat.room_id)}.", ""]
    if data.forget_pending is not None:
        lines += [
            f"- You asked to be forgotten; confirm before {ctx.time(data.forget_pending)}.",
            "",
        ]
    for here in data.collectives:
        lines += _section(ctx, here)
    if not data.collectives:
        lines += ["Nothing about you in any group's records.", ""]
    lines += [
        "Not here, because nothing links them to you: your reflection answers. Also kept, "
        "without your name: the ids of events the bot handled in the last 30 days, so "
        "nothing is acted on twice.",
    ]
    return "\n".join(lines) + "\n"
