"""With Synapse's default message rate limit on the bot, every reply still arrives."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.synapse import Homeserver, RegisteredUser
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e

COMMANDS = 13  # plus the introduction: 14 messages against a burst of 10


@pytest.mark.slow
async def test_bot_waits_out_http_429(
    homeserver: Homeserver, member: Member, member_account: RegisteredUser, tmp_path: Path
) -> None:
    account = homeserver.register(f"flattening-limited-{uuid.uuid4().hex[:6]}")  # limits kept on
    directory = tmp_path / "limited-bot"
    directory.mkdir()
    bot = BotProcess(
        directory,
        homeserver,
        account,
        member_account.user_id,
        f"sqlite+aiosqlite:///{directory}/f.db",
    )
    bot.start()
    try:
        room = await member.create_room(account.user_id, encrypted=False)
        await member.wait_joined(room, account.user_id)
        sent = [await member.say(room, "!ping") for _ in range(COMMANDS)]
        for event_id in sent:
            await member.reply_to(event_id, timeout=120)
        await member.settle(1)
        assert all(len(member.replies_to(e)) == 1 for e in sent)
        assert "429" in bot.output() or "ratelimited" in bot.output()
    finally:
        bot.stop()
