"""`!mydata` as a document: everything the bot keeps about one person, in plain words,
as Markdown (member text escaped as in exports). Built from the rows the declaration in
`storage.personal_data` finds; a table with no wording of its own here still shows, with
the declaration's words and a count, so nothing declared is ever left out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers import audit_actions
from handlers.context import Context, Rows
from handlers.exports import inline
from storage.personal import InCollective, Personal
from storage.personal_data import DECLARED, Forget

SHORT = 2500  # characters a direct message holds before the document goes as a file


def _at(ctx: Context, when: datetime | None) -> str:
    return ctx.time(when) if when else "-"


def _text(text: str | None) -> str:
    return inline(text) if text else "(erased)"


Line = Callable[[Context, str, Any, tuple[Any, ...]], str]

# How a row of each table reads, for the person it is about (`me` is their user id).
LINES: dict[str, Line] = {
    "airtime_days": lambda ctx, me, r, p: (
        f"Airtime on {r.day}: {r.messages} messages, {r.words} words (counts only)."
    ),
    "counted_messages": lambda ctx, me, r, p: (
        f"The id of a message of yours from {r.day} ({r.words} words), kept 30 days so a "
        "deleted one can be uncounted; never its text."
    ),
    "knowledge": lambda ctx, me, r, p: (
        f"Knowledge: {inline(r.area)} ({r.level}) since {_at(ctx, r.since)}."
    ),
    "tasks": lambda ctx, me, r, p: (
        f"Task on the list: {inline(r.name)} ({r.kind}, {r.status})"
        + (", added by you" if r.created_by == me else "")
        + (", claimed by you" if r.claimed_by == me else "")
        + "."
    ),
    "task_completions": lambda ctx, me, r, p: (
        f"Work logged: {_at(ctx, r.done_at)}, {inline(r.name)} ({r.kind})."
    ),
    "roles": lambda ctx, me, r, p: f"You defined the role {inline(r.name)}.",
    "role_terms": lambda ctx, me, r, p: (
        f"Role {inline(p[0].name) if p else '?'}: from {_at(ctx, r.started_at)} to "
        f"{_at(ctx, r.ended_at or r.ends_at)} ({r.how})"
        + (f"; handover notes: {inline(r.handover_notes)}" if r.handover_notes else "")
        + "."
    ),
    "role_swaps": lambda ctx, me, r, p: (
        f"Swap request for {inline(p[0].name) if p else '?'}, {_at(ctx, r.asked_at)}."
    ),
    "meetings": lambda ctx, me, r, p: f"You started a meeting on {_at(ctx, r.started_at)}.",
    "stack_entries": lambda ctx, me, r, p: (
        f"On the speaking stack in the meeting of {_at(ctx, p[0].started_at if p else None)}"
        + (", given the floor." if r.called_at else ".")
    ),
    "decisions": lambda ctx, me, r, p: (
        f"Decision #{r.number} ({r.kind}, {r.status}): {inline(r.text)}"
        + (" You made it." if r.author == me else "")
        + (" You closed it." if r.closed_by == me else "")
    ),
    "decision_answers": lambda ctx, me, r, p: (
        f"Your answer to #{p[0].number if p else '?'}: {r.answer}"
        + (f": {inline(r.reason)}" if r.reason else "")
    ),
    "dissents": lambda ctx, me, r, p: (
        f"Your dissent on #{p[0].number if p else '?'}: {inline(r.reason)}"
    ),
    "notes": lambda ctx, me, r, p: (
        f"Note #{r.number}, {_at(ctx, r.at)}: "
        + (f"erased {_at(ctx, r.deleted_at)}" if r.deleted_at else _text(r.text))
        + (" (you erased it)" if getattr(r, "deleted_by", None) == me else "")
    ),
    "budget_entries": lambda ctx, me, r, p: (
        f"Budget entry #{r.number}, {_at(ctx, r.at)}: "
        + (
            f"removed {_at(ctx, r.deleted_at)}"
            if r.deleted_at
            else f"{r.kind} {r.amount} {inline(r.currency)}, {_text(r.what)}"
        )
        + (" (you removed it)" if getattr(r, "deleted_by", None) == me else "")
    ),
    "second_requests": lambda ctx, me, r, p: (
        f"Request #{r.number} for a second member: {inline(r.action)}"
        + (" (you asked)" if r.requested_by == me else " (you seconded it)")
        + "."
    ),
    "reflection_asked": lambda ctx, me, r, p: (
        f"Reflection round open until {_at(ctx, p[0].closes_at if p else None)}: you were "
        "asked"
        + (f" and gave {r.parts} answers" if r.parts else "")
        + ". What you wrote is sealed and kept with no link to you, so it is not here."
    ),
    "checkin_answers": lambda ctx, me, r, p: (
        f"Check-in of {_at(ctx, p[0].opened_at if p else None)}: "
        + (f"you answered {r.answer}." if r.answer else "asked, not answered.")
    ),
    "entry_sprints": lambda ctx, me, r, p: (
        f"Entry sprint from {_at(ctx, r.started_at)} to {_at(ctx, r.ends_at)}"
        + (", ended." if r.ended_at else ", running.")
    ),
    "gallery_marks": lambda ctx, me, r, p: (
        f"A {r.colour} dot you put in the gallery walk open until "
        f"{_at(ctx, p[1].ends_at if len(p) > 1 else None)}; when it ends only the counts "
        "stay, without you."
    ),
    "gallery_walks": lambda ctx, me, r, p: (
        f"A gallery walk of {_at(ctx, r.started_at)}: you started or ended it."
    ),
    "experiments": lambda ctx, me, r, p: (
        f"You started experiment #{r.number} on {_at(ctx, r.started_at)}: {inline(r.change)}"
    ),
    "trust_sprints": lambda ctx, me, r, p: (
        f"Trust audit sprint {inline(r.name)}, from {_at(ctx, r.started_at)}"
        + (f" to {_at(ctx, r.ended_at)}" if r.ended_at else ", running")
        + ": you started or ended it."
    ),
}

# Tables read in bulk, shown as one summary line instead of a line per row.
SUMMARIES: dict[str, Callable[[list[Any]], str]] = {
    "airtime_days": lambda rows: (
        f"Airtime: {sum(r.messages for r in rows)} messages and {sum(r.words for r in rows)} "
        f"words on {len(rows)} days, from {min(r.day for r in rows)} to "
        f"{max(r.day for r in rows)} (counts only, never what you wrote)."
    ),
    "counted_messages": lambda rows: (
        f"The ids of {len(rows)} of your messages from the last 30 days, with their day and "
        "word count, so a deleted one can be uncounted (never their text)."
    ),
}


def declared() -> Rows:
    """What is kept about a member and what `!forgetme` does to it, one line per kind of
    effect, straight from the declaration (for `!privacy` and `!forgetme`)."""
    groups: dict[Forget, list[str]] = {}
    for holds in DECLARED:
        said = holds.what.replace("`", "") + (f" ({holds.kept})" if holds.kept else "")
        if said not in groups.setdefault(holds.forget, []):
            groups[holds.forget].append(said)
    heads = {
        Forget.DELETE: "Erased",
        Forget.NULL: "Kept as shared records, with you shown as a former member",
        Forget.ROOM: "Kept while you are in the room (the room shows it), erased for rooms "
        "you have left",
        Forget.OWN: "Changed by its own rule",
    }
    return Rows(
        "- {head}: {items}.",
        [{"head": heads[kind], "items": "; ".join(items)} for kind, items in groups.items()],
    )


def _what(table: str) -> str:
    return next((h.what for h in DECLARED if h.model.__tablename__ == table), table)


async def _section(ctx: Context, data: Personal, here: InCollective) -> list[str]:
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
    for table, rows in here.rows.items():
        if table in SUMMARIES:
            lines.append("- " + SUMMARIES[table]([r for r, _ in rows]))
        elif table in LINES:
            lines += ["- " + LINES[table](ctx, data.user_id, r, p) for r, p in rows]
        else:
            lines.append(f"- {inline(_what(table))}: {len(rows)} records.")
    for e in here.audit:
        said = await audit_actions.sentence(ctx, e, inline)
        lines.append(f"- Audit log, {_at(ctx, e.at)}: {said}")
    lines.append("")
    return lines


async def document(ctx: Context, data: Personal) -> str:
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
    if data.undelivered:
        lines += [f"- Direct messages to you not yet delivered: {data.undelivered}.", ""]
    if data.forget_pending is not None:
        lines += [
            f"- You asked to be forgotten; confirm before {ctx.time(data.forget_pending)}.",
            "",
        ]
    for here in data.collectives:
        lines += await _section(ctx, data, here)
    if not data.collectives:
        lines += ["Nothing about you in any group's records.", ""]
    lines += [
        "Not here, because nothing links them to you: your reflection answers. Also kept, "
        "without your name: the ids of events the bot handled in the last 30 days, so "
        "nothing is acted on twice.",
    ]
    return "\n".join(lines) + "\n"
