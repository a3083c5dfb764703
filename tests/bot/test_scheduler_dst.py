"""Cron fire times across daylight-saving changes, in every zone: always terminates, a wall
time the clocks skip fires once, a wall time they repeat fires once (the first time)."""

from __future__ import annotations

import contextlib
import functools
import signal
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from types import FrameType
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.database import Database
from bot.scheduler import latest_due, trigger_for
from handlers.context import Context
from handlers.registry import Practice
from tests.harness import ROOM, FakeClock, Harness, make_config

BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` swallows it."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: the old scheduler looped forever on the event loop."""

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the concrete case: Berlin, 02:30 on 2026-10-25 (clocks go back 03:00 -> 02:00) ---


def daily_ritual() -> Practice:
    practice = Practice("Test ritual")

    @practice.job("night-test", lambda settings: "30 2 * * *")
    async def nightly(ctx: Context) -> None:
        await ctx.say("Night ritual due {due}", due=str(ctx.due_at))

    return practice


def nights(h: Harness) -> list[str]:
    return [s.body for s in h.sent if s.body.startswith("Night ritual")]


async def test_repeated_hour_in_berlin_runs_once_and_never_hangs(
    db: Database, clock: FakeClock
) -> None:
    # A rotation at 02:30 makes the day-before reminder daily at 02:30 as well.
    config = make_config('[schedule]\nrotation = "30 2 * * MON"\n')
    clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    h = Harness(db, config, clock, extra_practices=[daily_ritual()])
    await h.start()

    clock.set(datetime(2026, 10, 25, 0, 30, 1, tzinfo=UTC))  # 02:30:01 CEST, the first 02:30
    with deadline(10):
        assert await h.rituals.run_due("night-test", ROOM) is True
        assert await h.rituals.run_due("handover-reminder", ROOM) is True
    clock.set(datetime(2026, 10, 25, 1, 30, 1, tzinfo=UTC))  # 02:30:01 CET, the second 02:30
    with deadline(10):
        assert await h.rituals.run_due("night-test", ROOM) is False
        assert await h.rituals.run_due("handover-reminder", ROOM) is False
        await h.rituals.start()  # a restart in the repeated hour neither hangs nor repeats
    clock.set(datetime(2026, 10, 26, 1, 30, 1, tzinfo=UTC))  # 02:30:01 CET the next night
    with deadline(10):
        assert await h.rituals.run_due("night-test", ROOM) is True
    assert nights(h) == [
        "Night ritual due 2026-10-25 02:30:00+02:00",
        "Night ritual due 2026-10-26 02:30:00+01:00",
    ]


async def test_restart_inside_the_repeated_hour_does_not_hang(
    db: Database, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    h = Harness(db, make_config(), clock, extra_practices=[daily_ritual()])
    await h.start()
    clock.set(datetime(2026, 10, 25, 1, 45, tzinfo=UTC))  # down over both 02:30s
    restarted = Harness(db, make_config(), clock, extra_practices=[daily_ritual()])
    with deadline(10):
        await restarted.rituals.start()
        await restarted.rituals.start()
    assert nights(restarted) == ["Night ritual due 2026-10-25 02:30:00+02:00"]


async def test_skipped_hour_in_berlin_runs_once_when_the_clocks_jump(
    db: Database, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    h = Harness(db, make_config(), clock, extra_practices=[daily_ritual()])
    await h.start()
    # 02:30 does not exist on 2026-03-29: at 01:00 UTC the clocks go from 02:00 to 03:00.
    clock.set(datetime(2026, 3, 29, 1, 0, 1, tzinfo=UTC))
    with deadline(10):
        assert await h.rituals.run_due("night-test", ROOM) is True
        assert await h.rituals.run_due("night-test", ROOM) is False
    clock.set(datetime(2026, 3, 29, 23, 0, tzinfo=UTC))
    with deadline(10):
        assert await h.rituals.run_due("night-test", ROOM) is False
    assert nights(h) == ["Night ritual due 2026-03-29 03:00:00+02:00"]


def test_the_trigger_always_moves_forward_for_apscheduler() -> None:
    # APScheduler's own loop asks for the next fire time after the previous one until it
    # passes `now`; the second 02:30 used to come back as itself, forever.
    trigger = trigger_for("30 2 * * *", BERLIN)
    now = datetime(2026, 10, 25, 1, 45, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 22, 0, tzinfo=UTC))
    seen = []
    with deadline(10):
        while fire is not None and fire <= now:
            seen.append(fire)
            following = trigger.get_next_fire_time(fire, now)
            assert following is None or utc(following) > utc(fire)
            fire = following
    assert [utc(s) for s in seen] == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]
    assert fire is not None and utc(fire) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    # Answers are in the collective's zone, the fold telling the two 02:30s apart.
    assert seen[0].tzinfo is BERLIN and seen[0].fold == 0 and seen[0].hour == 2


# --- every zone: times around its transitions ---

START_YEAR, END_YEAR = 1970, 2040


@functools.cache
def transitions(zone_name: str) -> tuple[tuple[datetime, timedelta, timedelta], ...]:
    """(instant, offset before, offset after) of each change of UTC offset, to the second."""
    zone = ZoneInfo(zone_name)
    found = []
    t = datetime(START_YEAR, 1, 1, tzinfo=UTC)
    end = datetime(END_YEAR, 1, 1, tzinfo=UTC)
    step = timedelta(days=5)
    offset = t.astimezone(zone).utcoffset()
    while t < end:
        nxt = t + step
        after = nxt.astimezone(zone).utcoffset()
        if after != offset:
            lo, hi = t, nxt  # offset(lo) == offset, offset(hi) != offset
            while hi - lo > SECOND:
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(zone).utcoffset() == offset:
                    lo = mid
                else:
                    hi = mid
            assert offset is not None and after is not None
            found.append((hi, offset, hi.astimezone(zone).utcoffset() or after))
            offset = after
        t = nxt
    return tuple(found)


def utc(instant: datetime) -> datetime:
    """Compare in UTC: an aware time in a fold never equals one in another zone (PEP 495)."""
    return instant.astimezone(UTC)


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def expected_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """When a ritual for wall time `local` should run: that time if the clocks show it (the
    first time, if they show it twice); if they skip it, the moment they jump past it."""
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if wall(first, zone) == local:
        return first
    # Skipped: scan, by minutes and then seconds, for the first instant showing a later time.
    t = local.replace(tzinfo=UTC) - timedelta(hours=30)
    while wall(t, zone) <= local:
        t += MINUTE
    t -= MINUTE
    while wall(t, zone) <= local:
        t += SECOND
    return t


@st.composite
def cases(draw: st.DrawFn) -> tuple[ZoneInfo, str, datetime, datetime, list[datetime]]:
    name = draw(st.sampled_from(sorted(available_timezones())))
    changes = transitions(name)
    assume(changes)
    zone = ZoneInfo(name)
    at, before, after_offset = draw(st.sampled_from(changes))
    shift = abs(after_offset - before)
    reach = int(shift / MINUTE) + 90
    # A wall time near the change: inside the skipped or repeated stretch, or close to it.
    target = wall(at - SECOND, zone) + timedelta(minutes=draw(st.integers(-reach, reach)))
    hourly = draw(st.booleans())
    cron = f"{target.minute} * * * *" if hourly else f"{target.minute} {target.hour} * * *"
    start = at + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 3600)))
    end = start + timedelta(seconds=draw(st.integers(3600, 4 * 86400)))

    step = timedelta(hours=1) if hourly else timedelta(days=1)
    first_day = wall(start, zone).date() - timedelta(days=2)
    last_day = wall(end, zone).date() + timedelta(days=2)
    local = datetime.combine(first_day, time(0 if hourly else target.hour, target.minute))
    expected: set[datetime] = set()
    while local.date() <= last_day:
        instant = expected_instant(local, zone)
        if start < instant <= end:
            expected.add(instant)
        local += step
    return zone, cron, start, end, sorted(expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_fire_times_around_every_zones_transitions(
    case: tuple[ZoneInfo, str, datetime, datetime, list[datetime]],
) -> None:
    zone, cron, start, end, expected = case
    trigger = trigger_for(cron, zone)
    fires: list[datetime] = []
    with deadline(20):
        fire = trigger.get_next_fire_time(None, start + timedelta(microseconds=1))
        while fire is not None and utc(fire) <= end:
            assert len(fires) < 1000
            fires.append(utc(fire))
            following = trigger.get_next_fire_time(fire, end)
            assert following is not None and utc(following) > utc(fire)  # always progress
            fire = following
        due = latest_due(trigger, start, end)
    assert fires == expected
    assert (None if due is None else utc(due)) == (expected[-1] if expected else None)


def test_transitions_helper_finds_berlins_changes() -> None:
    changes = [c for c in transitions("Europe/Berlin") if c[0].year == 2026]
    assert changes == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), timedelta(hours=1), timedelta(hours=2)),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), timedelta(hours=2), timedelta(hours=1)),
    ]
    assert date(2026, 3, 29) == wall(changes[0][0], BERLIN).date()
