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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import i18n
from handlers.context import DATE_FORMAT, defuse
from handlers.exports.markdown import inline
from handlers.exports.minutes import write_minutes
from handlers.exports.sections import WRITERS, Writer, labels
from handlers.i18n import N_, _, ngettext
from handlers.settings import CollectiveSettings
from storage import collectives
from storage.models import Collective

SECTIONS = ("decisions", "notes", "budget", "tasks")
WHAT = (*SECTIONS, "minutes", "all")  # the minutes only on their own
MIMETYPE = "text/markdown"
SCOPES = {
    "all": N_("everything it keeps (decisions, notes, budget, tasks done)"),
    "decisions": N_("the decisions"),
    "notes": N_("the notes"),
    "budget": N_("the budget"),
    "tasks": N_("the tasks done"),
    "minutes": N_("the minutes of the meetings"),
}
# What `!export <what>` exported, as its answer says it.
EXPORTED = {
    "decisions": N_("decisions"),
    "notes": N_("notes"),
    "budget": N_("budget"),
    "tasks": N_("tasks"),
    "minutes": N_("minutes"),
}


def export_word(what: str) -> str:
    """A section of the records as `!export` names it to members."""
    return _(EXPORTED[what]) if what in EXPORTED else what


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
        return ", ".join(_summary_count(name, n) for name, n in self.counts.items())


def _summary_count(name: str, n: int) -> str:
    if name == "decisions":
        text = ngettext("{n} decision", "{n} decisions", n)
    elif name == "notes":
        text = ngettext("{n} note", "{n} notes", n)
    elif name == "budget":
        text = ngettext("{n} budget entry", "{n} budget entries", n)
    elif name == "minutes":
        text = ngettext("minutes of {n} meeting", "minutes of {n} meetings", n)
    else:
        text = ngettext("{n} task done", "{n} tasks done", n)
    return text.format(n=n)


async def build(
    session: AsyncSession,
    collective: Collective,
    settings: CollectiveSettings,
    what: str,
    now: datetime,
) -> Export:
    """The Markdown export of `what` (a section of SECTIONS, or all) as of `now`, in the
    collective's language, whoever asks for it (a member, or the command line)."""
    if what not in WHAT:
        raise ValueError(f"unknown export {what!r}; one of {', '.join(WHAT)}")
    with i18n.speaking(settings.language):
        return await _build(session, collective, settings, what, now)


async def _build(
    session: AsyncSession,
    collective: Collective,
    settings: CollectiveSettings,
    what: str,
    now: datetime,
) -> Export:
    sections = SECTIONS if what == "all" else (what,)
    w = Writer(settings, labels(await collectives.everyone(session, collective.id)))
    room = inline(collective.name or collective.room_id)
    zone = str(settings.timezone)
    body = Writer(settings, w.names, named=w.named)
    writers = {**WRITERS, "minutes": write_minutes}
    counts = {name: await writers[name](session, body, collective.id) for name in sections}
    w.add(
        "# " + _("{room}: records").format(room=room),
        "",
        _(
            "Exported by Flattening on {when} ({zone}): {scope}. It is meant for anyone, "
            "including people who were not there. Times are in the collective's time zone, "
            "{zone}. What members wrote is quoted as they wrote it; only characters that "
            "would change the layout of this file are escaped."
        ).format(when=w.time(now), zone=inline(zone), scope=_(SCOPES[what])),
        "",
    )
    w.lines.extend(body.lines)
    if w.named:
        w.add("## " + _("Who is who"), "", _("The people named above, with their Matrix ids:"), "")
        for user_id, label in sorted(w.named.items(), key=lambda kv: kv[1].casefold()):
            w.add(f"- {label}: {inline(user_id)}")
        w.add("")
    day = now.astimezone(settings.timezone).strftime(DATE_FORMAT)
    text = defuse("\n".join(w.lines).rstrip("\n") + "\n")
    return Export(f"flattening-{what}-{day}.md", text, counts)
