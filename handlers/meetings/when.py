"""When a meeting is, as members type it (`thu 19:00`, `2026-12-10 18:30`, `tomorrow 9:30`),
and the short durations of reminders and timers (`30min`, `1h`, `24h`, `2d`): read on the
collective's wall clock and kept in UTC, so a meeting called across a change of the clocks
still starts at the hour typed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.errors import Mismatch, UsageError
from handlers.i18n import _

# English words and three-letter forms; what members type is not translated.
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHORT = re.compile(r"^([1-9]\d{0,4})(min|h|d|w)$")
AHEAD = timedelta(days=366)  # a meeting is called at most a year ahead
LONGEST = timedelta(days=28)  # a reminder or timer reaches at most this far


def looks_like_day(word: str) -> bool:
    word = word.strip().casefold()
    return word in WEEKDAYS or word in ("today", "tomorrow") or bool(_DATE.match(word))


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The moment the zone's clocks show `day at`; a time the clocks skip is refused, one
    they show twice is the first."""
    local = datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise UsageError(
            _("{when} does not exist: the clocks change that night. Pick another time.").format(
                when=f"{day.isoformat()} {at.strftime('%H:%M')}"
            )
        )
    return instant


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """`<day> <HH:MM>` where the day is a date, a weekday (the next one; today while the time
    is still ahead), `today` or `tomorrow`; the time of a future moment, in UTC."""
    words = text.split()
    if len(words) != 2 or not looks_like_day(words[0]):
        raise Mismatch(
            _(
                "`{text}` is not a day and time; write it like `thu 19:00` or `2026-12-10 18:30`."
            ).format(text=text[:40])
        )
    day_word, time_word = words[0].casefold(), words[1]
    match = _TIME.match(time_word)
    if not match:
        raise UsageError(
            _("`{text}` is not a time of day; write it like 19:00.").format(text=time_word[:20]),
            final=True,
        )
    at = time(int(match.group(1)), int(match.group(2)))
    today = now.astimezone(zone).date()
    if day_word == "today":
        day = today
    elif day_word == "tomorrow":
        day = today + timedelta(days=1)
    elif day_word in WEEKDAYS:
        day = today + timedelta(days=(WEEKDAYS[day_word] - today.weekday()) % 7)
        if _wall(day, at, zone) <= now:
            day += timedelta(days=7)
    else:
        try:
            day = date.fromisoformat(day_word)
        except ValueError:
            raise UsageError(
                _("`{text}` is not a date; write it like 2026-12-24.").format(text=day_word[:20]),
                final=True,
            ) from None
    start = _wall(day, at, zone)
    if start <= now:
        raise UsageError(
            _("{when} has already passed; a meeting is called for a time ahead.").format(
                when=f"{day.isoformat()} {at.strftime('%H:%M')}"
            ),
            final=True,
        )
    if start > now + AHEAD:
        raise UsageError(_("That is more than a year ahead; call it nearer the time."), final=True)
    return start


def short_duration(text: str) -> timedelta:
    """`30min`, `1h`, `24h`, `2d`, `1w`: the reach of a reminder or a timer (`m` stays months
    elsewhere, so minutes are `min`)."""
    match = _SHORT.match(text.strip().casefold())
    if not match:
        raise UsageError(
            _("`{text}` is not a duration; write it like 30min, 1h, 24h or 2d.").format(
                text=text[:40]
            )
        )
    amount, unit = int(match.group(1)), match.group(2)
    step = {"min": timedelta(minutes=1), "h": timedelta(hours=1)}
    step.update(d=timedelta(days=1), w=timedelta(weeks=1))
    reach = amount * step[unit]
    if reach > LONGEST:
        raise UsageError(_("`{text}` is too long; at most 4 weeks.").format(text=text[:40]))
    return reach


def minutes_words(reach: timedelta) -> str:
    """A short duration as typed back: `90min`, `1h`, `2d`."""
    minutes = int(reach.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}min"
