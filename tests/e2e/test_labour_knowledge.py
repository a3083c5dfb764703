"""A member logs labour and asks the knowledge map, through a real homeserver."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_task_done_and_whohas(
    member: Member, bot_process: BotProcess, encrypted: bool
) -> None:
    room = await member.create_room(bot_process.account.user_id, encrypted=encrypted)
    await member.wait_joined(room, bot_process.account.user_id)
    await member.wait_for(room, "Hello! I'm")
    me = member.client.user_id

    done = await member.ask(room, "!task done flyers")
    assert done.body.startswith("Logged **flyers** as visible labour by ")
    assert "the collective 1 task (1 visible, 0 invisible, 0 care)" in done.body

    nobody = await member.ask(room, "!whohas database")
    assert "Nobody has declared **database**" in nobody.body

    await member.ask(room, "!knows Database")
    await member.ask(room, "!task done database backup")
    single = await member.ask(room, "!whohas database")
    assert "Single point of knowledge" in single.body
    assert "- Done tasks in it: member-" in single.body  # the backup exercises the area
    assert single.source["content"]["m.mentions"] == {"user_ids": [me]}

    spof = await member.ask(room, "!spof")
    assert "**database**" in spof.body

    log = await member.ask(room, "!task log")
    assert "**flyers** (visible)" in log.body and "**database backup** (visible)" in log.body
