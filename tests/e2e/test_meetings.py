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
