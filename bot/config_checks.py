"""The checks of single configuration values: each raises ValueError with words for the
person hosting the bot; `bot/config.py` names the file and the key."""

from __future__ import annotations

import re
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from handlers.errors import UsageError
from handlers.i18n import LANGUAGES
from handlers.meetings.when import short_duration
from handlers.timeparse import duration, lead_time
from storage.engine import StorageError, check_url

USER_ID = re.compile(r"^@[^:\s]+:[^\s]+$")
RULES = ("consent", "majority", "unanimity")
ANSWER_MODES = ("open", "hidden")


def _cron(value: str) -> None:
    if len(value.split()) != 5:
        raise ValueError("needs 5 fields: minute hour day month weekday")
    CronTrigger.from_crontab(value)


def _cron_or_off(value: str) -> None:
    if value.strip():
        _cron(value)


def _user_ids(values: list[str]) -> None:
    for value in values:
        if not (value.startswith("@") and ":" in value):
            raise ValueError(f"{value!r} is not a user id such as '@reminders:example.org'")


def _zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError("is not a known time zone such as 'Europe/Berlin'") from exc


def _duration(value: str) -> None:
    """The very parser the commands use, so the config accepts what they accept."""
    try:
        duration(value)
    except UsageError:
        raise ValueError(
            "must be a duration like 1w, 2w, 14d, 1m or 1y (1 to 9999 days, weeks, months or years)"
        ) from None


# Month starts over four years (a leap year included): calendar steps differ by month.
def _inviter(value: str) -> None:
    if not (USER_ID.match(value) or (value.startswith(":") and len(value) > 1)):
        raise ValueError("entries must be user ids like '@alice:example.org' or ':example.org'")


def _user_id(value: str) -> None:
    if not USER_ID.match(value):
        raise ValueError("must be a full Matrix user id like '@flattening:example.org'")


def _homeserver(value: str) -> None:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("must be a URL such as 'https://matrix.example.org'")


def _prefix(value: str) -> None:
    if not value or any(c.isspace() for c in value) or len(value) > 3:
        raise ValueError("must be 1 to 3 characters without spaces, such as '!'")


ORDERS = ("fair", "random")  # [roles] order


def _order(value: str) -> None:
    if value.strip().casefold() not in ORDERS:
        raise ValueError(f"must be one of {', '.join(ORDERS)}")


def _rule(value: str) -> None:
    if value not in RULES:
        raise ValueError(f"must be one of {', '.join(RULES)}")


# Fewer answers than this would let members guess who wrote what in a reflection round.
MIN_ANSWERS = 3
# What `budget_entries.currency` holds: long enough for a unit such as "time credits".
MAX_CURRENCY = 16


def _min_answers(value: int) -> None:
    if value < MIN_ANSWERS:
        raise ValueError(
            f"must be at least {MIN_ANSWERS}: with fewer answers, members could guess who "
            "wrote what, and the round would not be anonymous"
        )


def _currency(value: str) -> None:
    if not value.strip():
        raise ValueError("must name the currency or unit, such as 'EUR' or 'time credits'")
    if len(value) > MAX_CURRENCY:
        raise ValueError(
            f"is {len(value)} characters long; at most {MAX_CURRENCY} are kept "
            "(such as 'EUR' or 'time credits')"
        )


def _language(value: str) -> None:
    if value.strip().casefold() not in LANGUAGES:
        raise ValueError(f"must be one of {', '.join(LANGUAGES)}")


def _days(lowest: int) -> Callable[[int], None]:
    """A number of days, from `lowest` to a year: anything longer is a typo, and would
    overflow dates."""

    def check(value: int) -> None:
        if not lowest <= value <= 366:
            raise ValueError(f"must be from {lowest} to 366 days")

    return check


def _minutes(value: int) -> None:
    """A step of a ritual, in minutes: at least five (the bot looks every five minutes)
    and at most four hours."""
    if not 5 <= value <= 240:
        raise ValueError("must be from 5 to 240 minutes")


def _prompts(value: list[str]) -> None:
    if not [p for p in value if p.strip()]:
        raise ValueError("needs at least one prompt")
    if any(len(p) > 500 for p in value) or len(value) > 10:
        raise ValueError("holds at most 10 prompts of at most 500 characters")


def _short_duration(value: str) -> None:
    """`[meetings] remind_before`: the parser `!timer` and reminders use."""
    try:
        short_duration(value)
    except UsageError:
        raise ValueError("must be a duration like 30min, 1h, 24h or 2d (at most 4 weeks)") from None


def _standing(value: list[str]) -> None:
    if len(value) > 20 or any(not 0 < len(item.strip()) <= 200 for item in value):
        raise ValueError("holds at most 20 items of 1 to 200 characters")


def _question(value: str) -> None:
    if len(value) > 500:
        raise ValueError("is at most 500 characters (empty: off)")


def _database(value: str) -> None:
    try:
        check_url(value)
    except StorageError as exc:
        raise ValueError(str(exc)) from exc


def _quorum(value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError("must be a share of the members from 0 to 1, such as 0.5 (0: no quorum)")


def _lead(value: str) -> None:
    lead_time(value)


def _answers(value: str) -> None:
    if value.strip().casefold() not in ANSWER_MODES:
        raise ValueError(f"must be one of {', '.join(ANSWER_MODES)}")
