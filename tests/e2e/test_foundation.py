"""The product against a real Synapse: the bot run as a host runs it, a member as a client."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from bot.synapse import Homeserver
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


async def _room_with_bot(member: Member, bot: BotProcess, *, encrypted: bool) -> str:
    room = await member.create_room(bot.account.user_id, encrypted=encrypted)
    await member.wait_joined(room, bot.account.user_id)
    await member.wait_for(room, "Hello! I'm")
    return room


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_help_and_ping(member: Member, bot_process: BotProcess, encrypted: bool) -> None:
    room = await _room_with_bot(member, bot_process, encrypted=encrypted)
    pong = await member.ask(room, "!ping")
    assert pong.body.startswith("pong (Flattening ")
    assert pong.source["content"]["msgtype"] == "m.notice"
    help_ = await member.ask(room, "!help")
    assert "**General**" in help_.body and "`!ping`" in help_.body
    assert "<strong>General</strong>" in help_.formatted_body
    unknown = await member.ask(room, "!pnig")
    assert unknown.body == "Unknown command `!pnig`. Did you mean `!ping`?"
    assert (
        not member.undecrypted
        or not encrypted
        or all(e.event_id not in {pong.event_id, help_.event_id} for e in member.undecrypted)
    )


async def test_echoed_text_is_escaped_and_pings_nobody(
    member: Member, bot_process: BotProcess
) -> None:
    room = await _room_with_bot(member, bot_process, encrypted=False)
    reply = await member.ask(room, "!help <b>@room</b>")
    content = reply.source["content"]
    assert "<b>" not in content["formatted_body"]
    assert "@room" not in content["body"]
    assert content["m.mentions"] == {}


async def test_refuses_invitations_from_strangers(
    homeserver: Homeserver, bot_process: BotProcess, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    stranger_account = homeserver.register("stranger-" + bot_process.account.user_id[12:20])
    homeserver.lift_ratelimit(stranger_account.user_id)
    stranger = Member(
        homeserver.base_url, stranger_account.user_id, stranger_account.password, tmp_path / "s"
    )
    await stranger.login()
    try:
        room = await stranger.create_room(bot_process.account.user_id, encrypted=False)
        bot_process.wait_for_log(f"refused invitation to {room}", 30)
        await stranger.settle(1)
        joined = stranger.client.rooms[room].users
        assert (
            bot_process.account.user_id not in joined
            or bot_process.account.user_id in (stranger.client.rooms[room].invited_users) is False
        )
        assert not stranger.notices_in(room)
    finally:
        await stranger.close()


async def test_restart_loses_nothing_and_repeats_nothing(
    member: Member, bot_process: BotProcess
) -> None:
    room = await _room_with_bot(member, bot_process, encrypted=True)
    first = await member.say(room, "!ping")
    await member.reply_to(first)
    device = json.loads((bot_process.directory / "store" / "credentials.json").read_text())[
        "device_id"
    ]

    bot_process.stop()
    while_down = await member.say(room, "!ping")  # sent while the bot is down
    bot_process.start()
    await member.reply_to(while_down)

    bot_process.stop(signal.SIGKILL)  # a crash, not a clean stop
    after_crash = await member.say(room, "!privacy")
    bot_process.start()
    await member.reply_to(after_crash)

    await member.settle(2)
    for event_id in (first, while_down, after_crash):
        assert len(member.replies_to(event_id)) == 1, event_id
    assert len([n for n in member.notices_in(room) if n.body.startswith("Hello! I'm")]) == 1
    again = json.loads((bot_process.directory / "store" / "credentials.json").read_text())
    assert again["device_id"] == device  # members see one device, not one per start


async def test_reconnects_after_the_homeserver_restarts(
    homeserver: Homeserver, member: Member, bot_process: BotProcess
) -> None:
    room = await _room_with_bot(member, bot_process, encrypted=False)
    homeserver.stop()
    await asyncio.sleep(2)
    homeserver.start()
    await member.sync()
    reply = await member.ask(room, "!ping", timeout=90)
    assert reply.body.startswith("pong")
