"""Calling a meeting through a real homeserver: the announcement notifies the other member
(an m.text whose `m.mentions` lists the members), the calendar file arrives and reads as
iCalendar, and the reminder comes by itself, once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.synapse import Homeserver, RegisteredUser
from handlers.meetings import ics
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.slow
async def test_a_called_meeting_notifies_with_a_calendar_file_and_one_reminder(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    tmp_path: Path,
) -> None:
    account = homeserver.register(f"flattening-mtg-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "meetings-bot"
    directory.mkdir()
    bot = BotProcess(
        directory,
        homeserver,
        account,
        member_account.user_id,
        f"sqlite+aiosqlite:///{directory}/f.db",
        extra='[meetings]\nremind_before = "30min"\n',
    )
    other = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other.user_id)
    bea = Member(homeserver.base_url, other.user_id, other.password, tmp_path / "bea")
    await bea.login()
    bot.start()
    try:
        room = await member.create_room(account.user_id, encrypted=False)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")

        # 32 minutes ahead on the collective's clock: the reminder (30 minutes ahead) is
        # due within two minutes, and is not the announcement itself.
        start = (datetime.now(UTC) + timedelta(minutes=32)).astimezone(ZoneInfo("Europe/Berlin"))
        when = start.strftime("%Y-%m-%d %H:%M")
        called = await member.say(room, f"!meeting call {when} budget @room")
        announcement = await member.reply_to(called)
        content = announcement.source["content"]
        assert announcement.body.startswith("**Meeting #1** called by "), announcement.body
        assert content["msgtype"] == "m.text"
        assert sorted(content["m.mentions"]["user_ids"]) == sorted(
            [member.client.user_id, bea.client.user_id]
        )
        file = await member.wait_for_file(room)
        assert file.body == "meeting-1.ics"
        assert file.source["content"]["info"]["mimetype"] == "text/calendar"
        lines = ics.unfold(await member.download(file))
        expected = start.replace(second=0, microsecond=0).astimezone(UTC)
        assert f"DTSTART:{expected.strftime('%Y%m%dT%H%M%SZ')}" in lines
        assert any(line.startswith("UID:") for line in lines)

        listing = await bea.ask(room, "!meetings")
        assert "**budget @\u2060room**" in listing.body, listing.body
        reminder = await bea.wait_for(room, "**Reminder**: meeting #1", timeout=150)
        assert reminder.source["content"]["msgtype"] == "m.text"
        await bea.sync()
        pushed = {n["event"]["event_id"] for n in await bea.notifications()}
        assert announcement.event_id in pushed  # the default push rules notified Bea
        assert reminder.event_id in pushed
        assert listing.event_id not in pushed
        await bea.settle(70)  # another minute's tick: no second reminder
        assert len([n for n in bea.notices_in(room) if "**Reminder**" in n.body]) == 1
    finally:
        bot.stop()
        await bea.close()


@pytest.mark.slow
async def test_a_full_meeting_with_agenda_timer_and_minutes(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    tmp_path: Path,
) -> None:
    account = homeserver.register(f"flattening-run-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "meeting-bot"
    directory.mkdir()
    bot = BotProcess(
        directory,
        homeserver,
        account,
        member_account.user_id,
        f"sqlite+aiosqlite:///{directory}/f.db",
        extra='[meetings]\nclosing_round = "One thing you appreciated."\n',
    )
    other = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other.user_id)
    bea = Member(homeserver.base_url, other.user_id, other.password, tmp_path / "bea")
    await bea.login()
    bot.start()
    try:
        room = await member.create_room(account.user_id, encrypted=False)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")

        added = await bea.ask(room, "!agenda add budget 1min")
        assert "on the agenda of the next meeting, as item 1" in added.body, added.body
        await member.ask(room, "!agenda add keys")
        await member.say(room, "!meeting start")
        await member.wait_for(room, "**Agenda** (2 items), first: **budget** (1 min planned).")
        await bea.ask(room, "!stack")
        timer = await member.ask(room, "!timer 1")
        assert "set turns to 1 min" in timer.body, timer.body
        floor = await member.ask(room, "!next")
        assert floor.source["content"]["m.mentions"] == {"user_ids": [bea.client.user_id]}
        full = await member.wait_for(room, "has used its 1 planned minutes", timeout=150)
        assert full.body.startswith("**budget**")
        passed = await bea.wait_for(room, "your turn has passed the 1 minutes agreed", timeout=150)
        assert passed.source["content"]["msgtype"] == "m.text"
        assert passed.source["content"]["m.mentions"] == {"user_ids": [bea.client.user_id]}
        await bea.sync()
        pushed = {n["event"]["event_id"] for n in await bea.notifications()}
        assert passed.event_id in pushed and floor.event_id in pushed
        moved = await member.ask(room, "!agenda next")
        assert moved.body.startswith("Closed **budget** after "), moved.body
        await bea.ask(room, "!note the hall costs 40")
        ended = await member.say(room, "!meeting end")
        minutes = await member.reply_to(ended)
        body = minutes.body
        assert body.startswith("**Meeting ended** by "), body
        assert "**Agenda**:\n- **budget**: 1 min planned, " in body
        assert "**Notes from this meeting** (1):" in body
        group = body.index("**How the floor was shared**: 1 of 2 members spoke.")
        assert group < body.index("Each member (turns, time with the floor):")
        assert "Did not take the floor: " in body
        await member.wait_for(room, "**Closing round**, in this order: One thing you appreciated.")
        again = await bea.ask(room, "!minutes 1")
        assert again.body.startswith("**Minutes of meeting 1**"), again.body
        assert again.body.split("\n", 1)[1] == body.split("\n", 1)[1]
    finally:
        bot.stop()
        await bea.close()
