"""A command typed in a thread is answered in that thread, in plain and encrypted rooms."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_thread_reply(member: Member, bot_process: BotProcess, encrypted: bool) -> None:
    room = await member.create_room(bot_process.account.user_id, encrypted=encrypted)
    await member.wait_joined(room, bot_process.account.user_id)
    await member.wait_for(room, "Hello! I'm")
    root = await member.say(room, "planning the fair")
    thread = {"rel_type": "m.thread", "event_id": root, "is_falling_back": True}
    command = await member.say(
        room, "!ping", **{"m.relates_to": {**thread, "m.in_reply_to": {"event_id": root}}}
    )
    reply = await member.reply_to(command)
    relates = reply.source["content"]["m.relates_to"]
    assert relates["rel_type"] == "m.thread" and relates["event_id"] == root
    assert relates["m.in_reply_to"] == {"event_id": command}
    assert reply.event_id in await member.thread(room, root)
    outside = await member.ask(room, "!ping")
    assert "rel_type" not in outside.source["content"]["m.relates_to"]
