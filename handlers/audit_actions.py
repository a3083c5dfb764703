"""How each kind of audit entry reads. The log stores a key, parameters and member ids
(`storage.audit`); the words are here, filled when the log is read, so a display name is
the one of that moment, a forgotten member reads "a former member", and the wording can
change (or be translated) without touching what was stored.

A template is trusted Markdown-ish text; `{name}` is a parameter or the role of a member
the entry concerns. A role written `{tied}` gathers the members stored as `tied.0`,
`tied.1`, ... into one list.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.context import FORMER, Context, Mention, Rows
from handlers.i18n import N_, _, ngettext
from handlers.labour_kinds import KIND_WORDS
from storage.audit import Entry


@dataclass(frozen=True)
class Counted:
    """Words with a number in them: `forms(n)` calls `ngettext` with both forms, so the
    catalogue has them as one plural entry; `count` is the parameter that decides."""

    count: str
    forms: Callable[[int], str]

    def __str__(self) -> str:
        return self.forms(2)


ACTIONS: Mapping[str, str | Counted] = {
    # Labour and knowledge
    "task.added": N_("added the task **{task}**"),
    "task.claimed": N_("claimed the task **{task}**"),
    "task.dropped": N_("dropped the task **{task}**"),
    "task.logged": N_("logged the task **{task}** ({kind})"),
    "task.logged_joint": N_("logged the task **{task}** ({kind}) as joint work with {partners}"),
    "task.linked": N_("tied the task **{task}** to decision #{number}"),
    "knowledge.declared": N_("declared knowledge of **{area}**"),
    "knowledge.withdrawn": N_("withdrew knowledge of **{area}**"),
    "knowledge.learning": N_("is learning **{area}**"),
    "circle.started": N_("started a circle of shadows"),
    "circle.ended": N_("closed a circle of shadows with its affirmation round"),
    "circle.stopped": N_("stopped a circle of shadows at step {step}"),
    "pair.started": N_("paired up to learn **{area}** from {holder}"),
    "pair.done": N_("closed the cross-training pair of {learner} and {holder} in **{area}**"),
    "pair.dropped": N_("ended the cross-training pair of {learner} and {holder} in **{area}**"),
    "access.added": Counted(
        "n",
        lambda n: ngettext(
            "recorded that {holders} holds access to **{resource}**",
            "recorded that {holders} hold access to **{resource}**",
            n,
        ),
    ),
    "access.dropped": Counted(
        "n",
        lambda n: ngettext(
            "recorded that {holders} no longer holds access to **{resource}**",
            "recorded that {holders} no longer hold access to **{resource}**",
            n,
        ),
    ),
    # Roles and availability
    "role.defined": N_("defined the role **{role}** ({term})"),
    "role.redefined": N_("redefined the role **{role}** ({term})"),
    "role.claimed": N_("claimed the role **{role}**"),
    "role.released": N_("released the role **{role}**"),
    "role.handover": N_("wrote handover notes for **{role}**"),
    "role.swap_asked": N_("asked to swap the role **{role}**"),
    "role.swap_accepted": N_("accepted the swap of the role **{role}**"),
    "role.assigned": N_("assigned the role **{role}** to {holder}"),
    "role.drawn": N_("assigned the role **{role}** to {holder}, drawn among {tied}"),
    "role.recall_opened": N_("asked to recall {holder} from **{role}**: proposal #{proposal}"),
    "role.recalled": N_(
        "ended the term of {holder} as **{role}** on recall (proposal #{proposal} adopted); "
        "rotation picked {next}"
    ),
    "role.recalled_vacant": N_(
        "ended the term of {holder} as **{role}** on recall (proposal #{proposal} adopted); "
        "nobody else was available"
    ),
    "role.recall_moot": N_(
        "recorded the recall of {holder} from **{role}** (proposal #{proposal} adopted) after "
        "that term had ended"
    ),
    "role.recall_failed": N_(
        "recorded that {holder} keeps **{role}**: the recall, proposal #{proposal}, {status}"
    ),
    "member.away": N_("is away until {until}"),
    "member.back": N_("is back"),
    # Who counts as a member
    "member.marked_bot": N_("marked {user} as a bot"),
    "member.marked_person": N_("marked {user} as a person"),
    "member.forgotten": N_("had their personal records erased at their request (`!forgetme`)"),
    # Decisions, notes, budget
    "proposal.opened": N_("proposed #{number}"),
    "proposal.answered": N_("answered proposal #{number}"),
    "proposal.decided": N_(
        "decided proposal #{number}: {status} "
        "({agree} agree, {abstain} abstain, {object} object, {block} block)"
    ),
    "proposal.seconded": N_(
        "seconded closing proposal #{number} early, asked by {asker}: {status} "
        "({agree} agree, {abstain} abstain, {object} object, {block} block)"
    ),
    "proposal.review": N_("opened proposal #{proposal} to keep decision #{number}"),
    "proposal.closed": N_(
        "closed proposal #{number} at its time: {status} "
        "({agree} agree, {abstain} abstain, {object} object, {block} block)"
    ),
    "decision.recorded": N_("recorded decision #{number}"),
    "decision.dissent": N_("added dissent to decision #{number}"),
    "decision.withdrawn": N_("withdrew decision #{number}"),
    "note.added": N_("added note #{number}"),
    "note.erased": N_("erased note #{number}"),
    "budget.spend": N_("recorded spending #{number}"),
    "budget.income": N_("recorded income #{number}"),
    "budget.removed": N_("removed budget entry #{number}"),
    # The two-member rule
    "second.asked": N_("asked for a second member: request #{number} ({request})"),
    "second.done": N_("seconded request #{number} from {asker} ({request})"),
    "second.lapsed": N_("let request #{number} lapse ({request}): nobody seconded it"),
    # Meetings
    "meeting.started": N_("started a meeting"),
    "meeting.called": N_("called meeting #{number} for {starts}"),
    "meeting.cancelled": N_("cancelled meeting #{number} (due {starts}), called by {caller}"),
    "meeting.ended": N_("ended the meeting started {started} ({minutes} min)"),
    "stack.joined": N_("joined the speaking stack"),
    "meeting.timer": N_("set speaking turns to {minutes} min (0: no limit)"),
    "agenda.added": N_("put **{item}** on the agenda"),
    "agenda.dropped": N_("took **{item}** off the agenda"),
    "agenda.next": N_("moved the agenda on to **{item}**"),
    "stack.called": N_("gave the floor to {speaker}"),
    "poll.opened": N_("asked poll #{number}"),
    "poll.closed": Counted(
        "of",
        lambda n: ngettext(
            "closed poll #{number} ({answered} of {of} member answered)",
            "closed poll #{number} ({answered} of {of} members answered)",
            n,
        ),
    ),
    # Rituals
    "reflection.opened": N_("opened a reflection round until {until}"),
    "reflection.published": N_("closed a reflection round: answers posted"),
    "reflection.discarded": N_("closed a reflection round: too few answers, deleted unread"),
    "reflection.unopenable": N_(
        "closed a reflection round whose answers could not be opened (the key was missing): "
        "deleted unread"
    ),
    "campaign.started": N_("started the campaign **{name}**"),
    "campaign.ended": N_("ended the campaign **{name}**"),
    "checkin.started": N_("started a check-in"),
    "checkin.after_campaign": N_("started a check-in after the campaign **{name}**"),
    "entry.started": N_("started an entry sprint for {newcomer}"),
    "entry.ended": N_("welcomed {newcomer} as a full member"),
    "entry.extended": N_("extended the entry sprint of {newcomer} by {duration}"),
    "gallery.started": Counted(
        "patterns",
        lambda n: ngettext(
            "started a gallery walk until {until} ({patterns} pattern)",
            "started a gallery walk until {until} ({patterns} patterns)",
            n,
        ),
    ),
    "gallery.ended_early": Counted(
        "reactors",
        lambda n: ngettext(
            "ended a gallery walk early ({reactors} member put dots)",
            "ended a gallery walk early ({reactors} members put dots)",
            n,
        ),
    ),
    "gallery.ended": Counted(
        "reactors",
        lambda n: ngettext(
            "closed a gallery walk at its time ({reactors} member put dots)",
            "closed a gallery walk at its time ({reactors} members put dots)",
            n,
        ),
    ),
    "experiment.started": N_("started experiment #{number} for {cycle}"),
    "experiment.review": N_("opened the review of experiment #{number}: proposal #{proposal}"),
    "experiment.review_opened": N_(
        "opened the review of experiment #{number}: keep, change or drop"
    ),
    "experiment.answered": N_("answered the review of experiment #{number}"),
    "experiment.outcome": N_(
        "recorded the review of experiment #{number}: {outcome}, as decision #{decision}"
    ),
    "experiment.no_outcome": N_(
        "closed the review of experiment #{number} with no outcome (no answers, or a tie)"
    ),
    "experiment.continued": N_("started experiment #{new}, experiment #{number} as changed"),
    "experiment.reviewed": N_(
        "recorded the review of experiment #{number}: proposal #{proposal} {status}"
    ),
    "sprint.started": N_("started the trust audit sprint **{name}**"),
    "sprint.ended": N_("ended the trust audit sprint **{name}**"),
    # Rows from before actions had keys: their words as they were, user ids as members.
    "legacy": "{legacy}",  # nothing to translate: the stored words are shown
}

BOT = N_("the bot")

# Stored values that are words, as members read them (translated when shown). A value
# that is also a command word (a task kind, an answer) is shown as stored.
SHOWN: Mapping[str, Mapping[str, str]] = {
    "status": {
        "open": N_("open"),
        "adopted": N_("adopted"),
        "rejected": N_("rejected"),
        "withdrawn": N_("withdrawn"),
        "no quorum": N_("no quorum"),
    },
    # An experiment review's outcome (`experiment.outcome`).
    "outcome": {"keep": N_("keep"), "change": N_("change"), "drop": N_("drop")},
    # A kind of labour (`task.logged`).
    "kind": KIND_WORDS,
    # What a request waits for a second member to do (`Practice.overwrite` keys).
    "request": {
        "withdraw decision": N_("withdraw decision"),
        "decide early": N_("close a proposal early"),
        "delete note": N_("delete note"),
        "delete budget entry": N_("delete budget entry"),
        "mark bot": N_("mark bot"),
        "close reflection": N_("close reflection"),
        "redefine role": N_("redefine role"),
        "close poll": N_("close poll"),
        "cancel meeting": N_("cancel meeting"),
    },
}


def shown(name: str, value: Any) -> Any:
    """A stored parameter as members read it: a known word in the current language."""
    words = SHOWN.get(name, {})
    return _(words[value]) if isinstance(value, str) and value in words else value


def request(action: str) -> str:
    """An overwrite request's action (`delete note`) as members read it."""
    return str(shown("request", action))


def fields(template: str | Counted) -> set[str]:
    """The parameters a template uses (for a counted one, those of its plural form)."""
    return {name for _s, name, _f, _c in string.Formatter().parse(str(template)) if name}


def template(entry: Entry) -> str:
    """The words of an entry's action in the current language."""
    found = ACTIONS.get(entry.action)
    if found is None:
        return "{action}"
    if isinstance(found, Counted):
        count = entry.params.get(found.count)
        return found.forms(count if isinstance(count, int) else 2)
    return _(found) if entry.action != "legacy" else found


async def _member(ctx: Context, user_id: str | None) -> Mention:
    return await ctx.mention(user_id, ping=False)


async def _values(ctx: Context, entry: Entry) -> dict[str, Any]:
    words = template(entry)
    values: dict[str, Any] = {"action": entry.action}
    for name, value in entry.params.items():
        values[name] = ctx.time(value) if isinstance(value, datetime) else shown(name, value)
    for role, user_id in entry.members.items():
        if "." not in role:
            values[role] = await _member(ctx, user_id)
    for name in fields(words) - set(values):
        group = sorted(
            (r for r in entry.members if r.startswith(name + ".")),
            key=lambda r: int(r.rsplit(".", 1)[1]) if r.rsplit(".", 1)[1].isdigit() else 0,
        )
        if group:
            mentions = [await _member(ctx, entry.members[r]) for r in group]
            values[name] = Rows("{item}", mentions, sep=", ")
        else:
            values[name] = "?"  # an entry from a version that stored less
    if entry.action == "legacy":
        parts = entry.params.get("parts", [])
        pieces: list[Any] = []
        for part in parts:
            if isinstance(part, dict):
                pieces.append(await _member(ctx, entry.members.get(str(part.get("m")))))
            else:
                pieces.append(str(part))
        values["legacy"] = Rows("{item}", pieces, sep="")
    return values


async def actor(ctx: Context, entry: Entry) -> Mention:
    if entry.automatic:
        return Mention("", _(BOT), ping=False)
    if entry.actor is None:
        return Mention("", _(FORMER), ping=False)
    return await _member(ctx, entry.actor)


async def row(ctx: Context, entry: Entry) -> dict[str, Any]:
    """One entry as the fields of a `Rows` line: `at`, `who`, `action` (worded)."""
    return {
        "at": ctx.time(entry.at),
        "who": await actor(ctx, entry),
        "action": Rows(template(entry), [await _values(ctx, entry)], sep=""),
    }


def _plain(value: Any, escape: Any) -> str:
    if isinstance(value, Mention):
        return str(escape(value.label))
    if isinstance(value, Rows):
        return value.sep.join(
            _fill(value.template, value.fields(item), escape) for item in value.items
        )
    return str(escape(str(value)))


def _fill(words: str, values: Mapping[str, Any], escape: Any) -> str:
    out: list[str] = []
    for literal, name, _f, _c in string.Formatter().parse(words):
        out.append(literal)
        if name is not None:
            out.append(_plain(values.get(name, "?"), escape))
    return "".join(out)


async def sentence(ctx: Context, entry: Entry, escape: Any) -> str:
    """One entry as a line of Markdown (for `!mydata`), user text passed through `escape`."""
    who = await actor(ctx, entry)
    return f"{escape(who.label)} {_fill(template(entry), await _values(ctx, entry), escape)}"
