"""Airtime counting and the power map, through a real homeserver, in plain and encrypted rooms."""

from __future__ import annotations

import signal

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_counts_survive_crashes_and_the_power_map_has_a_chart(
    member: Member, bot_process: BotProcess, encrypted: bool
) -> None:
    room = await member.create_room(bot_process.account.user_id, encrypted=encrypted)
    await member.wait_joined(room, bot_process.account.user_id)
    await member.wait_for(room, "Hello! I'm")

    sent = [await member.say(room, f"message number {i}") for i in range(4)]  # 3 words each
    bot_process.stop(signal.SIGKILL)  # a crash, maybe mid-batch
    for i in range(3):
        await member.say(room, f"while the bot is down {i}")  # 6 words each
    await member.say(
        room, "* edit", **{"m.relates_to": {"rel_type": "m.replace", "event_id": sent[0]}}
    )
    bot_process.start()

    airtime = await member.ask(room, "!airtime 7d")
    assert "7 messages, 30 words, from 1 of 1 member." in airtime.body, airtime.body

    text = await member.ask(room, "!powermap")
    assert text.body.startswith("**Power map, ")
    assert "**Room power**" in text.body and "- change settings:" in text.body
    image = await member.wait_for_image(room)
    assert image.source["content"]["msgtype"] == "m.image"
    assert image.source["content"]["info"]["mimetype"] == "image/png"
    if encrypted:
        assert "file" in image.source["content"]  # uploaded encrypted
    else:
        assert image.source["content"]["url"].startswith("mxc://")


async def test_a_long_outage_is_counted_exactly(member: Member, bot_process: BotProcess) -> None:
    """More messages than one sync's timeline holds arrive while the bot is down."""
    room = await member.create_room(bot_process.account.user_id, encrypted=False)
    await member.wait_joined(room, bot_process.account.user_id)
    await member.wait_for(room, "Hello! I'm")
    bot_process.stop()
    missed = 260  # a sync returns at most 100 timeline events per room (Synapse caps the filter)
    for i in range(missed):
        await member.say(room, f"word {i}")
    bot_process.start()
    airtime = await member.ask(room, "!airtime 7d", timeout=60)
    assert f"{missed} messages, {2 * missed} words" in airtime.body, airtime.body
