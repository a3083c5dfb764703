"""Durations and dates as members type them: `7d`, `2w`, `1m`, `1y`, `2026-11-01`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from handlers.registry import UsageError

_DURATION = re.compile(r"^([1-9]\d{0,3})([dwmy])$")


def duration(text: str) -> relativedelta:
    """`3d`, `2w`, `1m`, `1y` as a calendar-aware step (a month is a month, not 30 days)."""
    match = _DURATION.match(text.strip().casefold())
    if not match:
        raise UsageError(f"`{text[:40]}` is not a duration; write it like 7d, 2w, 1m or 1y.")
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "d":
        return relativedelta(days=amount)
    if unit == "w":
        return relativedelta(weeks=amount)
    if unit == "m":
        return relativedelta(months=amount)
    return relativedelta(years=amount)


def since(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """A start time: a duration back from now, or a date (midnight in the collective's zone)."""
    text = text.strip()
    try:
        if _DURATION.match(text.casefold()):
            return (now - duration(text)).astimezone(UTC)
        day = date.fromisoformat(text)
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):
        raise UsageError(
            f"`{text[:40]}` is neither a date (2026-11-01) nor a duration (7d, 2w, 1m) "
            "within reach."
        ) from None


def looks_like_since(text: str) -> bool:
    text = text.strip().casefold()
    return bool(_DURATION.match(text) or re.match(r"^\d{4}-\d{2}-\d{2}$", text))


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight on the first of the current month, in the collective's zone."""
    local = now.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)
