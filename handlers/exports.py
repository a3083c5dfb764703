"""Exports in plain language: a collective's records as one Markdown file, written for
people who were not there.

`build()` reads storage only (a session, the collective, its settings and a time), so
`!export` in the room and `flattening export` on the command line write the same file.

What members wrote is quoted as they wrote it, but it can never change the layout of the
file: every character Markdown could read as structure is escaped, a line that would
start a heading, list, quote, table or code block is escaped at its start, and each
quoted line is kept inside the item it belongs to. `@room` is broken so it notifies
nobody, wherever the file is pasted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import names
from handlers.context import DATE_FORMAT, FORMER, TIME_FORMAT, defuse
from handlers.settings import CollectiveSettings
from storage import budget, collectives, decisions, labour, notes
from storage.decisions import LogEntry, Tally
from storage.models import Collective, Member

SECTIONS = ("decisions", "notes", "budget", "tasks")
WHAT = (*SECTIONS, "all")
MIMETYPE = "text/markdown"
KINDS = ("visible", "invisible", "care")  # as in handlers/tasks.py
KIND_TITLES = {
    "visible": "Visible work (work others see)",
    "invisible": "Invisible work (what keeps things going and is rarely seen)",
    "care": "Care work (looking after people)",
}
COUNTED = {
    "decisions": ("decision", "decisions"),
    "notes": ("note", "notes"),
    "budget": ("budget entry", "budget entries"),
    "tasks": ("task done", "tasks done"),
}
SCOPES = {
    "all": "everything it keeps (decisions, notes, budget, tasks done)",
    "decisions": "the decisions",
    "notes": "the notes",
    "budget": "the budget",
    "tasks": "the tasks done",
}
ANSWERED = {"agree": "agreed", "abstain": "stood aside", "object": "objected", "block": "blocked"}

# Line endings as CommonMark reads them, and those it does not but editors show as one.
_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Other control characters, and bidi embeddings, overrides and isolates (which could
# reorder the text around them); nothing anyone means to keep.
_STRAY = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# Characters Markdown (CommonMark and GitHub's) reads as emphasis, code, links, HTML,
# entities, tables, strikethrough, math or headings, wherever they stand.
_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|#$])")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")
# What can open a block at the start of a line: headings, lists, quotes, breaks, fences,
# HTML, link definitions, tables, setext underlines, definition lists, math.
_BLOCK_START = frozenset("#=-*_+>`~<[|:$%")


def money(amount: Decimal, currency: str, *, sign: bool = False) -> str:
    """An amount as shown in chat and in exports: two decimals and the currency."""
    return f"{amount:{'+' if sign else ''}.2f} {currency}"


def _line(text: str) -> str:
    """One line of member text, escaped so Markdown reads it as plain words only."""
    text = _SPECIAL.sub(r"\\\1", text.strip())
    ordered = _ORDERED.match(text)
    if ordered:  # `1. ` or `1) ` would start a numbered list
        return f"{ordered.group(1)}\\{text[len(ordered.group(1)) :]}"
    if text and text[0] in _BLOCK_START:  # `- `, `> `, `=== `, `+ `...
        return "\\" + text
    return text


def inline(text: str) -> str:
    """Member text (a name, a task, what money was for) on one line, escaped."""
    return _line(_BREAKS.sub(" ", _STRAY.sub("", text)))


def quoted(text: str, indent: str) -> str:
    """Member text of several lines, each escaped and kept inside the item it follows
    (indented by `indent`, joined by hard line breaks). Blank lines are left out."""
    lines = [_line(line) for line in _BREAKS.split(_STRAY.sub("", text))]
    kept = [line for line in lines if line]
    return ("\\\n" + indent).join(kept) if kept else "(nothing written)"


@dataclass(frozen=True)
class Export:
    filename: str
    text: str
    counts: dict[str, int]

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")

    def summary(self) -> str:
        """What the file holds: `3 decisions, 1 note, 2 budget entries, 0 tasks done`."""
        return ", ".join(_count(n, *COUNTED[name]) for name, n in self.counts.items())


@dataclass
class _Writer:
    settings: CollectiveSettings
    names: dict[str, str]  # user id -> how the file names them (Markdown-safe)
    lines: list[str] = field(default_factory=list)
    named: dict[str, str] = field(default_factory=dict)  # people named, for "Who is who"

    def cmd(self, command: str) -> str:
        """A command as members type it, with the collective's prefix."""
        text = self.settings.command_prefix + command
        return f"`{text}`" if "`" not in text else inline(text)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def who(self, user_id: str | None) -> str:
        if user_id is None:
            return FORMER
        label = self.names.get(user_id) or inline(user_id)
        self.named[user_id] = label
        return label

    def day(self, when: datetime) -> str:
        return when.astimezone(self.settings.timezone).strftime(DATE_FORMAT)

    def time(self, when: datetime) -> str:
        return when.astimezone(self.settings.timezone).strftime(TIME_FORMAT)


def _labels(members: Iterable[Member]) -> dict[str, str]:
    """Display names, with the user id added where two people's names look alike (after
    the folding that finds members, `handlers.names`); the user id where a name shows
    nothing."""
    shown = names.shown((m.user_id, m.display_name) for m in members)
    return {user_id: inline(name or user_id) for user_id, name in shown.items()}


def _tally(t: Tally) -> str:
    return (
        f"{t.agreed} agreed, {t.abstained} stood aside, {t.objected} objected, {t.blocked} blocked"
    )


def _counted(entry: LogEntry) -> Tally:
    counts = Counter(a.answer for a in entry.answers)
    return Tally(counts["agree"], counts["abstain"], counts["object"], counts["block"])


def _status(w: _Writer, entry: LogEntry) -> str:
    d = entry.decision
    by = f", closed by {w.who(d.closed_by)}" if d.closed_by else ""
    if d.kind == decisions.RECORD:
        lead = "adopted elsewhere (such as in a meeting) and recorded here"
        if d.status == "withdrawn" and d.withdrawn_at:
            lead += f"; withdrawn on {w.time(d.withdrawn_at)}, so it no longer applies"
        return lead
    if d.status == "open":
        until = f" until {w.time(d.closes_at)}" if d.closes_at else ""
        return f"open: members are still answering{until}"
    early = " (before its closing time)" if d.closed_early else ""
    if d.status == "adopted" and d.adopted_at:
        return f"adopted on {w.time(d.adopted_at)}{early}{by}"
    if d.status == "rejected" and d.closed_at:
        return f"not adopted (rejected) on {w.time(d.closed_at)}{early}{by}"
    if d.status == "withdrawn":
        when = d.withdrawn_at or d.closed_at
        lead = f"withdrawn on {w.time(when)}" if when else "withdrawn"
        if d.adopted_at:
            lead += f", after being adopted on {w.time(d.adopted_at)}; it no longer applies"
        return lead
    return inline(d.status)


def _decision(w: _Writer, entry: LogEntry) -> None:
    d = entry.decision
    closed = d.status != "open"
    kind = "Proposal" if d.kind == decisions.PROPOSAL else "Decision"
    w.add(f"### {kind} #{d.number}: {inline(d.status)}", "")
    w.add(f"- **Text**: {quoted(d.text, '  ')}")
    verb = "Proposed" if d.kind == decisions.PROPOSAL else "Recorded"
    w.add(f"- **{verb} by**: {w.who(d.author)}, on {w.time(d.opened_at)}")
    if d.rule:
        w.add(f"- **Rule**: {inline(d.rule)}")
    w.add(f"- **Status**: {_status(w, entry)}")
    if d.outcome:
        w.add(f"- **Outcome**: {quoted(d.outcome, '  ')}")
    if d.kind == decisions.RECORD:
        w.add("- **Tally**: none; it was decided elsewhere, not answered here")
    elif not closed:
        counted = _counted(entry)
        w.add(
            f"- **Answers so far**: {_tally(counted)}. Who answered what, and why, is shown "
            "once the proposal closes."
        )
    else:
        tally = decisions.snapshot(d) or _counted(entry)
        w.add(f"- **Tally**: {_tally(tally)}")
        if entry.answers:
            w.add("- **Who answered what**:")
            for a in entry.answers:
                said = ANSWERED.get(a.answer, inline(a.answer))
                reason = f": {quoted(a.reason, '    ')}" if a.reason else ""
                w.add(f"  - {w.who(a.user_id)} {said}{reason}")
    if entry.dissents:
        if closed:
            w.add("- **Dissent recorded**:")
            for x in entry.dissents:
                w.add(f"  - {w.who(x.user_id)}, on {w.time(x.at)}: {quoted(x.reason, '    ')}")
        else:
            w.add(f"- **Dissent recorded**: {len(entry.dissents)}, shown once it closes")
    w.add("")


async def _decisions(session: AsyncSession, w: _Writer, collective_id: int) -> int:
    entries = await decisions.log(session, collective_id)
    w.add("## Decisions", "")
    if not entries:
        w.add("No proposals or decisions have been recorded yet.", "")
        return 0
    w.add(
        f"{_count(len(entries), 'proposal or decision', 'proposals and decisions')}, "
        f"oldest first. A proposal ({w.cmd('propose')}) is put to every member, who can "
        "agree, stand aside, object or block; it is then decided under the collective's "
        f"rule (now: {inline(w.settings.decision_rule)}). A decision taken elsewhere, such "
        f"as in a meeting, is recorded with {w.cmd('decision')}. While a proposal is open, "
        "this file shows only how many members gave each answer; who answered what, with "
        "their reasons, is shown once it closes. Reasons and dissent are quoted as the "
        "members wrote them.",
        "",
    )
    for entry in entries:
        _decision(w, entry)
    return len(entries)


async def _notes(session: AsyncSession, w: _Writer, collective_id: int) -> int:
    found = await notes.since(session, collective_id, include_deleted=True)
    kept = [n for n in found if n.deleted_at is None]
    w.add("## Notes", "")
    if not found:
        w.add("No notes have been taken yet.", "")
        return 0
    w.add(
        f"{_count(len(kept), 'note', 'notes')}{_gone(found, kept)}, by day, oldest "
        f"first, each with its number ({w.cmd('note')}), its time and who took it. A note "
        f"taken during a live meeting ({w.cmd('meeting start')} to "
        f"{w.cmd('meeting end')}) says so. A note is only removed when two members agree "
        f"({w.cmd('note delete')}, then {w.cmd('second')}); a removed note keeps its "
        "number here, without its text.",
        "",
    )
    day = None
    for n in found:
        if w.day(n.at) != day:
            day = w.day(n.at)
            w.add(f"### {day} ({_weekday(w, n.at)})", "")
        at = n.at.astimezone(w.settings.timezone).strftime("%H:%M")
        if n.deleted_at is not None:
            w.add(f"- #{n.number}, {at}: {_removed(w, n.deleted_at)}")
            continue
        meeting = ", in a meeting" if n.meeting_id is not None else ""
        w.add(f"- #{n.number}, {at}, {w.who(n.author)}{meeting}: {quoted(n.text, '  ')}")
    w.add("")
    return len(kept)


def _removed(w: _Writer, when: datetime) -> str:
    return f"removed on {w.time(when)}, when two members agreed"


def _gone(found: list[Any], kept: list[Any]) -> str:
    return f" (and {len(found) - len(kept)} removed)" if len(found) > len(kept) else ""


def _weekday(w: _Writer, when: datetime) -> str:
    return when.astimezone(w.settings.timezone).strftime("%A")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


async def _budget(session: AsyncSession, w: _Writer, collective_id: int) -> int:
    found = list(reversed(await budget.log(session, collective_id, include_deleted=True)))
    kept = [e for e in found if e.deleted_at is None]
    currency = w.settings.currency
    w.add("## Budget", "")
    if not found:
        w.add("No spending or income has been recorded yet.", "")
        return 0
    w.add(
        f"{_count(len(kept), 'entry', 'entries')}{_gone(found, kept)}. Members record spending "
        f"({w.cmd('spend')}) and income ({w.cmd('income')}) with exact amounts; the "
        "balance is all income minus all spending. An entry is only removed when two "
        f"members agree ({w.cmd('budget delete')}, then {w.cmd('second')}); a removed "
        "entry keeps its number here and counts nowhere.",
        "",
    )
    balances = await budget.balances(session, collective_id)
    mine = balances.pop(currency, Decimal("0.00"))
    w.add(f"**Balance**: {money(mine, inline(currency))}", "")
    for other, amount in sorted(balances.items()):
        w.add(
            f"**Balance in {inline(other)}** (an earlier currency): {money(amount, inline(other))}",
            "",
        )
    months: dict[tuple[str, str], list[Decimal]] = {}
    for e in kept:
        local = e.at.astimezone(w.settings.timezone)
        sums = months.setdefault((local.strftime("%Y-%m"), e.currency), [Decimal(0), Decimal(0)])
        sums[0 if e.kind == "income" else 1] += e.amount
    w.add("### Month by month", "")
    for (month, cur), (income, spend) in sorted(months.items()):
        c = inline(cur)
        w.add(
            f"- {month}: income {money(income, c)}, spending {money(spend, c)}, "
            f"net {money(income - spend, c, sign=True)}"
        )
    w.add("", "### Entries, oldest first", "")
    for e in found:
        if e.deleted_at is not None:
            w.add(f"- #{e.number}, {w.day(e.at)}: {_removed(w, e.deleted_at)}")
            continue
        kind = "income" if e.kind == "income" else "spending"
        w.add(
            f"- #{e.number}, {w.day(e.at)}, {kind} of {money(e.amount, inline(e.currency))}, "
            f"recorded by {w.who(e.author)}: {quoted(e.what, '  ')}"
        )
    w.add("")
    return len(kept)


async def _tasks(session: AsyncSession, w: _Writer, collective_id: int) -> int:
    done = list(reversed(await labour.completions(session, collective_id)))
    w.add("## Tasks done", "")
    if not done:
        w.add("No work has been logged yet.", "")
        return 0
    by_kind = Counter(t.kind for t in done)
    w.add(
        f"{_count(len(done), 'task', 'tasks')} logged with {w.cmd('task done')}: "
        + ", ".join(
            f"{by_kind.get(k, 0)} {k}" for k in (*KINDS, *sorted(set(by_kind) - set(KINDS)))
        )
        + ". A mirror, not a score: it shows what was logged, not what anyone is worth.",
        "",
    )
    for kind in (*KINDS, *sorted(set(by_kind) - set(KINDS))):
        mine = [t for t in done if t.kind == kind]
        if not mine:
            continue
        title = KIND_TITLES.get(kind, f"{inline(kind)} work")
        w.add(f"### {title}: {len(mine)}", "")
        for t in mine:
            w.add(f"- {w.day(t.done_at)}: {inline(t.name)}, by {w.who(t.user_id)}")
        w.add("")
    return len(done)


async def build(
    session: AsyncSession,
    collective: Collective,
    settings: CollectiveSettings,
    what: str,
    now: datetime,
) -> Export:
    """The Markdown export of `what` (a section of SECTIONS, or all) as of `now`."""
    if what not in WHAT:
        raise ValueError(f"unknown export {what!r}; one of {', '.join(WHAT)}")
    sections = SECTIONS if what == "all" else (what,)
    w = _Writer(settings, _labels(await collectives.everyone(session, collective.id)))
    room = inline(collective.name or collective.room_id)
    zone = str(settings.timezone)
    parts = {"decisions": _decisions, "notes": _notes, "budget": _budget, "tasks": _tasks}
    body = _Writer(settings, w.names, named=w.named)
    counts = {name: await parts[name](session, body, collective.id) for name in sections}
    scope = SCOPES[what]
    w.add(
        f"# {room}: records",
        "",
        f"Exported by Flattening on {w.time(now)} ({inline(zone)}): {scope}. It is meant "
        "for anyone, including people who were not there. Times are in the collective's "
        f"time zone, {inline(zone)}. What members wrote is quoted as they wrote it; only "
        "characters that would change the layout of this file are escaped.",
        "",
    )
    w.lines.extend(body.lines)
    if w.named:
        w.add("## Who is who", "", "The people named above, with their Matrix ids:", "")
        for user_id, label in sorted(w.named.items(), key=lambda kv: kv[1].casefold()):
            w.add(f"- {label}: {inline(user_id)}")
        w.add("")
    day = now.astimezone(settings.timezone).strftime(DATE_FORMAT)
    text = defuse("\n".join(w.lines).rstrip("\n") + "\n")
    return Export(f"flattening-{what}-{day}.md", text, counts)
