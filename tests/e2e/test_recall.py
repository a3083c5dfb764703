"""A recall through a real homeserver: the holder is told when it opens and when it is
adopted, both times with a message their homeserver notifies them of; rotation then hands
the role to someone else."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from bot.synapse import Homeserver
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e
# One database is enough here: the practice's storage runs on both in the unit suite, and
# PostgreSQL end to end in the other tests; this keeps CI well inside its time.
ONE_DATABASE = pytest.mark.parametrize("bot_database", ["sqlite"], indirect=True)


@pytest.mark.slow
@ONE_DATABASE
async def test_recall_notifies_the_holder_and_rotation_moves_the_role(
    homeserver: Homeserver,
    member: Member,
    bot_process: BotProcess,
    tmp_path: Path,
) -> None:
    other_user = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other_user.user_id)
    bea = Member(homeserver.base_url, other_user.user_id, other_user.password, tmp_path / "bea")
    await bea.login()
    try:
        room = await member.create_room(bot_process.account.user_id, encrypted=False)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, bot_process.account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")

        claimed = await bea.ask(room, "!role claim facilitation")
        assert "holds **facilitation**" in claimed.body, claimed.body
        opened = await member.ask(room, "!recall facilitation three meetings cancelled")
        assert "asks the group to recall" in opened.body, opened.body
        assert opened.source["content"]["msgtype"] == "m.text"
        assert opened.source["content"]["m.mentions"] == {"user_ids": [bea.client.user_id]}
        found = re.search(r"Proposal \*\*#(\d+)\*\*", opened.body)
        assert found, opened.body
        n = found.group(1)

        await bea.ask(room, f"!object {n} I will do better")
        await member.ask(room, f"!agree {n}")  # everyone has answered: it may close early
        await member.ask(room, f"!decide {n}")
        told = await bea.wait_for(room, "the group recalled you")
        assert told.source["content"]["msgtype"] == "m.text"
        assert bea.client.user_id in told.source["content"]["m.mentions"]["user_ids"]
        pushed = {e["event"]["event_id"] for e in await bea.notifications()}
        assert opened.event_id in pushed and told.event_id in pushed

        roles = await member.ask(room, "!roles")
        assert "**facilitation**" in roles.body
        line = next(x for x in roles.body.splitlines() if "**facilitation**" in x)
        assert "Held by" in line and bea.client.user_id not in line
        history = await member.ask(room, "!role history facilitation")
        assert f"proposal #{n}: adopted" in history.body, history.body
        audit = await member.ask(room, "!audit 10")
        assert "on recall (proposal #" in audit.body, audit.body
    finally:
        await bea.close()
