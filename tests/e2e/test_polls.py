"""Native polls through a real homeserver, in an encrypted room and in a plain one: the bot
posts an `m.poll.start` as Element sends it (encrypted where the room is), members answer
with real `m.poll.response` events (encrypted too), one changes their answer, and
`!poll close 1` ends the poll with an `m.poll.end` related to the start and a tally of
counts; the database keeps only the counts."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from nio import RoomSendResponse, UnknownEvent

from bot.synapse import Homeserver
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e
# One database is enough here: the practice's storage runs on both in the unit suite, and
# PostgreSQL end to end in the other tests; this keeps CI well inside its time.
ONE_DATABASE = pytest.mark.parametrize("bot_database", ["sqlite"], indirect=True)

START = "org.matrix.msc3381.poll.start"
END = "org.matrix.msc3381.poll.end"
RESPONSE = "org.matrix.msc3381.poll.response"
TEXT = "org.matrix.msc1767.text"


async def new_member(hs: Homeserver, tmp_path: Path, name: str) -> Member:
    user = hs.register(f"{name}-{uuid.uuid4().hex[:6]}")
    hs.lift_ratelimit(user.user_id)
    m = Member(hs.base_url, user.user_id, user.password, tmp_path / name)
    await m.login()
    return m


async def poll_event(m: Member, room: str, kind: str, timeout: float = 30) -> UnknownEvent:
    """The first event of a poll type in the room, as the member's client sees it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for r, event in m.others:
            if r == room and event.type == kind:
                return event
        await m.sync(timeout_ms=1000)
    raise AssertionError(f"no {kind} in {room} within {timeout}s")


async def answer(m: Member, room: str, start: str, choice: str) -> None:
    """A poll response as Element sends it (nio encrypts it in an encrypted room)."""
    content: dict[str, Any] = {
        "m.relates_to": {"rel_type": "m.reference", "event_id": start},
        RESPONSE: {"answers": [choice]},
    }
    resp = await m.client.room_send(
        room, RESPONSE, content, tx_id=str(uuid.uuid4()), ignore_unverified_devices=True
    )
    assert isinstance(resp, RoomSendResponse), resp


async def run_poll(member: Member, bea: Member, room: str) -> None:
    opened = await member.ask(room, "!poll Which evening?; Tuesday; Wednesday")
    assert opened.body.startswith("Poll **#1** is open until ")
    start = await poll_event(member, room, START)
    poll = start.source["content"][START]
    assert poll["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert poll["max_selections"] == 1
    assert poll["question"] == {TEXT: "Which evening?"}
    assert poll["answers"] == [{"id": "1", TEXT: "Tuesday"}, {"id": "2", TEXT: "Wednesday"}]
    assert start.source["content"][TEXT] == "Which evening?\n1. Tuesday\n2. Wednesday"
    await poll_event(bea, room, START)

    await answer(member, room, start.event_id, "1")
    await answer(bea, room, start.event_id, "2")
    await answer(bea, room, start.event_id, "1")  # bea changes her mind: the latest counts
    listed = await bea.ask(room, "!polls")
    assert "(2 of 2 members answered; closes " in listed.body

    tally = await member.ask(room, "!poll close 1", timeout=60)
    assert tally.body.split("\n") == [
        "**Poll #1** is closed (closed with `!poll close`): Which evening?",
        "- Tuesday: 2 votes",
        "- Wednesday: 0 votes",
        "2 of 2 members answered.",
    ]
    end = await poll_event(bea, room, END)
    content = end.source["content"]
    assert content["m.relates_to"] == {"rel_type": "m.reference", "event_id": start.event_id}
    assert content[TEXT] == "The poll is closed. Tuesday: 2; Wednesday: 0"
    assert end.sender == start.sender
    for m in (member, bea):  # the tally never says who chose what
        assert m.client.user_id not in tally.body


@ONE_DATABASE
async def test_a_poll_in_an_encrypted_room_and_a_plain_one(
    homeserver: Homeserver,
    member: Member,
    bot_process: BotProcess,
    bot_database: str,
    tmp_path: Path,
) -> None:
    bea = await new_member(homeserver, tmp_path, "bea")
    try:
        rooms = []
        for encrypted in (True, False):
            room = await member.create_room(
                bot_process.account.user_id, encrypted=encrypted, name=f"Co-op {encrypted}"
            )
            await member.client.room_invite(room, bea.client.user_id)
            await bea.sync()
            await bea.join(room)
            await member.wait_joined(room, bea.client.user_id)
            await member.wait_joined(room, bot_process.account.user_id)
            await member.wait_for(room, "Hello! I'm", timeout=60)
            rooms.append(room)
        for room in rooms:
            await run_poll(member, bea, room)
        # Encrypted where the room is: the members' clients decrypted the bot's poll events.
        kinds = {e.source.get("type") for r, e in member.others if r == rooms[0]}
        assert {START, END} <= kinds
        assert not member.undecrypted and not bea.undecrypted
    finally:
        await bea.close()

    if bot_database.startswith("sqlite"):
        bot_process.stop()
        db = bot_database.removeprefix("sqlite+aiosqlite:///")
        with sqlite3.connect(db) as conn:
            assert list(conn.execute("SELECT count(*) FROM poll_responses")) == [(0,)]
            votes = list(conn.execute("SELECT votes FROM poll_options ORDER BY poll_id, number"))
            assert votes == [(2,), (0,), (2,), (0,)]
            assert list(conn.execute("SELECT answered, members FROM polls")) == [(2, 2), (2, 2)]
            dump = repr(list(conn.execute("SELECT * FROM poll_options")))
            dump += repr(list(conn.execute("SELECT * FROM polls")))
        # Who asked and closed the poll is on record; who answered what is not.
        assert member.client.user_id in dump
        assert bea.client.user_id not in dump
