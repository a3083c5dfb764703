"""The decision practice through a real homeserver, in a plain and an encrypted room: a
proposal objected to and blocked cannot be decided; once agreed it is, and the export a
member downloads tells someone who was not there what happened and why."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.synapse import Homeserver
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_propose_block_refuse_agree_decide_export(
    homeserver: Homeserver,
    member: Member,
    bot_process: BotProcess,
    tmp_path: Path,
    encrypted: bool,
) -> None:
    other_user = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other_user.user_id)
    bea = Member(homeserver.base_url, other_user.user_id, other_user.password, tmp_path / "bea")
    await bea.login()
    try:
        room = await member.create_room(bot_process.account.user_id, encrypted=encrypted)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, bot_process.account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")

        opened = await member.ask(room, "!propose meet on Thursdays <at 7pm>")
        assert opened.body.startswith("Proposal **#1** from "), opened.body
        assert "<at 7pm>" in opened.body and "&lt;at 7pm&gt;" in opened.formatted_body

        objected = await bea.ask(room, "!object 1 Thursdays clash with the food bank")
        assert "Counts so far:" in objected.body and "food bank" not in objected.body
        blocked = await bea.ask(room, "!block 1 it would shut out the night-shift members")
        assert "changed from object" in blocked.body
        refused = await member.ask(room, "!decide 1")
        assert refused.body.startswith("Proposal #1 cannot be decided: it is blocked"), refused.body
        assert "it would shut out the night-shift members" in refused.body

        agreed = await bea.ask(room, "!agree 1")
        assert "changed from block" in agreed.body
        decided = await member.ask(room, "!decide 1 Thursdays at 7pm from December")
        assert "adopted" in decided.body, decided.body
        assert "Thursdays at 7pm from December" in decided.body

        await member.ask(room, "!export decisions")
        file = await member.wait_for_file(room)
        doc = (await member.download(file)).decode("utf-8")
        assert "meet on Thursdays" in doc and "Thursdays at 7pm from December" in doc
        assert "adopted" in doc.lower()
    finally:
        await bea.close()
