"""Room power as the homeserver grants it: in a version-12 room (Synapse's default) the
creator holds every power without being listed in the power levels; in an older room the
power levels say it. Also after a restart, and with the chart's figures in its body."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nio import RoomCreateResponse, RoomInviteResponse

from tests.e2e.conftest import BotProcess, Homeserver
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.fixture
async def second(homeserver: Homeserver, tmp_path: Path) -> AsyncIterator[Member]:
    """Another member, who holds no power: with two, the map names who holds it."""
    user = homeserver.register(f"second-{uuid.uuid4().hex[:8]}")
    homeserver.lift_ratelimit(user.user_id)
    m = Member(homeserver.base_url, user.user_id, user.password, tmp_path / "second")
    await m.login()
    try:
        yield m
    finally:
        await m.close()


async def _room(member: Member, second: Member, bot: str, version: str | None) -> str:
    resp = await member.client.room_create(name="e2e power", invite=[bot], room_version=version)
    assert isinstance(resp, RoomCreateResponse), resp
    await member.sync()
    room = str(resp.room_id)
    await member.wait_joined(room, bot)
    await member.wait_for(room, "Hello! I'm")
    invited = await member.client.room_invite(room, second.client.user_id)
    assert isinstance(invited, RoomInviteResponse), invited
    await second.join(room)
    await member.wait_joined(room, second.client.user_id)
    return room


def _power_lines(body: str) -> str:
    return body[body.index("**Room power**") : body.index("**Each member**")]


async def test_the_creator_of_a_version_12_room_holds_every_power(
    member: Member, second: Member, bot_process: BotProcess
) -> None:
    room = await _room(member, second, bot_process.account.user_id, None)
    me = member.client.user_id.removeprefix("@").split(":")[0]
    await member.say(room, "three words here")
    text = await member.ask(room, "!powermap")
    power = _power_lines(text.body)
    assert "no member" not in power, power
    assert f"- kick: {me}" in power and f"- change settings: {me}" in power, power
    assert "created the room and, by its version (12), holds every power" in power, power
    assert "at most one member can kick, change settings" in power, power
    image = await member.wait_for_image(room)
    content = image.source["content"]
    assert content["filename"].startswith("powermap-") and content["filename"].endswith(".png")
    assert content["body"].startswith("Power map chart, "), content["body"]
    assert f"{me} 100%" in content["body"] and "An equal share is 50%." in content["body"]

    # After a restart the bot asks for the whole state again: the creator is still known.
    bot_process.stop()
    bot_process.start()
    again = await member.ask(room, "!powermap", timeout=60)
    assert f"- kick: {me}" in _power_lines(again.body), again.body


async def test_an_older_room_reads_its_power_levels(
    member: Member, second: Member, bot_process: BotProcess
) -> None:
    room = await _room(member, second, bot_process.account.user_id, "11")
    me = member.client.user_id.removeprefix("@").split(":")[0]
    text = await member.ask(room, "!powermap")
    power = _power_lines(text.body)
    assert f"- kick: {me}" in power and f"- change settings: {me}" in power, power
    assert "created the room" not in power, power  # listed at 100 by the power levels
