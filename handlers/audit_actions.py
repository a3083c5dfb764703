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
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from handlers.context import FORMER, Context, Mention, Rows
from storage.audit import Entry

_COUNTS = "{agree} agree, {abstain} abstain, {object} object, {block} block"

ACTIONS: Mapping[str, str] = {
    # Labour and knowledge
    "task.added": "added the task **{task}**",
    "task.claimed": "claimed the task **{task}**",
    "task.dropped": "dropped the task **{task}**",
    "task.logged": "logged the task **{task}** ({kind})",
    "knowledge.declared": "declared knowledge of **{area}**",
    "knowledge.withdrawn": "withdrew knowledge of **{area}**",
    "knowledge.learning": "is learning **{area}**",
    # Roles and availability
    "role.defined": "defined the role **{role}** ({term})",
    "role.redefined": "redefined the role **{role}** ({term})",
    "role.claimed": "claimed the role **{role}**",
    "role.released": "released the role **{role}**",
    "role.handover": "wrote handover notes for **{role}**",
    "role.swap_asked": "asked to swap the role **{role}**",
    "role.swap_accepted": "accepted the swap of the role **{role}**",
    "role.assigned": "assigned the role **{role}** to {holder}",
    "role.drawn": "assigned the role **{role}** to {holder}, drawn among {tied}",
    "member.away": "is away until {until}",
    "member.back": "is back",
    # Who counts as a member
    "member.marked_bot": "marked {user} as a bot",
    "member.marked_person": "marked {user} as a person",
    "member.forgotten": "had their personal records erased at their request (`!forgetme`)",
    # Decisions, notes, budget
    "proposal.opened": "proposed #{number}",
    "proposal.answered": "answered proposal #{number}",
    "proposal.decided": "decided proposal #{number}: {status} (" + _COUNTS + ")",
    "proposal.closed": "closed proposal #{number} at its time: {status} (" + _COUNTS + ")",
    "decision.recorded": "recorded decision #{number}",
    "decision.dissent": "added dissent to decision #{number}",
    "decision.withdrawn": "withdrew decision #{number}",
    "note.added": "added note #{number}",
    "note.erased": "erased note #{number}",
    "budget.spend": "recorded spending #{number}",
    "budget.income": "recorded income #{number}",
    "budget.removed": "removed budget entry #{number}",
    # The two-member rule
    "second.asked": "asked for a second member: request #{number} ({request})",
    "second.done": "seconded request #{number} from {asker} ({request})",
    "second.lapsed": "let request #{number} lapse ({request}): nobody seconded it",
    # Meetings
    "meeting.started": "started a meeting",
    "meeting.ended": "ended the meeting started {started} ({minutes} min)",
    "stack.joined": "joined the speaking stack",
    "stack.called": "gave the floor to {speaker}",
    # Rituals
    "reflection.opened": "opened a reflection round until {until}",
    "reflection.published": "closed a reflection round: answers posted",
    "reflection.discarded": "closed a reflection round: too few answers, deleted unread",
    "campaign.started": "started the campaign **{name}**",
    "campaign.ended": "ended the campaign **{name}**",
    "checkin.started": "started a check-in",
    "checkin.after_campaign": "started a check-in after the campaign **{name}**",
    "entry.started": "started an entry sprint for {newcomer}",
    "entry.ended": "welcomed {newcomer} as a full member",
    "entry.extended": "extended the entry sprint of {newcomer} by {duration}",
    "gallery.started": "started a gallery walk until {until} ({patterns} patterns)",
    "gallery.ended_early": "ended a gallery walk early ({reactors} members put dots)",
    "gallery.ended": "closed a gallery walk at its time ({reactors} members put dots)",
    "experiment.started": "started experiment #{number} for {cycle}",
    "experiment.review": "opened the review of experiment #{number}: proposal #{proposal}",
    "experiment.reviewed": "recorded the review of experiment #{number}: proposal "
    "#{proposal} {status}",
    "sprint.started": "started the trust audit sprint **{name}**",
    "sprint.ended": "ended the trust audit sprint **{name}**",
    # Rows from before actions had keys: their words as they were, user ids as members.
    "legacy": "{legacy}",
}

BOT = "the bot"


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


async def _member(ctx: Context, user_id: str | None) -> Mention:
    return await ctx.mention(user_id, ping=False)


async def _values(ctx: Context, entry: Entry) -> dict[str, Any]:
    template = ACTIONS.get(entry.action, "{action}")
    values: dict[str, Any] = {"action": entry.action}
    for name, value in entry.params.items():
        values[name] = ctx.time(value) if isinstance(value, datetime) else value
    for role, user_id in entry.members.items():
        if "." not in role:
            values[role] = await _member(ctx, user_id)
    for name in fields(template) - set(values):
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
        return Mention("", BOT, ping=False)
    if entry.actor is None:
        return Mention("", FORMER, ping=False)
    return await _member(ctx, entry.actor)


async def row(ctx: Context, entry: Entry) -> dict[str, Any]:
    """One entry as the fields of a `Rows` line: `at`, `who`, `action` (worded)."""
    template = ACTIONS.get(entry.action, "{action}")
    return {
        "at": ctx.time(entry.at),
        "who": await actor(ctx, entry),
        "action": Rows(template, [await _values(ctx, entry)], sep=""),
    }


def _plain(value: Any, escape: Any) -> str:
    if isinstance(value, Mention):
        return str(escape(value.label))
    if isinstance(value, Rows):
        return value.sep.join(
            _fill(value.template, value.fields(item), escape) for item in value.items
        )
    return str(escape(str(value)))


def _fill(template: str, values: Mapping[str, Any], escape: Any) -> str:
    out: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(_plain(values.get(name, "?"), escape))
    return "".join(out)


async def sentence(ctx: Context, entry: Entry, escape: Any) -> str:
    """One entry as a line of Markdown (for `!mydata`), user text passed through `escape`."""
    template = ACTIONS.get(entry.action, "{action}")
    who = await actor(ctx, entry)
    return f"{escape(who.label)} {_fill(template, await _values(ctx, entry), escape)}"
