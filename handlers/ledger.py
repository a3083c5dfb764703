"""Notes and budget: publish everything. Meeting notes, a budget ledger exact to the cent,
and exports of the collective's records as a Markdown file in plain language.

A note taken while a live meeting runs belongs to it, and `!meeting end` lists it.
Erasing a note or a budget entry is a shared decision: one member asks, a second
confirms with `!second N` (the two-member rule).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from handlers.arguments import Amount, Number, Since, Text, Word
from handlers.context import FORMER, Context, File, Mention, Rows
from handlers.exports import MIMETYPE, WHAT, build, export_word
from handlers.exports.markdown import money, month_name
from handlers.i18n import N_, _
from handlers.registry import Practice
from handlers.seconds import ask_second
from handlers.timeparse import month_start
from storage import budget, meetings, notes
from storage.models import BudgetEntry, Note

practice = Practice(
    N_("Notes and budget"), N_("Meeting notes, a budget ledger in exact amounts, and exports.")
)

MAX_NOTE = 2000
MAX_WHAT = 300
LIST_LIMIT = 20
PREVIEW = 300  # characters of a note shown in a list; the export has it whole
DELETE_NOTE = "delete note"
DELETE_ENTRY = "delete budget entry"
KIND_WORDS = {"spend": N_("spending"), "income": N_("income")}  # shown, with `_()`


def kind_word(kind: str) -> str:
    """A budget entry's stored kind as a sentence shows it."""
    return _(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


def preview(text: str, limit: int = PREVIEW) -> str:
    """A note or entry as a list shows it: on one line, shortened past `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def note_rows(ctx: Context, found: list[Note], names: dict[str, Mention]) -> list[dict[str, Any]]:
    """Notes as rows of a list: number, time, who, and the text on one line."""
    return [
        {
            "n": n.number,
            "at": ctx.time(n.at),
            "who": names.get(n.author or "")
            or (Mention(n.author, ping=False) if n.author else _(FORMER)),
            "text": preview(n.text),
        }
        for n in found
    ]


NOTE_ROW = N_("- #{n} {at}, {who}: {text}")  # a row template: `_(NOTE_ROW)` where used


@practice.command(
    "note",
    Text("text", max_length=MAX_NOTE),
    summary=N_("Keep a note for the collective (during a meeting, it belongs to the meeting)."),
    examples=("!note we meet at the hall on Friday, keys from Bob",),
)
async def note(ctx: Context, text: str) -> None:
    meeting = await meetings.running(ctx.session, ctx.collective_id)
    kept = await notes.add(
        ctx.session,
        ctx.collective_id,
        text,
        ctx.author,
        ctx.now(),
        meeting_id=meeting.id if meeting else None,
    )
    await ctx.audit("note.added", number=kept.number)
    if meeting:
        template = _(
            "Note **#{n}** kept for {who}. It belongs to the meeting started {started}. "
            "`{p}notes` lists the notes."
        )
    else:
        template = _("Note **#{n}** kept for {who}. `{p}notes` lists the notes.")
    await ctx.reply(
        template,
        n=kept.number,
        who=await ctx.mention(ctx.author, ping=False),
        started=ctx.time(meeting.started_at) if meeting else "",
        p=ctx.prefix,
    )


@practice.command(
    "notes",
    Since("since", optional=True),
    summary=N_("The notes, oldest first: the latest ones, or those since a date or period."),
    examples=("!notes", "!notes 7d", "!notes 2026-11-01"),
)
async def list_notes(ctx: Context, since: datetime | None) -> None:
    found = await notes.since(ctx.session, ctx.collective_id, since, limit=LIST_LIMIT + 1)
    values: dict[str, object] = {"since": ctx.date(since) if since else "", "p": ctx.prefix}
    if not found:
        if since:
            await ctx.reply(
                _("No notes since {since} yet. Keep one with `{p}note <text>`."), **values
            )
        else:
            await ctx.reply(_("No notes yet. Keep one with `{p}note <text>`."), **values)
        return
    more = len(found) > LIST_LIMIT
    found = found[-LIST_LIMIT:]
    if since and more:
        lead = _("**Notes** since {since} (the latest {limit})")
    elif since:
        lead = _("**Notes** since {since}")
    elif more:
        lead = _("**Notes** (the latest {limit})")
    else:
        lead = _("**Notes**")
    lead += "\n{notes}"
    if more:
        lead += "\n" + _("Older notes: `{p}notes <date>`, or all of them with `{p}export notes`.")
    await ctx.reply(
        lead,
        limit=LIST_LIMIT,
        notes=Rows(_(NOTE_ROW), note_rows(ctx, found, await ctx.quiet_names())),
        **values,
    )


@practice.command(
    "note delete",
    Number("note"),
    summary=N_("Ask to erase a note; a second member confirms with !second."),
    examples=("!note delete 3",),
)
async def note_delete(ctx: Context, note: int) -> None:
    found = await notes.by_number(ctx.session, ctx.collective_id, note)
    if found is None or found.deleted_at is not None:
        if found is not None:
            await ctx.reply(_("Note #{n} was erased already; nothing to erase."), n=note)
        else:
            await ctx.reply(_("Note #{n} does not exist; nothing to erase."), n=note)
        return
    # Named by who took it and when, not by its text: the request stays in the audit log,
    # and what a note said may be the very reason to erase it.
    author = (await ctx.mention(found.author, ping=False)).label
    await ask_second(
        ctx,
        DELETE_NOTE,
        {"id": found.id, "number": found.number},
        _("erase note #{n} (taken by {who}, {at})").format(
            n=found.number, who=author, at=ctx.time(found.at)
        ),
    )


@practice.overwrite(DELETE_NOTE)
async def erase_note(ctx: Context, payload: dict[str, Any]) -> str:
    found = await notes.by_id(ctx.session, ctx.collective_id, int(payload["id"]))
    if found is None or not await notes.delete(ctx.session, found, ctx.now(), by=ctx.author):
        return _("note #{n} was erased already, so nothing changed").format(n=payload["number"])
    await ctx.audit("note.erased", number=found.number)
    return _("note #{n} is erased").format(n=found.number)


def _bounds(ctx: Context) -> tuple[datetime, datetime]:
    start = month_start(ctx.now(), ctx.settings.timezone)
    return start.astimezone(UTC), (start + relativedelta(months=1)).astimezone(UTC)


@practice.command(
    "budget",
    summary=N_("The balance, and this month's income and spending."),
    examples=("!budget",),
)
async def show_budget(ctx: Context) -> None:
    currency = ctx.settings.currency
    balances = await budget.balances(ctx.session, ctx.collective_id)
    if not await budget.log(ctx.session, ctx.collective_id, limit=1, include_deleted=True):
        await ctx.reply(
            _(
                "The budget is empty: no spending or income recorded yet. "
                "`{p}spend 12,50 flyers` or `{p}income 100 donations` records one."
            ),
            p=ctx.prefix,
        )
        return
    balance = balances.pop(currency, Decimal("0.00"))
    start, end = _bounds(ctx)
    month = await budget.totals(ctx.session, ctx.collective_id, currency, start, end)
    lines = [
        _("**Budget**: balance **{balance}**."),
        _("{month} so far: income {income}, spending {spend}, net {net}."),
    ]
    values: dict[str, object] = {
        "balance": money(balance, currency),
        "month": month_name(ctx.local(ctx.now())),
        "income": money(month.income, currency),
        "spend": money(month.spend, currency),
        "net": money(month.balance, currency, sign=True),
        "p": ctx.prefix,
    }
    if balances:
        values["others"] = ", ".join(money(v, c) for c, v in sorted(balances.items()))
        lines.append(_("Kept in earlier currencies: {others}."))
    lines.append(_("`{p}budget log` lists the entries."))
    await ctx.reply("\n".join(lines), **values)


async def _record(ctx: Context, kind: str, amount: Decimal, what: str) -> None:
    currency = ctx.settings.currency
    entry = await budget.add(
        ctx.session, ctx.collective_id, kind, amount, currency, what, ctx.author, ctx.now()
    )
    shown = money(entry.amount, currency)
    await ctx.audit(f"budget.{kind}", number=entry.number)  # no amount: erasable
    balance = await budget.balance(ctx.session, ctx.collective_id, currency)
    await ctx.reply(
        _("Recorded **#{n}**: {kind} of **{amount}** by {who}: {what}. Balance: {balance}."),
        n=entry.number,
        kind=kind_word(kind),
        amount=shown,
        who=await ctx.mention(ctx.author, ping=False),
        what=what,
        balance=money(balance, currency),
    )


@practice.command(
    "spend",
    Amount("amount"),
    Text("what", max_length=MAX_WHAT),
    summary=N_("Record money spent, exactly (12, 12.5, 12.50 or 12,50), and what for."),
    examples=("!spend 12,50 flyers for the fair",),
)
async def spend(ctx: Context, amount: Decimal, what: str) -> None:
    await _record(ctx, "spend", amount, what)


@practice.command(
    "income",
    Amount("amount"),
    Text("what", max_length=MAX_WHAT),
    summary=N_("Record money received, exactly, and where it came from."),
    examples=("!income 100 donations at the fair",),
)
async def income(ctx: Context, amount: Decimal, what: str) -> None:
    await _record(ctx, "income", amount, what)


def entry_row(ctx: Context, e: BudgetEntry, names: dict[str, Mention]) -> dict[str, Any]:
    return {
        "n": e.number,
        "day": ctx.date(e.at),
        "kind": kind_word(e.kind),
        "amount": money(e.amount, e.currency),
        "what": preview(e.what, 120),
        "who": names.get(e.author or "")
        or (Mention(e.author, ping=False) if e.author else _(FORMER)),
    }


@practice.command(
    "budget log",
    Since("since", optional=True),
    summary=N_("The budget entries, newest first: all, or since a date or period."),
    examples=("!budget log", "!budget log 30d", "!budget log 2026-11-01"),
)
async def budget_log(ctx: Context, since: datetime | None) -> None:
    found = await budget.log(ctx.session, ctx.collective_id, since, limit=LIST_LIMIT + 1)
    values: dict[str, object] = {"since": ctx.date(since) if since else "", "p": ctx.prefix}
    if not found:
        if since:
            empty = _(
                "No budget entries since {since} yet. `{p}spend` and `{p}income` record them."
            )
        else:
            empty = _("No budget entries yet. `{p}spend` and `{p}income` record them.")
        await ctx.reply(empty, **values)
        return
    more = len(found) > LIST_LIMIT
    names = await ctx.quiet_names()
    currency = ctx.settings.currency
    start = since or datetime(1970, 1, 1, tzinfo=UTC)
    # Up to a day ahead, so an entry recorded this very moment counts (`totals` ends before).
    end = ctx.now() + relativedelta(days=1)
    period = await budget.totals(ctx.session, ctx.collective_id, currency, start, end)
    if since and more:
        lead = _(
            "**Budget log** since {since} (the latest {limit}): income {income}, spending {spend}."
        )
    elif since:
        lead = _("**Budget log** since {since}: income {income}, spending {spend}.")
    elif more:
        lead = _("**Budget log** (the latest {limit}): income {income}, spending {spend}.")
    else:
        lead = _("**Budget log**: income {income}, spending {spend}.")
    lead += "\n{rows}"
    if more:
        lead += "\n" + _("Older entries: `{p}budget log <date>`, or `{p}export budget`.")
    await ctx.reply(
        lead,
        limit=LIST_LIMIT,
        income=money(period.income, currency),
        spend=money(period.spend, currency),
        rows=Rows(
            _("- #{n} {day}: {kind} of {amount}, {what} ({who})"),
            [entry_row(ctx, e, names) for e in found[:LIST_LIMIT]],
        ),
        **values,
    )


@practice.command(
    "budget delete",
    Number("entry"),
    summary=N_("Ask to remove a budget entry; a second member confirms with !second."),
    examples=("!budget delete 4",),
)
async def budget_delete(ctx: Context, entry: int) -> None:
    found = await budget.by_number(ctx.session, ctx.collective_id, entry)
    if found is None or found.deleted_at is not None:
        if found is not None:
            await ctx.reply(_("Budget entry #{n} was removed already; nothing to remove."), n=entry)
        else:
            await ctx.reply(_("Budget entry #{n} does not exist; nothing to remove."), n=entry)
        return
    shown = money(found.amount, found.currency)
    await ask_second(
        ctx,
        DELETE_ENTRY,
        {"id": found.id, "number": found.number},
        _("remove budget entry #{n} ({kind} of {amount}, {what})").format(
            n=found.number, kind=kind_word(found.kind), amount=shown, what=preview(found.what, 80)
        ),
    )


@practice.overwrite(DELETE_ENTRY)
async def remove_entry(ctx: Context, payload: dict[str, Any]) -> str:
    found = await budget.by_id(ctx.session, ctx.collective_id, int(payload["id"]))
    # Shown in the room as it was: erasing blanks the amount in the database.
    shown = money(found.amount, found.currency) if found is not None else ""
    if found is None or not await budget.delete(ctx.session, found, ctx.now(), by=ctx.author):
        return _("budget entry #{n} was removed already, so nothing changed").format(
            n=payload["number"]
        )
    await ctx.audit("budget.removed", number=found.number)
    balance = await budget.balance(ctx.session, ctx.collective_id, ctx.settings.currency)
    return _("budget entry #{n} ({amount}) is removed; the balance is now {balance}").format(
        n=found.number, amount=shown, balance=money(balance, ctx.settings.currency)
    )


@practice.command(
    "export",
    Word("what", choices=WHAT, optional=True),
    summary=N_("Upload the records as a Markdown file in plain language (default: all)."),
    examples=("!export", "!export decisions", "!export budget"),
)
async def export(ctx: Context, what: str | None) -> None:
    what = what or "all"
    done = await build(ctx.session, ctx.collective, ctx.settings, what, ctx.now())
    await ctx.reply(
        _("Export of {what} for {who}: {parts}. The file follows: **{file}**."),
        what=_("everything") if what == "all" else export_word(what),
        who=await ctx.mention(ctx.author, ping=False),
        parts=done.summary(),
        file=done.filename,
    )
    await ctx.post_file(File(done.data, done.filename, MIMETYPE), "{file}", file=done.filename)
