"""The boundary where nio's objects become plain data: whatever a homeserver or a federated
peer puts in names, bodies and timestamps, the batch goes through."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nio import AsyncClient, AsyncClientConfig, RoomMessageText, SyncResponse
from sqlalchemy import func, select

from bot.database import Database
from bot.events import Batch, Invite, JoinedRoom, RoomEvent, clean_text
from bot.incoming import to_batch
from storage import sync_state
from storage.models import AirtimeDay, Collective, Knowledge, Member
from tests.harness import ALICE, BOB, BOT, ROOM, FakeClock, Harness, make_config

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the harness clock's start
RECEIVED_MS = int(RECEIVED.timestamp() * 1000)
SANE_MS = int(datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)
_ids = itertools.count(1)


def raw_event(
    sender: str,
    type_: str,
    content: dict[str, Any],
    *,
    state_key: str | None = None,
    ts: Any = SANE_MS,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": f"$raw{next(_ids)}",
        "sender": sender,
        "type": type_,
        "content": content,
        "origin_server_ts": ts,
    }
    if state_key is not None:
        event["state_key"] = state_key
    return event


def text(body: str, sender: str = ALICE, ts: Any = SANE_MS) -> dict[str, Any]:
    return raw_event(sender, "m.room.message", {"msgtype": "m.text", "body": body}, ts=ts)


def member(user_id: str, name: str) -> dict[str, Any]:
    content = {"membership": "join", "displayname": name}
    return raw_event(user_id, "m.room.member", content, state_key=user_id)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncClient]:
    nio_client = AsyncClient(
        "https://test.org",
        BOT,
        store_path=str(tmp_path),
        config=AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False),
    )
    nio_client.user_id = BOT  # as after restore_login
    try:
        yield nio_client
    finally:
        await nio_client.close()


async def nio_batch(
    client: AsyncClient,
    timeline: list[dict[str, Any]],
    state: list[dict[str, Any]] | None = None,
    invites: dict[str, Any] | None = None,
) -> Batch:
    """A /sync response parsed by nio as in production, then turned into plain data."""
    raw = {
        "next_batch": f"s-nio-{next(_ids)}",
        "rooms": {
            "join": {
                ROOM: {
                    "timeline": {"events": timeline, "limited": False, "prev_batch": "p0"},
                    "state": {"events": state or []},
                }
            },
            "invite": invites or {},
            "leave": {},
        },
    }
    response = SyncResponse.from_dict(raw)
    assert isinstance(response, SyncResponse)
    await client.receive_response(response)
    return to_batch(client, response, received_at=RECEIVED)


def test_clean_text_strips_c0_controls_and_del_but_keeps_tab_and_newline() -> None:
    assert clean_text("a\x00b\x01c\x1fd\x7fe\tf\ng\rh") == "abcde\tf\ngh"
    assert clean_text("plain ✓ text, bidi \u202e kept") == "plain ✓ text, bidi \u202e kept"


def test_plain_data_is_clean_however_it_is_built() -> None:
    event = RoomEvent(
        "$e\x00", "@a\x00:x", "m.room.message", {"body": "hi\x00", "n": {"deep": ["x\x07"]}}
    )
    assert (event.event_id, event.sender) == ("$e", "@a:x")
    assert event.content == {"body": "hi", "n": {"deep": ["x"]}}
    room = JoinedRoom("!r:x", [event], {"@a:x": "A\x00nn", "@b\x00:x": None}, name="N\x00")
    assert room.members == {"@a:x": "Ann", "@b:x": None}
    assert room.name == "N"
    assert Invite("!r\x00:x", "@a\x00:x").inviter == "@a:x"
    for absurd in (2**53, -1, "soon", True, 1.5):
        assert RoomEvent("$t", "@a:x", "m.room.message", {}, absurd).timestamp_ms == 0  # type: ignore[arg-type]


async def test_control_characters_in_names_and_bodies_go_through_a_whole_batch(
    bot: Harness, client: AsyncClient
) -> None:
    """PostgreSQL refuses U+0000 in text; it used to fail the batch (and every replay)."""
    state = [
        member(ALICE, "Al\x00ice\x07"),
        member(BOB, "Bob"),
        member(BOT, "Flattening"),
        raw_event(ALICE, "m.room.name", {"name": "Our\x00 room\x1b"}, state_key=""),
    ]
    ping = text("!ping\x00")
    knows = text("!knows data\x00base")
    batch = await nio_batch(client, [ping, knows, text("chat with a \x00 in it")], state)
    [room] = batch.joined
    assert room.members == {ALICE: "Alice", BOB: "Bob"}
    assert room.name == "Our room"
    assert [e.content["body"] for e in room.events] == [
        "!ping",
        "!knows database",
        "chat with a  in it",
    ]

    await bot.processor.process(batch)
    await bot.sender.drain()
    assert {s.reply_to for s in bot.sent} >= {ping["event_id"], knows["event_id"]}
    async with bot.db.transaction() as session:
        assert await sync_state.get_token(session, BOT) == batch.next_batch
        names = {m.user_id: m.display_name for m in (await session.scalars(select(Member)))}
        collective = (await session.scalars(select(Collective))).one()
        areas = [k.area for k in await session.scalars(select(Knowledge))]
    assert names[ALICE] == "Alice"
    assert collective.name == "Our room"
    assert areas == ["database"]


async def test_control_characters_in_an_invite_are_cleaned(client: AsyncClient) -> None:
    invite_state = [
        {
            "type": "m.room.member",
            "sender": "@alice:test.org\x7f",
            "state_key": BOT,
            "content": {"membership": "invite", "is_direct": True},
        }
    ]
    batch = await nio_batch(
        client, [], invites={"!dm:test.org": {"invite_state": {"events": invite_state}}}
    )
    assert batch.invites == [Invite("!dm:test.org", ALICE, is_direct=True)]


@pytest.mark.parametrize(
    "ts",
    [2**53, 2**70, -5, 0, 1.5, True, 946684799999, 4102444800001],
    ids=["2^53", "2^70", "negative", "zero", "float", "bool", "1999", "2100"],
)
async def test_absurd_timestamps_fall_back_to_the_receive_time(
    client: AsyncClient, ts: Any
) -> None:
    batch = await nio_batch(client, [text("hello", ts=ts), text("hello again")])
    [odd, sane] = batch.joined[0].events
    assert odd.timestamp_ms == RECEIVED_MS
    assert sane.timestamp_ms == SANE_MS
    assert type(odd.timestamp_ms) is int


async def test_an_absurd_timestamp_does_not_fail_the_batch(
    bot: Harness, client: AsyncClient
) -> None:
    far = text("!ping", ts=2**53)
    batch = await nio_batch(client, [far, text("counted on the day it arrived", ts=-1)])
    await bot.processor.process(batch)
    await bot.sender.drain()
    assert bot.last.reply_to == far["event_id"]
    async with bot.db.transaction() as session:
        days = {(d.user_id, d.day) for d in await session.scalars(select(AirtimeDay))}
        assert await sync_state.get_token(session, BOT) == batch.next_batch
    assert days == {(ALICE, date(2026, 3, 2))}


def test_a_timestamp_nio_cannot_type_is_not_trusted_either() -> None:
    from types import SimpleNamespace

    from bot.incoming import _event

    odd = SimpleNamespace(
        event_id="$odd",
        sender=ALICE,
        server_timestamp="soon",
        source={"type": "m.room.message", "content": {"body": "x"}, "origin_server_ts": "soon"},
    )
    event = _event(odd, RECEIVED_MS)
    assert event is not None and event.timestamp_ms == RECEIVED_MS


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=st.text(max_size=300), room_name=st.text(max_size=300), words=st.text(max_size=300))
async def test_any_text_in_names_and_commands_goes_through_a_batch(
    bot: Harness, caplog: pytest.LogCaptureFixture, name: str, room_name: str, words: str
) -> None:
    """Fuzzing what other servers control: names, a room name, command arguments."""
    ping, knows, chat = (
        bot.message("!ping " + words),
        bot.message("!knows " + words),
        bot.message(words),
    )
    room = JoinedRoom(ROOM, [ping, knows, chat], {ALICE: name, BOB: "Bob"}, name=room_name)
    batch = Batch(next_batch=bot.token(), joined=[room])
    await bot.processor.process(batch)
    async with bot.db.transaction() as session:
        assert await sync_state.get_token(session, BOT) == batch.next_batch
        stored = (await session.scalars(select(Member).where(Member.user_id == ALICE))).one()
    assert stored.display_name == clean_text(name)[:255]
    # No command failed behind an apology either.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_room_the_bot_opened_is_a_direct_chat_even_with_its_history_in_state(
    client: AsyncClient, db: Database, clock: FakeClock
) -> None:
    """A homeserver may put the creation of a new room in `state`, not the timeline; and the
    sync that shows it may come before the sender has recorded the room. Still no
    collective: no introduction, and what the member writes there is no airtime."""
    bot = Harness(db, make_config(), clock)
    await bot.start()
    state = [
        raw_event(BOT, "m.room.create", {"creator": BOT}, state_key=""),
        raw_event(BOT, "m.room.member", {"membership": "join"}, state_key=BOT),
        raw_event(
            BOT, "m.room.member", {"membership": "invite", "is_direct": True}, state_key=ALICE
        ),
    ]
    batch = await nio_batch(client, [], state)
    [room] = batch.joined
    assert room.opened_by_bot and room.direct_with == ALICE
    dm = dataclasses.replace(room, room_id="!opened:test.org")
    before = len(bot.sent)
    await bot.processor.process(dataclasses.replace(batch, joined=[dm]))
    await bot.sender.drain()
    assert bot.sent[before:] == []
    async with bot.db.transaction() as session:
        found = await session.scalar(select(Collective).where(Collective.room_id == dm.room_id))
        assert found is not None and found.is_direct and found.introduced_at is None
    bot.transport.direct[ALICE] = dm.room_id
    bot.members[dm.room_id] = {ALICE: "Alice"}
    [reply] = await bot.answer("my private worries", ALICE, room_id=dm.room_id)
    assert reply.room_id == dm.room_id and "I kept nothing of what you wrote" in reply.body
    async with bot.db.transaction() as session:
        count = select(func.count()).select_from(AirtimeDay)
        assert await session.scalar(count) == 0


async def test_late_events_for_a_room_quiet_in_this_sync_are_delivered(
    client: AsyncClient,
) -> None:
    """A key that arrives in a sync where the room itself is quiet: its event still goes
    into the batch (this used to stop the bot)."""
    await nio_batch(client, [text("hello")], state=[member(ALICE, "Alice")])
    quiet = SyncResponse.from_dict(
        {"next_batch": "s-quiet", "rooms": {"join": {}, "invite": {}, "leave": {}}}
    )
    assert isinstance(quiet, SyncResponse)
    late = RoomMessageText.from_dict(text("!ping, decrypted late"))
    batch = to_batch(client, quiet, {ROOM: [late]}, received_at=RECEIVED)
    [room] = batch.joined
    assert room.room_id == ROOM and [e.content["body"] for e in room.events] == [
        "!ping, decrypted late"
    ]
    gone = to_batch(client, quiet, {"!left:test.org": [late]}, received_at=RECEIVED)
    assert gone.joined == []
