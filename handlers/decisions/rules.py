"""The decision rules as pure functions, shared by `!propose` and by experiments'
check-ins: what consent, majority and unanimity make of a tally, and when voting closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.i18n import N_, _
from storage.decisions import Tally

# A rule (a configured key, kept on each proposal) as members read it: `rule_words()`.
RULES = {
    "consent": N_("consent (adopted unless someone blocks)"),
    "majority": N_("majority (adopted when more agree than object)"),
    "unanimity": N_("unanimity (adopted only when everyone who answered agrees)"),
}
# A rule by its name alone, as the export shows it: `rule_name()`.
NAMES = {"consent": N_("consent"), "majority": N_("majority"), "unanimity": N_("unanimity")}
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
class Verdict:
    """What the rule makes of a tally, and why, in words."""

    adopted: bool
    why: str


def rule_words(rule: str) -> str:
    """A rule with what it means, in the current language: `consent (adopted unless...)`."""
    return _(RULES[rule]) if rule in RULES else rule


def rule_name(rule: str) -> str:
    """A rule's name alone, in the current language."""
    return _(NAMES[rule]) if rule in NAMES else rule


def verdict(rule: str, t: Tally) -> Verdict:
    """The rule applied to the answers (the names of blockers are added by the caller);
    `why` in the current language."""
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
