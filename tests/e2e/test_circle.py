"""A whole circle of shadows through a real homeserver: `!circle start` posts the walk's
patterns, members put dots with reactions, `!circle next` tallies them and draws the small
groups with the first-person prompt (mentioning the members), then the call for
experiments, then the affirmation round in random order; each step once."""

from __future__ import annotations

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


@ONE_DATABASE
async def test_a_whole_circle_in_one_sitting(
    homeserver: Homeserver,
    member: Member,
    bot_process: BotProcess,
    tmp_path: Path,
) -> None:
    user = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(user.user_id)
    bea = Member(homeserver.base_url, user.user_id, user.password, tmp_path / "bea")
    await bea.login()
    try:
        room = await member.create_room(bot_process.account.user_id, encrypted=False)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_joined(room, bot_process.account.user_id)
        await member.wait_for(room, "Hello! I'm", timeout=60)
        me, her = member.client.user_id, bea.client.user_id

        started = await member.ask(room, "!circle start")
        assert "**Circle of shadows**: one session in four steps." in started.body
        first = await member.wait_for(room, "**Pattern 1 of 7: Who is heard**")
        await member.wait_for(room, "**Pattern 7 of 7: Shared sovereignty**")
        await member.react(room, first.event_id, "🔴")
        await bea.react(room, first.event_id, "🟢")

        moved = await bea.ask(room, "!circle next", timeout=60)
        assert moved.body.endswith("moved the circle on.")
        tally = await member.wait_for(room, "**Gallery walk tally**", 60)
        assert "- Pattern 1, Who is heard: 🔴 1 · 🔵 0 · 🟢 1" in tally.body, tally.body
        assert "2 members put dots" in tally.body
        step2 = await member.wait_for(room, "step 2 of 4: small groups", 60)
        assert "imbalance you feel complicit in sustaining" in step2.body
        groups = await member.wait_for(room, "**Reflection groups**", 60)
        assert sorted(groups.source["content"]["m.mentions"]["user_ids"]) == sorted([me, her])

        await member.ask(room, "!circle next", timeout=60)
        step3 = await member.wait_for(room, "step 3 of 4: structural experiments", 60)
        assert "`!experiment <change> for 1m`" in step3.body

        await bea.ask(room, "!circle next", timeout=60)
        step4 = await member.wait_for(room, "step 4 of 4: affirmation", 60)
        assert "Name a moment this month where you felt agency." in step4.body
        assert step4.source["content"]["msgtype"] == "m.text"
        assert (await member.ask(room, "!circle next")).body.startswith("No circle is running.")
        # Each step once: no step's post came twice.
        for text in ("step 2 of 4", "step 3 of 4", "step 4 of 4", "**Gallery walk tally**"):
            assert sum(text in n.body for n in member.notices_in(room)) == 1, text
    finally:
        await bea.close()
