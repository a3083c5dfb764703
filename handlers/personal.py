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
from handlers.exports.markdown import inline
from handlers.i18n import N_, _, ngettext
from storage.personal import InCollective, Personal
from storage.personal_data import DECLARED, Forget

SHORT = 2500  # characters a direct message holds before the document goes as a file


def _at(ctx: Context, when: datetime | None) -> str:
    return ctx.time(when) if when else "-"


def _text(text: str | None) -> str:
    return inline(text) if text else _("(erased)")


Line = Callable[[Context, str, Any, tuple[Any, ...]], str]

# Stored words as members read them, translated when shown. Task kinds, answers and budget
# kinds are command words, shown as stored.
TASK_STATUS = {"open": N_("open"), "claimed": N_("claimed"), "done": N_("done")}
LEVEL = {"knows": N_("knows"), "learning": N_("learning")}
HOW = {"rotation": N_("rotation"), "draw": N_("draw"), "claim": N_("claim"), "swap": N_("swap")}
DECISION_KIND = {"proposal": N_("proposal"), "record": N_("record")}
COLOUR = {"red": N_("red"), "blue": N_("blue"), "green": N_("green")}
PAIR_STATUS = {"open": N_("in progress"), "done": N_("done"), "dropped": N_("dropped")}


def _word(words: dict[str, str], value: str) -> str:
    return _(words[value]) if value in words else value


def _messages(n: int) -> str:
    return ngettext("{n} message", "{n} messages", n).format(n=n)


def _words(n: int) -> str:
    return ngettext("{n} word", "{n} words", n).format(n=n)


# How a row of each table reads, for the person it is about (`me` is their user id).
LINES: dict[str, Line] = {
    "airtime_days": lambda ctx, me, r, p: _(
        "Airtime on {day}: {messages}, {words} (counts only)."
    ).format(day=r.day, messages=_messages(r.messages), words=_words(r.words)),
    "counted_messages": lambda ctx, me, r, p: ngettext(
        "The id of a message of yours from {day} ({words} word), kept 30 days so a "
        "deleted one can be uncounted; never its text.",
        "The id of a message of yours from {day} ({words} words), kept 30 days so a "
        "deleted one can be uncounted; never its text.",
        r.words,
    ).format(day=r.day, words=r.words),
    "knowledge": lambda ctx, me, r, p: _("Knowledge: {area} ({level}) since {since}.").format(
        area=inline(r.area), level=_word(LEVEL, r.level), since=_at(ctx, r.since)
    ),
    "access_holdings": lambda ctx, me, r, p: (
        _("Access to {resource}: you hold it, recorded {at}.")
        if r.user_id == me
        else _("Access to {resource}: you recorded it for another member, {at}.")
    ).format(resource=inline(r.resource), at=_at(ctx, r.added_at)),
    "circles": lambda ctx, me, r, p: (
        _("A circle of shadows you started, {at}.")
        if r.started_by == me
        else _("A circle of shadows you stopped, {at}.")
    ).format(at=_at(ctx, r.started_at)),
    "pairs": lambda ctx, me, r, p: (
        _("Cross-training in {area}: you learn it from another member, since {at} ({status}).")
        if r.learner_id == me
        else _("Cross-training in {area}: you teach it to another member, since {at} ({status}).")
    ).format(area=inline(r.area), at=_at(ctx, r.started_at), status=_word(PAIR_STATUS, r.status)),
    "tasks": lambda ctx, me, r, p: (
        _("Task on the list: {name} ({kind}, {status})").format(
            name=inline(r.name), kind=r.kind, status=_word(TASK_STATUS, r.status)
        )
        + (_(", added by you") if r.created_by == me else "")
        + (_(", claimed by you") if r.claimed_by == me else "")
        + "."
    ),
    "task_completions": lambda ctx, me, r, p: _("Work logged: {at}, {name} ({kind}).").format(
        at=_at(ctx, r.done_at), name=inline(r.name), kind=r.kind
    ),
    "roles": lambda ctx, me, r, p: _("You defined the role {name}.").format(name=inline(r.name)),
    "role_terms": lambda ctx, me, r, p: (
        _("Role {name}: from {start} to {end} ({how})").format(
            name=inline(p[0].name) if p else "?",
            start=_at(ctx, r.started_at),
            end=_at(ctx, r.ended_at or r.ends_at),
            how=_word(HOW, r.how),
        )
        + (
            _("; handover notes: {notes}").format(notes=inline(r.handover_notes))
            if r.handover_notes
            else ""
        )
        + "."
    ),
    "role_swaps": lambda ctx, me, r, p: _("Swap request for {name}, {at}.").format(
        name=inline(p[0].name) if p else "?", at=_at(ctx, r.asked_at)
    ),
    "meetings": lambda ctx, me, r, p: _("You started a meeting on {at}.").format(
        at=_at(ctx, r.started_at)
    ),
    "stack_entries": lambda ctx, me, r, p: (
        _("On the speaking stack in the meeting of {at}").format(
            at=_at(ctx, p[0].started_at if p else None)
        )
        + (_(", given the floor.") if r.called_at else ".")
    ),
    "polls": lambda ctx, me, r, p: (
        _("Poll #{number} of {at}: {question}").format(
            number=r.number, at=_at(ctx, r.opened_at), question=inline(r.question)
        )
        + (" " + _("You asked it.") if r.created_by == me else "")
        + (" " + _("You closed it.") if r.closed_by == me else "")
    ),
    "poll_responses": lambda ctx, me, r, p: _(
        "Your answer to poll #{number}, open until {until}: option {option}. When it closes "
        "only the counts stay, without you."
    ).format(
        number=p[0].number if p else "?",
        until=_at(ctx, p[0].closes_at if p else None),
        option=r.option,
    ),
    "meeting_calls": lambda ctx, me, r, p: (
        _("Meeting #{number}, called for {at}").format(number=r.number, at=_at(ctx, r.starts_at))
        + (_(", called by you") if r.called_by == me else "")
        + (_(", cancelled by you") if r.cancelled_by == me else "")
        + "."
    ),
    "agenda_items": lambda ctx, me, r, p: (
        _("Agenda item {item}, {at}").format(item=inline(r.title), at=_at(ctx, r.added_at))
        + (_(", put forward by you") if r.added_by == me else "")
        + (_(", dropped by you") if r.dropped_by == me else "")
        + "."
    ),
    "decisions": lambda ctx, me, r, p: (
        _("Decision #{number} ({kind}, {status}): {text}").format(
            number=r.number,
            kind=_word(DECISION_KIND, r.kind),
            status=audit_actions.shown("status", r.status),
            text=inline(r.text),
        )
        + (" " + _("You made it.") if r.author == me else "")
        + (" " + _("You closed it.") if r.closed_by == me else "")
    ),
    "decision_answers": lambda ctx, me, r, p: (
        _("Your answer to #{number}: {answer}").format(
            number=p[0].number if p else "?", answer=r.answer
        )
        + (f": {inline(r.reason)}" if r.reason else "")
    ),
    "dissents": lambda ctx, me, r, p: _("Your dissent on #{number}: {reason}").format(
        number=p[0].number if p else "?", reason=inline(r.reason)
    ),
    "notes": lambda ctx, me, r, p: (
        _("Note #{number}, {at}: {what}").format(
            number=r.number,
            at=_at(ctx, r.at),
            what=_("erased {at}").format(at=_at(ctx, r.deleted_at))
            if r.deleted_at
            else _text(r.text),
        )
        + (" " + _("(you erased it)") if getattr(r, "deleted_by", None) == me else "")
    ),
    "budget_entries": lambda ctx, me, r, p: (
        _("Budget entry #{number}, {at}: {what}").format(
            number=r.number,
            at=_at(ctx, r.at),
            what=_("removed {at}").format(at=_at(ctx, r.deleted_at))
            if r.deleted_at
            else f"{r.kind} {r.amount} {inline(r.currency)}, {_text(r.what)}",
        )
        + (" " + _("(you removed it)") if getattr(r, "deleted_by", None) == me else "")
    ),
    "second_requests": lambda ctx, me, r, p: (
        _("Request #{number} for a second member: {action} (you asked).")
        if r.requested_by == me
        else _("Request #{number} for a second member: {action} (you seconded it).")
    ).format(number=r.number, action=inline(audit_actions.request(r.action))),
    "reflection_asked": lambda ctx, me, r, p: (
        (
            ngettext(
                "Reflection round open until {until}: you were asked and gave {n} answer.",
                "Reflection round open until {until}: you were asked and gave {n} answers.",
                r.parts,
            )
            if r.parts
            else _("Reflection round open until {until}: you were asked.")
        ).format(until=_at(ctx, p[0].closes_at if p else None), n=r.parts)
        + " "
        + _("What you wrote is sealed and kept with no link to you, so it is not here.")
    ),
    "checkin_answers": lambda ctx, me, r, p: (
        _("Check-in of {at}: you answered {answer}.")
        if r.answer
        else _("Check-in of {at}: asked, not answered.")
    ).format(at=_at(ctx, p[0].opened_at if p else None), answer=r.answer),
    "entry_sprints": lambda ctx, me, r, p: (
        _("Entry sprint from {start} to {end}, ended.")
        if r.ended_at
        else _("Entry sprint from {start} to {end}, running.")
    ).format(start=_at(ctx, r.started_at), end=_at(ctx, r.ends_at)),
    "gallery_marks": lambda ctx, me, r, p: _(
        "A {colour} dot you put in the gallery walk open until {until}; when it ends "
        "only the counts stay, without you."
    ).format(
        colour=_word(COLOUR, r.colour),
        until=_at(ctx, p[1].ends_at if len(p) > 1 else None),
    ),
    "gallery_walks": lambda ctx, me, r, p: _(
        "A gallery walk of {at}: you started or ended it."
    ).format(at=_at(ctx, r.started_at)),
    "experiments": lambda ctx, me, r, p: _(
        "You started experiment #{number} on {at}: {change}"
    ).format(number=r.number, at=_at(ctx, r.started_at), change=inline(r.change)),
    "trust_sprints": lambda ctx, me, r, p: (
        _("Trust audit sprint {name}, from {start} to {end}: you started or ended it.")
        if r.ended_at
        else _("Trust audit sprint {name}, from {start}, running: you started or ended it.")
    ).format(
        name=inline(r.name),
        start=_at(ctx, r.started_at),
        end=_at(ctx, r.ended_at) if r.ended_at else "",
    ),
}

# Tables read in bulk, shown as one summary line instead of a line per row.
SUMMARIES: dict[str, Callable[[list[Any]], str]] = {
    "airtime_days": lambda rows: _(
        "Airtime: {messages} and {words} on {days}, from {first} to {last} (counts only, "
        "never what you wrote)."
    ).format(
        messages=_messages(sum(r.messages for r in rows)),
        words=_words(sum(r.words for r in rows)),
        days=ngettext("{n} day", "{n} days", len(rows)).format(n=len(rows)),
        first=min(r.day for r in rows),
        last=max(r.day for r in rows),
    ),
    "counted_messages": lambda rows: ngettext(
        "The id of {n} of your messages from the last 30 days, with its day and word "
        "count, so a deleted one can be uncounted (never its text).",
        "The ids of {n} of your messages from the last 30 days, with their day and word "
        "count, so a deleted one can be uncounted (never their text).",
        len(rows),
    ).format(n=len(rows)),
}


def declared() -> Rows:
    """What is kept about a member and what `!forgetme` does to it, one line per kind of
    effect, straight from the declaration (for `!privacy` and `!forgetme`). The
    declaration's words are plain in `storage` and translated here, where they are shown."""
    groups: dict[Forget, list[str]] = {}
    for holds in DECLARED:
        what = _(holds.what).replace("`", "")
        said = what + (f" ({_(holds.kept)})" if holds.kept else "")
        if said not in groups.setdefault(holds.forget, []):
            groups[holds.forget].append(said)
    heads = {
        Forget.DELETE: _("Erased"),
        Forget.NULL: _("Kept as shared records, with you shown as a former member"),
        Forget.ROOM: _(
            "Kept while you are in the room (the room shows it), erased for rooms you have left"
        ),
        Forget.OWN: _("Changed by its own rule"),
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
        state = _("a member") if m.joined else _("no longer in the room")
        lines.append(
            "- "
            + _("You: {name}, {state}, first seen {at}").format(
                name=inline(m.display_name or _("(no display name)")),
                state=state,
                at=_at(ctx, m.first_seen_at),
            )
            + (_(", away until {at}").format(at=_at(ctx, m.away_until)) if m.away_until else "")
            + (_(", marked as a bot") if m.is_bot else "")
            + "."
        )
    for table, rows in here.rows.items():
        if table in SUMMARIES:
            lines.append("- " + SUMMARIES[table]([r for r, _p in rows]))
        elif table in LINES:
            lines += ["- " + LINES[table](ctx, data.user_id, r, p) for r, p in rows]
        else:
            lines.append(
                "- "
                + ngettext("{what}: {n} record.", "{what}: {n} records.", len(rows)).format(
                    what=inline(_(_what(table))), n=len(rows)
                )
            )
    for e in here.audit:
        said = await audit_actions.sentence(ctx, e, inline)
        lines.append("- " + _("Audit log, {at}: {said}").format(at=_at(ctx, e.at), said=said))
    lines.append("")
    return lines


async def document(ctx: Context, data: Personal) -> str:
    """The whole of it, as Markdown."""
    lines = [
        "# " + _("What Flattening keeps about {user}").format(user=inline(data.user_id)),
        "",
        _("As of {now} ({zone}).").format(now=ctx.time(ctx.now()), zone=ctx.settings.timezone),
        "",
    ]
    for chat in data.chats:
        if chat.room_id:
            lines += ["- " + _("Our direct chat: {room}.").format(room=inline(chat.room_id)), ""]
    if data.undelivered:
        lines += [
            "- " + _("Direct messages to you not yet delivered: {n}.").format(n=data.undelivered),
            "",
        ]
    if data.forget_pending is not None:
        lines += [
            "- "
            + _("You asked to be forgotten; confirm before {at}.").format(
                at=ctx.time(data.forget_pending)
            ),
            "",
        ]
    for here in data.collectives:
        lines += await _section(ctx, data, here)
    if not data.collectives:
        lines += [_("Nothing about you in any group's records."), ""]
    lines += [
        _(
            "Not here, because nothing links them to you: your reflection answers. Also kept, "
            "without your name: the ids of events the bot handled in the last 30 days, so "
            "nothing is acted on twice."
        ),
    ]
    return "\n".join(lines) + "\n"
