"""Calling a meeting: when it is read, who is told, the calendar file, the one reminder,
listing and cancelling."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import ConfigError
from handlers.errors import UsageError
from handlers.meetings import ics
from handlers.meetings.when import parse_when, short_duration
from storage.models import MeetingCall
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness, make_config

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin


def test_when_is_read_on_the_collectives_clock() -> None:
    assert parse_when("thu 19:00", NOW, BERLIN) == datetime(2026, 3, 5, 18, 0, tzinfo=UTC)
    assert parse_when("Thursday 19.00", NOW, BERLIN) == datetime(2026, 3, 5, 18, 0, tzinfo=UTC)
    # Today's weekday: today while the time is ahead, else a week on.
    assert parse_when("mon 11:00", NOW, BERLIN) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert parse_when("mon 09:00", NOW, BERLIN) == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert parse_when("tomorrow 9:30", NOW, BERLIN) == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    # Across the change to summer time (2026-03-29), the hour typed is kept.
    assert parse_when("2026-04-02 19:00", NOW, BERLIN) == datetime(2026, 4, 2, 17, 0, tzinfo=UTC)
    assert parse_when("2026-10-25 02:30", NOW, BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-03-01 10:00", "already passed"),
        ("today 08:00", "already passed"),
        ("2026-03-29 02:30", "does not exist"),  # the clocks skip it
        ("2026-02-30 10:00", "not a date"),
        ("thu 25:00", "not a time of day"),
        ("2028-01-01 10:00", "more than a year ahead"),
        ("soon please", "not a day and time"),
    ],
)
def test_when_refuses_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_when(text, NOW, BERLIN)


def test_short_durations() -> None:
    assert short_duration("30min") == timedelta(minutes=30)
    assert short_duration("24h") == timedelta(hours=24)
    assert short_duration("2d") == timedelta(days=2)
    for bad in ("1m", "0h", "h", "5w", "1 h"):
        with pytest.raises(UsageError):
            short_duration(bad)


def test_remind_before_is_checked_in_the_config() -> None:
    assert make_config('[meetings]\nremind_before = "30min"\n').defaults.remind_before == "30min"
    with pytest.raises(ConfigError, match="remind_before"):
        make_config('[meetings]\nremind_before = "1m"\n')


def test_ics_is_standard() -> None:
    event = ics.Event(
        uid="abc@flattening",
        start=datetime(2026, 3, 5, 18, 0, tzinfo=UTC),
        end=datetime(2026, 3, 5, 19, 0, tzinfo=UTC),
        summary="Budget; camp, and \\ more\n" + "ü" * 80,
    )
    data = ics.calendar(event, NOW)
    raw = data.decode()
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    lines = ics.unfold(data)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 1
    assert "UID:abc@flattening" in lines
    assert "DTSTART:20260305T180000Z" in lines
    assert "SUMMARY:Budget\\; camp\\, and \\\\ more\\n" + "ü" * 80 in lines


async def _call(bot: Harness, line: str, who: str = ALICE) -> tuple[str, bytes]:
    announcement, calendar = await bot.send(line, who)
    assert announcement.content["msgtype"] == "m.text"  # it must reach the members
    assert sorted(announcement.content["m.mentions"]["user_ids"]) == sorted([ALICE, BOB, CAROL])
    assert calendar.content["msgtype"] == "m.file"
    assert calendar.content["info"]["mimetype"] == "text/calendar"
    assert calendar.content["filename"].endswith(".ics")
    return announcement.body, bot.transport.upload_of(calendar)


async def test_call_announces_with_mentions_and_a_calendar_file(bot: Harness) -> None:
    body, data = await _call(bot, "!meeting call thu 19:00 budget and @room camp")
    assert body.startswith("**Meeting #1** called by Alice: **budget and @\u2060room camp**")
    assert "Thu 05 Mar 2026 19:00 (Europe/Berlin)" in body
    assert "For: Alice, Bob, Carol" in body
    lines = ics.unfold(data)
    assert "DTSTART:20260305T180000Z" in lines
    assert "SUMMARY:budget and @\u2060room camp" in lines  # no ping wherever it is pasted
    [uid] = [line for line in lines if line.startswith("UID:")]
    async with bot.db.transaction() as session:
        [row] = (await session.execute(select(MeetingCall))).scalars()
        assert row.called_by == ALICE and f"UID:{row.uid}" == uid
    [listing] = await bot.send("!meetings", BOB)
    assert (
        "#1 Thu 05 Mar 2026 19:00: **budget and @\u2060room camp**, called by Alice" in listing.body
    )


async def test_past_times_are_refused(bot: Harness) -> None:
    reply = await bot.ask("!meeting call 2026-03-01 10:00 budget")
    assert "already passed" in reply
    reply = await bot.ask("!meeting call")
    assert "Missing when" in reply or "not a day and time" in reply


async def test_one_reminder_ahead_exactly_once(bot: Harness) -> None:
    await _call(bot, "!meeting call thu 19:00 budget")
    bot.clock.set(datetime(2026, 3, 5, 16, 58, tzinfo=UTC))
    await bot.rituals.run_due("meeting-tick", ROOM)
    assert not [s for s in bot.sent if s.body.startswith("**Reminder**")]
    bot.clock.set(datetime(2026, 3, 5, 17, 0, 10, tzinfo=UTC))
    assert await bot.rituals.run_due("meeting-tick", ROOM)
    assert not await bot.rituals.run_due("meeting-tick", ROOM)  # the same minute: nothing
    bot.clock.advance(minutes=1)
    await bot.rituals.run_due("meeting-tick", ROOM)
    reminders = [s for s in bot.sent if s.body.startswith("**Reminder**")]
    assert len(reminders) == 1
    assert reminders[0].body.startswith("**Reminder**: meeting #1, **budget**, starts Thu 05")
    assert "(in 60 min)" in reminders[0].body
    assert reminders[0].content["msgtype"] == "m.text"
    assert sorted(reminders[0].content["m.mentions"]["user_ids"]) == [ALICE, BOB, CAROL]


async def test_a_meeting_called_within_the_reminder_time_is_not_reminded_again(
    bot: Harness,
) -> None:
    await _call(bot, "!meeting call today 10:30")
    bot.clock.advance(minutes=5)
    await bot.rituals.run_due("meeting-tick", ROOM)
    assert not [s for s in bot.sent if s.body.startswith("**Reminder**")]


async def test_cancel_by_the_caller_or_with_a_second(bot: Harness) -> None:
    await _call(bot, "!meeting call thu 19:00 budget")
    await _call(bot, "!meeting call fri 18:00 camp", BOB)
    reply, calendar = await bot.send("!meeting cancel 2", BOB)
    assert reply.body.startswith("Bob cancelled meeting #2, **camp**")
    lines = ics.unfold(bot.transport.upload_of(calendar))
    assert "METHOD:CANCEL" in lines and "STATUS:CANCELLED" in lines
    reply = await bot.ask("!meeting cancel 1", BOB)
    assert "Request **#1** from Bob: cancel meeting #1" in reply
    reply = await bot.ask("!meetings")
    assert "#1" in reply and "#2" not in reply
    _calendar, answer = await bot.send("!second 1", CAROL)
    assert "meeting #1 (Thu 05 Mar 2026 19:00) is cancelled" in answer.body
    assert "No meeting is called" in await bot.ask("!meetings")
    assert "cancelled already" in await bot.ask("!meeting cancel 1")
    assert "There is no meeting #7" in await bot.ask("!meeting cancel 7")
    bot.clock.set(datetime(2026, 3, 5, 17, 0, tzinfo=UTC))
    await bot.rituals.run_due("meeting-tick", ROOM)
    assert not [s for s in bot.sent if s.body.startswith("**Reminder**")]  # none for cancelled
    audit = await bot.ask("!audit 10")
    assert "cancelled meeting #1" in audit and "called meeting #2" in audit


TRICKY = st.text(
    alphabet=st.sampled_from(list("thu 19:0 2026-12-1\u202e@room#\x00é😀")), max_size=40
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=TRICKY, word=st.sampled_from(["call", "cancel", ""]))
async def test_any_meeting_line_gets_a_clear_answer(bot: Harness, rest: str, word: str) -> None:
    sent = await bot.send(f"!meeting {word} {rest}" if word else f"!meetings {rest}", BOB)
    assert 1 <= len(sent) <= 2
    for message in sent:
        assert "Sorry, something went wrong" not in message.body
        assert not re.search(r"@room\b", message.body, re.IGNORECASE)
