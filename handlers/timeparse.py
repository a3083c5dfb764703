"""Durations, dates and months as members type them: `7d`, `2w`, `1m`, `1y`, `2026-11-01`,
`2026-10`, `last`. The `check-config` validation uses the same `duration`."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from handlers import i18n
from handlers.errors import UsageError
from handlers.i18n import _

_DURATION = re.compile(r"^([1-9]\d{0,3})([dwmy])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Nothing a member schedules or looks back on reaches further than this.
REACH = relativedelta(years=50)


@dataclass(frozen=True)
class Interval:
    """A duration as typed (`2w`, kept to be stored and shown) and its calendar step."""

    text: str
    step: relativedelta

    def __str__(self) -> str:
        return self.text


def duration(text: str) -> relativedelta:
    """`3d`, `2w`, `1m`, `1y` as a calendar-aware step (a month is a month, not 30 days)."""
    match = _DURATION.match(text.strip().casefold())
    if not match:
        raise UsageError(
            _("`{text}` is not a duration; write it like 7d, 2w, 1m or 1y.").format(text=text[:40])
        )
    amount, unit = int(match.group(1)), match.group(2)
    days = amount * {"d": 1, "w": 7, "m": 31, "y": 366}[unit]
    if days > 50 * 366:
        raise UsageError(_("`{text}` is too long; at most 50 years.").format(text=text[:40]))
    if unit == "d":
        return relativedelta(days=amount)
    if unit == "w":
        return relativedelta(weeks=amount)
    if unit == "m":
        return relativedelta(months=amount)
    return relativedelta(years=amount)


def interval(text: str) -> Interval:
    return Interval(text.strip().casefold(), duration(text))


def longer(a: str, b: str) -> bool:
    """Whether duration `a` reaches further than duration `b` from the same start."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return start + duration(a) > start + duration(b)


def looks_like_since(text: str) -> bool:
    text = text.strip().casefold()
    return bool(_DURATION.match(text) or _DATE.match(text))


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
            _(
                "`{text}` is neither a date (2026-11-01) nor a duration (7d, 2w, 1m) within reach."
            ).format(text=text[:40])
        ) from None


def until(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """An end time: a duration from now, or through a date (midnight after it, in the zone)."""
    text = text.strip()
    end: datetime | None = None
    if _DURATION.match(text.casefold()):
        with contextlib.suppress(ValueError, OverflowError):
            end = now + duration(text)
    elif _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise UsageError(
                _("`{text}` is not a date; write it like 2026-12-24.").format(text=text[:20])
            ) from None
        with contextlib.suppress(OverflowError):
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    else:
        raise UsageError(
            _("`{text}` is neither a date (2026-12-24) nor a duration (3d, 2w, 1m).").format(
                text=text[:20]
            )
        )
    if end is None or end > now + REACH:
        raise UsageError(_("`{text}` is too far ahead.").format(text=text[:20]))
    return end.astimezone(UTC)


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight on the first of the current month, in the collective's zone."""
    local = now.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)


@dataclass(frozen=True)
class Month:
    label: str
    first: date
    last: date  # inclusive; today for the month in progress

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(0), tzinfo=zone)
        return start, datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)


def month_of(first: date, today: date) -> Month:
    last = first + relativedelta(months=1) - timedelta(days=1)
    in_progress = first <= today <= last
    from babel.dates import format_date

    month = str(format_date(first, "LLLL yyyy", locale=i18n.locale_name()))
    label = _("{month} so far").format(month=month) if in_progress else month
    return Month(label, first, today if in_progress else last)


def parse_month(text: str | None, today: date) -> Month:
    """`2026-10`, `last`, `this` (or nothing): a calendar month up to today."""
    if not text or text.strip().casefold() in ("", "this"):
        return month_of(today.replace(day=1), today)
    text = text.strip().casefold()
    if text == "last":
        return month_of(today.replace(day=1) - relativedelta(months=1), today)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise UsageError(
            _("`{text}` is not a month; write it like 2026-10, or `last`.").format(text=text[:20])
        )
    first = date(int(match.group(1)), int(match.group(2)), 1)
    if first > today:
        raise UsageError(_("That month has not begun yet."))
    return month_of(first, today)


_LEAD = re.compile(r"^([1-9]\d{0,3})\s*(min|h|d)$")


def lead_time(text: str) -> timedelta:
    """How long before something a reminder goes out: `30min`, `24h`, `1d` (a day is 24
    hours here: a reminder keeps its distance across a clock change). At most 60 days."""
    match = _LEAD.match(text.strip().casefold())
    if not match:
        raise ValueError("must be a lead time like 30min, 24h or 1d")
    amount, unit = int(match.group(1)), match.group(2)
    lead = timedelta(**{{"min": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    if lead > timedelta(days=60):
        raise ValueError("is too long: at most 60 days")
    return lead
