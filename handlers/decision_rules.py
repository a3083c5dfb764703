"""The decision rules as pure functions, shared by `!propose` and by experiments'
check-ins: what consent, majority and unanimity make of a tally, and when voting closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.decisions import Tally

RULES = {
    "consent": "consent (adopted unless someone blocks)",
    "majority": "majority (adopted when more agree than object)",
    "unanimity": "unanimity (adopted only when everyone who answered agrees)",
}
# The answers, in the order they are listed, with how a sentence says them.
VERBS = {"agree": "agrees", "abstain": "abstains", "object": "objects", "block": "blocks"}
ANSWERING = {
    "agree": "agrees to",
    "abstain": "stands aside from",
    "object": "objects to",
    "block": "blocks",
}
SHORT = 200  # characters of a decision's text shown in lists and requests


@dataclass(frozen=True)
class Verdict:
    """What the rule makes of a tally, and why, in words."""

    adopted: bool
    why: str


def verdict(rule: str, t: Tally) -> Verdict:
    """The rule applied to the answers (the names of blockers are added by the caller)."""
    if t.blocked:
        return Verdict(False, "blocked")
    if rule == "majority":
        if not t.total:
            return Verdict(False, "nobody answered, and a majority needs answers")
        if t.agreed > t.objected:
            return Verdict(True, f"more agree than object ({t.agreed} to {t.objected})")
        if t.agreed == t.objected:
            return Verdict(False, f"a tie ({t.agreed} agree, {t.objected} object) is no majority")
        return Verdict(False, f"more object than agree ({t.objected} to {t.agreed})")
    if rule == "unanimity":
        if not t.total:
            return Verdict(False, "nobody answered, and unanimity needs agreement")
        if t.agreed == t.total:
            return Verdict(True, "everyone who answered agrees")
        return Verdict(
            False,
            f"not everyone who answered agrees ({t.abstained} abstain, {t.objected} object; "
            "under unanimity an abstention counts as not agreeing)",
        )
    if not t.total:
        return Verdict(True, "nobody blocked (nobody answered: silence is consent)")
    return Verdict(True, "nobody blocked")


def counts(t: Tally) -> str:
    return f"{t.agreed} agree, {t.abstained} abstain, {t.objected} object, {t.blocked} block"


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


ANSWER_HELP = (
    "`{p}agree {n}`, `{p}abstain {n} [reason]`, `{p}object {n} <reason>` or `{p}block {n} <reason>`"
)
