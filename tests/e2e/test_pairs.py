"""A cross-training pair through a real homeserver: the learner pairs with a holder, the
reminder arrives by itself and notifies both, and the completed pair shows the learner as
a holder in training."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.synapse import Homeserver, RegisteredUser
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e

# Look for pairs every minute and remind at once, so the test need not wait two weeks.
QUICK = '[schedule]\npairs = "* * * * *"\n[rituals]\npair_reminder_days = 0\n'


async def test_a_pair_is_reminded_by_itself_and_completes(
    homeserver: Homeserver,
    member: Member,
    member_account: RegisteredUser,
    tmp_path: Path,
) -> None:
    account = homeserver.register(f"flattening-pair-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "pair-bot"
    directory.mkdir()
    url = f"sqlite+aiosqlite:///{directory}/f.db"
    bot = BotProcess(directory, homeserver, account, member_account.user_id, url, extra=QUICK)
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
        me, her = member.client.user_id, bea.client.user_id
        bea_local = her[1:].split(":")[0]

        await bea.ask(room, "!knows database")
        started = await member.ask(room, f"!pair database @{bea_local}")
        assert "a cross-training pair" in started.body, started.body
        assert started.source["content"]["m.mentions"] == {"user_ids": [her]}

        nudge = await member.wait_for(room, "your cross-training pair in **database**", 90)
        assert nudge.source["content"]["msgtype"] == "m.text"
        assert sorted(nudge.source["content"]["m.mentions"]["user_ids"]) == sorted([me, her])
        pushed = {n["event"]["event_id"] for n in await bea.notifications()}
        assert nudge.event_id in pushed  # the holder's notifications went off

        done = await member.ask(room, "!pair done database")
        assert done.body.startswith("Cross-training done:"), done.body
        whohas = await bea.ask(room, "!whohas database")
        assert "- Holders in training:" in whohas.body, whohas.body
        spof = await bea.ask(room, "!spof")
        assert "**database**" in spof.body and "pairs in progress: none" in spof.body
    finally:
        bot.stop()
        await bea.close()
    assert "Traceback" not in bot.output()
