"""The rotation announcement arrives by itself in the room of a real homeserver."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.synapse import Homeserver, RegisteredUser
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.slow
async def test_rotation_is_announced_by_itself_and_notifies(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    tmp_path: Path,
) -> None:
    """One bot, a plain and an encrypted collective: both rotate by themselves (one
    minute's wait for both)."""
    account = homeserver.register(f"flattening-rot-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "rotation-bot"
    directory.mkdir()
    bot = BotProcess(
        directory,
        homeserver,
        account,
        member_account.user_id,
        f"sqlite+aiosqlite:///{directory}/f.db",
        extra='[schedule]\nrotation = "* * * * *"\n',  # every minute, so the test need not wait a week
    )
    bot.start()
    try:
        rooms = {
            encrypted: await member.create_room(account.user_id, encrypted=encrypted)
            for encrypted in (False, True)
        }
        for room in rooms.values():
            await member.wait_joined(room, account.user_id)
        me = member.client.user_id
        for encrypted, room in rooms.items():
            announcement = await member.wait_for(room, "**Role rotation**", timeout=90)
            # One member, three roles: they hold all of them, as it cannot be avoided.
            for role in ("facilitation", "notes", "agenda"):
                assert f"**{role}**" in announcement.body
            assert announcement.source["content"]["m.mentions"] == {"user_ids": [me]}
            assert announcement.source["content"]["msgtype"] == "m.text"
            roles = await member.ask(room, "!roles")
            assert roles.body.count("Held by") == 3
            assert roles.source["content"]["msgtype"] == "m.notice"
            if not encrypted:  # the homeserver reads plain events with the default push rules
                pushed = {n["event"]["event_id"] for n in await member.notifications()}
                assert announcement.event_id in pushed
                assert roles.event_id not in pushed
    finally:
        bot.stop()
