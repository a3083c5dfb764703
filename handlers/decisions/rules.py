"""The decision rules as pure functions, shared by `!propose` and by experiments'
check-ins: what consent, majority and unanimity make of a tally and the members counted
(the quorum; unanimity over every member, not only those who answered), what an open
proposal still lacks, and when voting closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.i18n import N_, _, ngettext
from storage.decisions import Tally

# A rule (a configured key, kept on each proposal) as members read it: `rule_words()`.
RULES = {
    "consent": N_("consent (adopted unless someone blocks)"),
    "majority": N_("majority (adopted when more than half of those who answered agree)"),
    "unanimity": N_("unanimity (adopted only when every member agrees or stands aside)"),
}
# A rule by its name alone, as the export shows it: `rule_name()`.
NAMES = {"consent": N_("consent"), "majority": N_("majority"), "unanimity": N_("unanimity")}
# Each rule in one sentence, for `!help decide` (and the README).
DEFINITIONS = N_(
    "How a proposal is decided (`[decisions] rule`, kept by each proposal when it opens):\n"
    "- consent: adopted when enough members answer to reach the quorum and nobody blocks; "
    "objections are recorded but do not stop it.\n"
    "- majority: adopted when the quorum is reached and more than half of those who "
    "answered agree.\n"
    "- unanimity: adopted only when every member who is not away agrees or stands aside; "
    "silence is not consent.\n"
    "- quorum (`[decisions] quorum`, half of the members unless set): a proposal fewer "
    "members answer closes as “no quorum”, not adopted; a block stops a proposal under "
    "every rule.\n"
    "Before its closing time `{p}decide N` works once every member who is not away has "
    "answered; otherwise it waits for a second member (`{p}second`)."
)
# The answers, in the order they are listed, with how a sentence says them (`_()` at use).
VERBS = {
    "agree": N_("agrees"),
    "abstain": N_("abstains"),
    "object": N_("objects"),
    "block": N_("blocks"),
}
ANSWERING = {
    "agree": N_("agrees to"),
    "abstain": N_("stands aside from"),
    "object": N_("objects to"),
    "block": N_("blocks"),
}
SHORT = 200  # characters of a decision's text shown in lists and requests


@dataclass(frozen=True)
class Electorate:
    """Whom a rule counts: `members` (present, not away, and whoever answered) and the
    `quorum`, the share of them who must answer."""

    members: int
    quorum: float


@dataclass(frozen=True)
class Verdict:
    """What the rule makes of a tally, and why, in words."""

    adopted: bool
    why: str
    no_quorum: bool = False


def rule_words(rule: str) -> str:
    """A rule with what it means, in the current language: `consent (adopted unless...)`."""
    return _(RULES[rule]) if rule in RULES else rule


def rule_name(rule: str) -> str:
    """A rule's name alone, in the current language."""
    return _(NAMES[rule]) if rule in NAMES else rule


def needed(e: Electorate) -> int:
    """Answers the quorum asks for: at least one unless the quorum is 0."""
    if e.quorum <= 0:
        return 0
    return max(1, math.ceil(e.quorum * e.members - 1e-9))


def everyone_answered(t: Tally, e: Electorate) -> bool:
    """Whether every member counted has answered: then closing early cuts nobody off."""
    return t.total >= e.members


def verdict(rule: str, t: Tally, e: Electorate | None = None) -> Verdict:
    """The rule applied to the answers and the members (the names of blockers are added by
    the caller); `why` in the current language. Without `e`, a proposal closed before the
    rules counted members, judged as it was then: by the answers alone."""
    if e is None:
        return _by_answers(rule, t)
    if t.blocked:
        return Verdict(False, _("blocked"))
    need = needed(e)
    if t.total < need:
        why = _("no quorum: {answered} of {members} members answered, {needed} needed")
        return Verdict(
            False, why.format(answered=t.total, members=e.members, needed=need), no_quorum=True
        )
    if rule == "majority":
        if t.agreed * 2 > t.total:
            why = _("more than half of those who answered agree ({agreed} of {answered})")
            return Verdict(True, why.format(agreed=t.agreed, answered=t.total))
        why = _("not more than half of those who answered agree ({agreed} of {answered})")
        return Verdict(False, why.format(agreed=t.agreed, answered=t.total))
    if rule == "unanimity":
        silent = max(0, e.members - t.total)
        if t.objected:
            why = ngettext(
                "{n} member objects, and unanimity needs every member to agree or stand aside",
                "{n} members object, and unanimity needs every member to agree or stand aside",
                t.objected,
            )
            return Verdict(False, why.format(n=t.objected))
        if silent:
            why = ngettext(
                "{n} member did not answer, and under unanimity silence is not consent",
                "{n} members did not answer, and under unanimity silence is not consent",
                silent,
            )
            return Verdict(False, why.format(n=silent))
        if not t.agreed:
            return Verdict(False, _("everyone stood aside, and nobody agrees"))
        return Verdict(True, _("every member agrees or stands aside"))
    if not t.total:
        return Verdict(True, _("nobody blocked (nobody answered: silence is consent)"))
    return Verdict(True, _("nobody blocked"))


def missing(rule: str, t: Tally, e: Electorate) -> list[str]:
    """What an open proposal still lacks to be adopted, in words (nothing: it would be)."""
    lacking = []
    if t.blocked:
        lacking.append(
            ngettext("{n} block to be lifted", "{n} blocks to be lifted", t.blocked).format(
                n=t.blocked
            )
        )
    short_by = needed(e) - t.total
    if short_by > 0:
        lacking.append(
            ngettext(
                "{n} more answer for the quorum", "{n} more answers for the quorum", short_by
            ).format(n=short_by)
        )
    if rule == "majority" and t.agreed * 2 <= t.total:
        more = t.total - 2 * t.agreed + 1
        lacking.append(
            ngettext(
                "{n} more member agreeing, for more than half",
                "{n} more members agreeing, for more than half",
                more,
            ).format(n=more)
        )
    if rule == "unanimity":
        silent = max(0, e.members - t.total)
        if silent:
            lacking.append(
                ngettext(
                    "{n} member still to agree or stand aside",
                    "{n} members still to agree or stand aside",
                    silent,
                ).format(n=silent)
            )
        elif not t.agreed:
            lacking.append(_("at least one member agreeing"))
        if t.objected:
            lacking.append(
                ngettext(
                    "{n} objection to be withdrawn", "{n} objections to be withdrawn", t.objected
                ).format(n=t.objected)
            )
    return lacking


def needs(rule: str, e: Electorate) -> str:
    """What the rule asks of this proposal's members, with the numbers, in one sentence."""
    values = {"needed": needed(e), "members": e.members}
    if rule == "unanimity":
        return _(
            "It needs every one of the {members} members who are not away to agree or stand "
            "aside, and no block."
        ).format(**values)
    if rule == "majority":
        return _(
            "It needs answers from at least {needed} of the {members} members (the quorum), "
            "more than half of them agreeing, and no block."
        ).format(**values)
    return _(
        "It needs answers from at least {needed} of the {members} members (the quorum), "
        "and no block."
    ).format(**values)


def _by_answers(rule: str, t: Tally) -> Verdict:
    """The rules as they were before they counted members (kept for what closed then)."""
    if t.blocked:
        return Verdict(False, _("blocked"))
    if rule == "majority":
        if not t.total:
            return Verdict(False, _("nobody answered, and a majority needs answers"))
        if t.agreed > t.objected:
            why = _("more agree than object ({agreed} to {objected})")
            return Verdict(True, why.format(agreed=t.agreed, objected=t.objected))
        if t.agreed == t.objected:
            why = _("a tie ({agreed} agree, {objected} object) is no majority")
            return Verdict(False, why.format(agreed=t.agreed, objected=t.objected))
        why = _("more object than agree ({objected} to {agreed})")
        return Verdict(False, why.format(agreed=t.agreed, objected=t.objected))
    if rule == "unanimity":
        if not t.total:
            return Verdict(False, _("nobody answered, and unanimity needs agreement"))
        if t.agreed == t.total:
            return Verdict(True, _("everyone who answered agrees"))
        why = _(
            "not everyone who answered agrees ({abstained} abstain, {objected} object; "
            "under unanimity an abstention counts as not agreeing)"
        )
        return Verdict(False, why.format(abstained=t.abstained, objected=t.objected))
    if not t.total:
        return Verdict(True, _("nobody blocked (nobody answered: silence is consent)"))
    return Verdict(True, _("nobody blocked"))


def counts(t: Tally) -> str:
    """A tally in words: `2 agree, 0 abstain, 1 object, 0 block`."""
    return _("{agreed} agree, {abstained} abstain, {objected} object, {blocked} block").format(
        agreed=t.agreed, abstained=t.abstained, objected=t.objected, blocked=t.blocked
    )


def closing_time(now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`days` ahead on the collective's wall clock, rounded up to the full hour, when the
    hourly job runs: the closing time shown is when the result is posted."""
    end = now.astimezone(zone) + timedelta(days=days)
    hour = end.replace(minute=0, second=0, microsecond=0)
    if hour != end:
        hour += timedelta(hours=1)
    return hour.astimezone(UTC)


def short(text: str, limit: int = SHORT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# How to answer, for a template that says it. Not marked for translation: a fragment glued
# into sentences; a translated template spells these commands out in its own words instead.
ANSWER_HELP = N_(
    "`{p}agree {n}`, `{p}abstain {n} [reason]`, `{p}object {n} <reason>` or `{p}block {n} <reason>`"
)
