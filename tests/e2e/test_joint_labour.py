"""Shared labour and follow-through, through a real homeserver: a member logs work done
with two others, and ties a task to an adopted decision; `!task log` shows the work as
shared and `!proposal N` shows the decision's follow-through."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.synapse import Homeserver
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


async def _joined(homeserver: Homeserver, tmp_path: Path, name: str) -> Member:
    user = homeserver.register(f"{name}-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(user.user_id)
    other = Member(homeserver.base_url, user.user_id, user.password, tmp_path / name)
    await other.login()
    return other


async def test_joint_work_and_a_task_tied_to_a_decision(
    homeserver: Homeserver, member: Member, bot_process: BotProcess, tmp_path: Path
) -> None:
    bea = await _joined(homeserver, tmp_path, "bea")
    cai = await _joined(homeserver, tmp_path, "cai")
    try:
        room = await member.create_room(bot_process.account.user_id, encrypted=False)
        for other in (bea, cai):
            await member.client.room_invite(room, other.client.user_id)
            await other.sync()
            await other.join(room)
        await member.wait_joined(room, bot_process.account.user_id)
        for other in (bea, cai):
            await member.wait_joined(room, other.client.user_id)
        await member.wait_for(room, "Hello! I'm")
        bea_id, cai_id = bea.client.user_id, cai.client.user_id
        bea_name, cai_name = bea_id[1:].split(":")[0], cai_id[1:].split(":")[0]

        recorded = await member.ask(room, "!decision we print flyers for the fair")
        assert "#1" in recorded.body, recorded.body
        none_yet = await member.ask(room, "!proposal 1")
        assert "**Follow-through**: no task yet." in none_yet.body, none_yet.body

        joint = await member.ask(room, f"!task done flyers with {bea_id} {cai_id} for #1")
        assert joint.body.startswith("Logged **flyers** as joint work of "), joint.body
        assert f", {bea_name} and {cai_name} (visible labour), one entry each." in joint.body
        assert "the collective 3 tasks" in joint.body and "Tied to decision #1." in joint.body
        assert joint.source["content"]["m.mentions"] == {}  # named, nobody pinged

        added = await bea.ask(room, "!task add book the stall for #1")
        assert "It is tied to decision #1." in added.body, added.body

        log = await member.ask(room, f"!task log {bea_id}")
        assert f"**flyers** (visible), {bea_name} (joint, with " in log.body, log.body
        assert f", {cai_name}) (for #1)" in log.body

        shown = await cai.ask(room, "!proposal 1")
        assert shown.body.endswith(
            "**Follow-through**: 1 task done (flyers); 1 open (book the stall)."
        ), shown.body
    finally:
        await bea.close()
        await cai.close()
