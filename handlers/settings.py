"""What a handler may read of the configuration, already resolved for one collective."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.i18n import N_

DEFAULT_INVISIBLE = ("notes", "minutes", "cleaning", "cooking", "booking", "admin")
DEFAULT_CARE = ("welcoming", "check-in", "support")
# Marked for the catalogue only: the configuration keeps them as written (a host's own
# prompts replace them), and they are translated with `_()` where a round shows them.
DEFAULT_PROMPTS = (
    N_("Name one imbalance you feel complicit in sustaining, in the first person."),
    N_("Name a moment this month where you felt agency."),
)


@dataclass(frozen=True)
class CollectiveSettings:
    command_prefix: str = "!"
    bots: tuple[str, ...] = ()  # user ids of other bots in the room, as configured
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    schedule: dict[str, str] = field(default_factory=dict)
    reflection_open_days: int = 7
    reflection_min_answers: int = 3
    reflection_prompts: tuple[str, ...] = DEFAULT_PROMPTS
    checkin_after_days: int = 3
    entry_sprint_days: int = 14
    circle_gallery_minutes: int = 15  # `!circle start`: each step's minutes
    circle_groups_minutes: int = 20
    circle_experiments_minutes: int = 15
    pair_reminder_days: int = 14  # a cross-training pair's nudge to both, after this long
    roles: tuple[str, ...] = ("facilitation", "notes", "agenda")
    role_term: str = "1w"
    max_term: str = "3m"  # no role's term may be longer
    fairness_window: str = "6m"
    role_order: str = "fair"  # fair | random: how rotation picks the next holders
    poll_days: int = 3  # how long a poll stays open
    decision_rule: str = "consent"
    decision_open_days: int = 7
    decision_quorum: float = 0.5  # share of the members who must answer a proposal
    decision_remind_before: timedelta = timedelta(hours=24)  # before a proposal closes
    decision_answers: str = "open"  # open | hidden (answered by DM, counts until close)
    remind_before: str = "1h"  # a called meeting's reminder, this far ahead (30min, 24h)
    standing_agenda: tuple[str, ...] = ()  # items on every meeting's agenda
    opening_round: str = ""  # a question for a go-round at a meeting's start; empty: off
    closing_round: str = ""  # and at its end
    invisible_keywords: tuple[str, ...] = DEFAULT_INVISIBLE
    care_keywords: tuple[str, ...] = DEFAULT_CARE
    currency: str = "EUR"
    language: str = "en"  # every word a member reads, in this language (handlers/i18n.py)
