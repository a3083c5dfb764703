"""The sections of an export: decisions, notes, the budget and tasks done, each written
for people who were not there, through a `Writer` that names people and times them in the
collective's zone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import i18n, names
from handlers.context import DATE_FORMAT, FORMER
from handlers.decisions.rules import rule_name
from handlers.exports.markdown import inline, money, quoted, weekday_name
from handlers.i18n import N_, _, ngettext
from handlers.labour_kinds import KINDS, kind_count
from handlers.settings import CollectiveSettings
from handlers.task_links import together
from storage import budget, decision_log, decisions, labour, notes
from storage.decision_log import LogEntry
from storage.decisions import Tally
from storage.models import Member

# Shown with `_()` where they are used.
KIND_TITLES = {
    "visible": N_("Visible work (work others see)"),
    "invisible": N_("Invisible work (what keeps things going and is rarely seen)"),
    "care": N_("Care work (looking after people)"),
}
ANSWERED = {
    "agree": N_("agreed"),
    "abstain": N_("stood aside"),
    "object": N_("objected"),
    "block": N_("blocked"),
}
STATUSES = {
    "open": N_("open"),
    "adopted": N_("adopted"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
}


@dataclass
class Writer:
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
            return _(FORMER)
        label = self.names.get(user_id) or inline(user_id)
        self.named[user_id] = label
        return label

    def day(self, when: datetime) -> str:
        return when.astimezone(self.settings.timezone).strftime(DATE_FORMAT)

    def time(self, when: datetime) -> str:
        return i18n.moment(when.astimezone(self.settings.timezone))


def labels(members: Iterable[Member]) -> dict[str, str]:
    """Display names, with the user id added where two people's names look alike (after
    the folding that finds members, `handlers.names`); the user id where a name shows
    nothing."""
    shown = names.shown((m.user_id, m.display_name) for m in members)
    return {user_id: inline(name or user_id) for user_id, name in shown.items()}


def _tally(t: Tally) -> str:
    return _(
        "{agreed} agreed, {abstained} stood aside, {objected} objected, {blocked} blocked"
    ).format(agreed=t.agreed, abstained=t.abstained, objected=t.objected, blocked=t.blocked)


def _counted(entry: LogEntry) -> Tally:
    counts = Counter(a.answer for a in entry.answers)
    return Tally(counts["agree"], counts["abstain"], counts["object"], counts["block"])


def _closed(w: Writer, text: str, early: bool, by: str | None) -> str:
    """A closing, with how it closed: early, and by whom."""
    if early:
        text += " " + _("(before its closing time)")
    if by is not None:
        text += ", " + _("closed by {who}").format(who=by)
    return text


def _status(w: Writer, entry: LogEntry) -> str:
    d = entry.decision
    by = w.who(d.closed_by) if d.closed_by else None
    if by is not None and d.seconded_by is not None:
        by = _("{asker}, seconded by {second}").format(asker=by, second=w.who(d.seconded_by))
    if d.kind == decisions.RECORD:
        if d.status == "withdrawn" and d.withdrawn_at:
            return _(
                "adopted elsewhere (such as in a meeting) and recorded here; withdrawn on "
                "{when}, so it no longer applies"
            ).format(when=w.time(d.withdrawn_at))
        return _("adopted elsewhere (such as in a meeting) and recorded here")
    if d.status == "open":
        if d.closes_at:
            return _("open: members are still answering until {when}").format(
                when=w.time(d.closes_at)
            )
        return _("open: members are still answering")
    if d.status == "adopted" and d.adopted_at:
        adopted = _("adopted on {when}").format(when=w.time(d.adopted_at))
        return _closed(w, adopted, d.closed_early, by)
    if d.status == "rejected" and d.closed_at and d.no_quorum:
        missed = _("not adopted (no quorum: too few members answered) on {when}")
        return _closed(w, missed.format(when=w.time(d.closed_at)), d.closed_early, by)
    if d.status == "rejected" and d.closed_at:
        rejected = _("not adopted (rejected) on {when}").format(when=w.time(d.closed_at))
        return _closed(w, rejected, d.closed_early, by)
    if d.status == "withdrawn":
        when = d.withdrawn_at or d.closed_at
        if when and d.adopted_at:
            return _(
                "withdrawn on {when}, after being adopted on {adopted}; it no longer applies"
            ).format(when=w.time(when), adopted=w.time(d.adopted_at))
        if d.adopted_at:
            return _("withdrawn, after being adopted on {adopted}; it no longer applies").format(
                adopted=w.time(d.adopted_at)
            )
        return _("withdrawn on {when}").format(when=w.time(when)) if when else _("withdrawn")
    return _status_word(d.status)


def _status_word(status: str) -> str:
    return _(STATUSES[status]) if status in STATUSES else inline(status)


def _decision(w: Writer, entry: LogEntry) -> None:
    d = entry.decision
    closed = d.status != "open"
    status = _status_word(d.status)
    if d.kind == decisions.PROPOSAL:
        heading = _("Proposal #{n}: {status}").format(n=d.number, status=status)
        by = _("**Proposed by**: {who}, on {when}")
    else:
        heading = _("Decision #{n}: {status}").format(n=d.number, status=status)
        by = _("**Recorded by**: {who}, on {when}")
    w.add(f"### {heading}", "")
    w.add("- " + _("**Text**: {text}").format(text=quoted(d.text, "  ")))
    w.add("- " + by.format(who=w.who(d.author), when=w.time(d.opened_at)))
    if d.rule:
        w.add("- " + _("**Rule**: {rule}").format(rule=inline(rule_name(d.rule))))
    w.add("- " + _("**Status**: {status}").format(status=_status(w, entry)))
    if d.outcome:
        w.add("- " + _("**Outcome**: {outcome}").format(outcome=quoted(d.outcome, "  ")))
    if d.kind == decisions.RECORD:
        w.add("- " + _("**Tally**: none; it was decided elsewhere, not answered here"))
    elif not closed:
        counted = _counted(entry)
        w.add(
            "- "
            + _(
                "**Answers so far**: {tally}. Who answered what, and why, is shown once the "
                "proposal closes."
            ).format(tally=_tally(counted))
        )
    else:
        tally = decisions.snapshot(d) or _counted(entry)
        w.add("- " + _("**Tally**: {tally}").format(tally=_tally(tally)))
        if entry.answers:
            w.add("- " + _("**Who answered what**:"))
            for a in entry.answers:
                said = _(ANSWERED[a.answer]) if a.answer in ANSWERED else inline(a.answer)
                answered = _("{who} {answered}").format(who=w.who(a.user_id), answered=said)
                reason = f": {quoted(a.reason, '    ')}" if a.reason else ""
                w.add(f"  - {answered}{reason}")
    if entry.dissents:
        if closed:
            w.add("- " + _("**Dissent recorded**:"))
            for x in entry.dissents:
                w.add(
                    "  - "
                    + _("{who}, on {when}: {reason}").format(
                        who=w.who(x.user_id), when=w.time(x.at), reason=quoted(x.reason, "    ")
                    )
                )
        else:
            w.add(
                "- "
                + _("**Dissent recorded**: {n}, shown once it closes").format(n=len(entry.dissents))
            )
    w.add("")


async def _decisions(session: AsyncSession, w: Writer, collective_id: int) -> int:
    entries = await decision_log.log(session, collective_id)
    w.add("## " + _("Decisions"), "")
    if not entries:
        w.add(_("No proposals or decisions have been recorded yet."), "")
        return 0
    count = ngettext(
        "{n} proposal or decision", "{n} proposals and decisions", len(entries)
    ).format(n=len(entries))
    w.add(
        _(
            "{count}, oldest first. A proposal ({propose}) is put to every member, who can "
            "agree, stand aside, object or block; it is then decided under the collective's "
            "rule (now: {rule}). A decision taken elsewhere, such as in a meeting, is recorded "
            "with {decision}. While a proposal is open, this file shows only how many members "
            "gave each answer; who answered what, with their reasons, is shown once it "
            "closes. Reasons and dissent are quoted as the members wrote them."
        ).format(
            count=count,
            propose=w.cmd("propose"),
            rule=inline(rule_name(w.settings.decision_rule)),
            decision=w.cmd("decision"),
        ),
        "",
    )
    for entry in entries:
        _decision(w, entry)
    return len(entries)


async def _notes(session: AsyncSession, w: Writer, collective_id: int) -> int:
    found = await notes.since(session, collective_id, include_deleted=True)
    kept = [n for n in found if n.deleted_at is None]
    w.add("## " + _("Notes"), "")
    if not found:
        w.add(_("No notes have been taken yet."), "")
        return 0
    count = ngettext("{n} note", "{n} notes", len(kept)).format(n=len(kept))
    w.add(
        _(
            "{count}, by day, oldest first, each with its number ({note}), its time and who "
            "took it. A note taken during a live meeting ({start} to {end}) says so. A note is "
            "only removed when two members agree ({delete}, then {second}); a removed note "
            "keeps its number here, without its text."
        ).format(
            count=_gone(count, found, kept),
            note=w.cmd("note"),
            start=w.cmd("meeting start"),
            end=w.cmd("meeting end"),
            delete=w.cmd("note delete"),
            second=w.cmd("second"),
        ),
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
        who, text = w.who(n.author), quoted(n.text, "  ")
        if n.meeting_id is not None:
            line = _("#{n}, {at}, {who}, in a meeting: {text}")
        else:
            line = "#{n}, {at}, {who}: {text}"
        w.add("- " + line.format(n=n.number, at=at, who=who, text=text))
    w.add("")
    return len(kept)


def _removed(w: Writer, when: datetime) -> str:
    return _("removed on {when}, when two members agreed").format(when=w.time(when))


def _gone(count: str, found: list[Any], kept: list[Any]) -> str:
    """A count of what is kept, and how many were removed, if any."""
    if len(found) == len(kept):
        return count
    return _("{count} (and {n} removed)").format(count=count, n=len(found) - len(kept))


def _weekday(w: Writer, when: datetime) -> str:
    return weekday_name(when.astimezone(w.settings.timezone))


async def _budget(session: AsyncSession, w: Writer, collective_id: int) -> int:
    found = list(reversed(await budget.log(session, collective_id, include_deleted=True)))
    kept = [e for e in found if e.deleted_at is None]
    currency = w.settings.currency
    w.add("## " + _("Budget"), "")
    if not found:
        w.add(_("No spending or income has been recorded yet."), "")
        return 0
    count = ngettext("{n} entry", "{n} entries", len(kept)).format(n=len(kept))
    w.add(
        _(
            "{count}. Members record spending ({spend}) and income ({income}) with exact "
            "amounts; the balance is all income minus all spending. An entry is only removed "
            "when two members agree ({delete}, then {second}); a removed entry keeps its "
            "number here and counts nowhere."
        ).format(
            count=_gone(count, found, kept),
            spend=w.cmd("spend"),
            income=w.cmd("income"),
            delete=w.cmd("budget delete"),
            second=w.cmd("second"),
        ),
        "",
    )
    balances = await budget.balances(session, collective_id)
    mine = balances.pop(currency, Decimal("0.00"))
    w.add(_("**Balance**: {amount}").format(amount=money(mine, inline(currency))), "")
    for other, amount in sorted(balances.items()):
        w.add(
            _("**Balance in {currency}** (an earlier currency): {amount}").format(
                currency=inline(other), amount=money(amount, inline(other))
            ),
            "",
        )
    months: dict[tuple[str, str], list[Decimal]] = {}
    for e in kept:
        local = e.at.astimezone(w.settings.timezone)
        sums = months.setdefault((local.strftime("%Y-%m"), e.currency), [Decimal(0), Decimal(0)])
        sums[0 if e.kind == "income" else 1] += e.amount
    w.add("### " + _("Month by month"), "")
    for (month, cur), (income, spend) in sorted(months.items()):
        c = inline(cur)
        w.add(
            "- "
            + _("{month}: income {income}, spending {spend}, net {net}").format(
                month=month,
                income=money(income, c),
                spend=money(spend, c),
                net=money(income - spend, c, sign=True),
            )
        )
    w.add("", "### " + _("Entries, oldest first"), "")
    for e in found:
        if e.deleted_at is not None:
            w.add(f"- #{e.number}, {w.day(e.at)}: {_removed(w, e.deleted_at)}")
            continue
        kind = _("income") if e.kind == "income" else _("spending")
        w.add(
            "- "
            + _("#{n}, {day}, {kind} of {amount}, recorded by {who}: {what}").format(
                n=e.number,
                day=w.day(e.at),
                kind=kind,
                amount=money(e.amount, inline(e.currency)),
                who=w.who(e.author),
                what=quoted(e.what, "  "),
            )
        )
    w.add("")
    return len(kept)


async def _tasks(session: AsyncSession, w: Writer, collective_id: int) -> int:
    done = list(reversed(await labour.completions(session, collective_id)))
    w.add("## " + _("Tasks done"), "")
    if not done:
        w.add(_("No work has been logged yet."), "")
        return 0
    by_kind = Counter(t.kind for t in done)
    kinds = (*KINDS, *sorted(set(by_kind) - set(KINDS)))
    w.add(
        _("{count} logged with {command}: {kinds}.").format(
            count=ngettext("{n} task", "{n} tasks", len(done)).format(n=len(done)),
            command=w.cmd("task done"),
            kinds=", ".join(kind_count(k, by_kind.get(k, 0)) for k in kinds),
        )
        + " "
        + _("A mirror, not a score: it shows what was logged, not what anyone is worth."),
        "",
    )
    for kind in kinds:
        mine = [t for t in done if t.kind == kind]
        if not mine:
            continue
        if kind in KIND_TITLES:
            title = _(KIND_TITLES[kind])
        else:
            title = _("{kind} work").format(kind=inline(kind))
        w.add(f"### {title}: {len(mine)}", "")
        groups: dict[str, list[str | None]] = {}
        for t in mine:
            if t.joint_id:
                groups.setdefault(t.joint_id, []).append(t.user_id)
        for t in mine:
            if t.joint_id is None:
                line = _("{day}: {task}, by {who}").format(
                    day=w.day(t.done_at), task=inline(t.name), who=w.who(t.user_id)
                )
            elif t.joint_id in groups:  # shared work: one line, one entry for each of them
                doers = [w.who(u) for u in groups.pop(t.joint_id)]
                line = _("{day}: {task}, joint work of {who} (one entry each)").format(
                    day=w.day(t.done_at), task=inline(t.name), who=together(doers)
                )
            else:
                continue
            w.add("- " + line)
        w.add("")
    return len(done)


# Each section's writer, by the name `!export` gives it: it returns how many it wrote.
WRITERS = {"decisions": _decisions, "notes": _notes, "budget": _budget, "tasks": _tasks}
