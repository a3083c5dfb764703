"""Room power as the room version grants it: from version 12 on, the creators (the create
event's sender and its `additional_creators`) hold every power without being listed in the
power levels. The create event reaches the bot at a join and after a restart, is kept with
the power levels, and every count of power (the power map, the gallery walk, who may take
back another's counted message) asks for it."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nio import AsyncClient, AsyncClientConfig, SyncResponse
from sqlalchemy import select

from bot.events import Batch, JoinedRoom
from bot.incoming import to_batch
from handlers.airtime import _may_redact_others
from handlers.i18n import speaking
from handlers.rituals.gallery.patterns import _power as gallery_power
from storage import room_power
from storage.models import Collective
from tests.harness import ALICE, BOB, BOT, CAROL, ROOM, Harness

_ids = itertools.count(1)
LEVELS: dict[str, Any] = {  # as Synapse makes them for a version-12 room: nobody listed
    "users": {},
    "users_default": 0,
    "invite": 0,
    "kick": 50,
    "ban": 50,
    "redact": 50,
    "state_default": 50,
    "events": {"m.room.power_levels": 100},
}


def raw(sender: str, type_: str, content: dict[str, Any], state_key: str = "") -> dict[str, Any]:
    return {
        "event_id": f"$rp{next(_ids)}",
        "sender": sender,
        "type": type_,
        "content": content,
        "origin_server_ts": 1_772_000_000_000,
        "state_key": state_key,
    }


def test_which_versions_privilege_their_creators() -> None:
    for version in ("12", "13", "40"):
        assert room_power.creators_privileged(version)
    for version in ("1", "11", "org.matrix.hydra.11", "12a", "", "١٢", None):
        assert not room_power.creators_privileged(version)


def test_snapshots_old_and_new() -> None:
    assert room_power.read(None) is None and room_power.read("not json") is None
    assert room_power.read("[1, 2]") is None
    old = room_power.read(json.dumps({"users": {ALICE: 100}, "kick": 50}))
    assert old is not None and old.creators == () and old.version is None
    assert old.level(ALICE) == 100 and old.level(BOB) == 0 and old.need("kick") == 50
    v12 = room_power.read(room_power.snapshot(LEVELS, [ALICE, BOB, ALICE], "12"))
    assert v12 is not None and v12.creators == (ALICE, BOB)
    assert v12.level(ALICE) == math.inf and v12.level(CAROL) == 0
    assert v12.holders() == [ALICE, BOB]
    assert v12.need_state("m.room.power_levels") == 100
    v11 = room_power.read(room_power.snapshot({**LEVELS, "users": {ALICE: 100}}, [BOB], "11"))
    assert v11 is not None and v11.level(BOB) == 0 and v11.level(ALICE) == 100
    odd = room_power.read(json.dumps({"levels": {}, "creators": "x", "version": 12}))
    assert odd is not None and odd.creators == () and odd.version is None
    assert room_power.creation({"additional_creators": [BOB, 7, "", BOB]}, ALICE) == (
        (ALICE, BOB),
        "1",
    )


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[AsyncClient]:
    nio_client = AsyncClient(
        "https://test.org",
        BOT,
        store_path=str(tmp_path),
        config=AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False),
    )
    nio_client.user_id = BOT
    try:
        yield nio_client
    finally:
        await nio_client.close()


async def sync(
    client: AsyncClient, state: list[dict[str, Any]], timeline: Sequence[dict[str, Any]] = ()
) -> Batch:
    response = SyncResponse.from_dict(
        {
            "next_batch": f"s-rp-{next(_ids)}",
            "rooms": {
                "join": {
                    ROOM: {
                        "timeline": {"events": list(timeline), "limited": False},
                        "state": {"events": state},
                    }
                },
                "invite": {},
                "leave": {},
            },
        }
    )
    assert isinstance(response, SyncResponse)
    await client.receive_response(response)
    return to_batch(client, response)


async def test_the_create_event_reaches_the_batch_at_a_join(client: AsyncClient) -> None:
    v12 = raw(ALICE, "m.room.create", {"room_version": "12", "additional_creators": [BOB, 3]})
    levels = raw(ALICE, "m.room.power_levels", LEVELS)
    [room] = (await sync(client, [v12, levels])).joined
    assert room.creators == (ALICE, BOB) and room.room_version == "12"
    assert room.power_levels is not None and room.power_levels["redact"] == 50
    [later] = (await sync(client, [])).joined  # a later sync: not in it, so not known here
    assert later.creators is None and later.room_version is None
    # A young room's creation may come in the timeline; an old version names its creator.
    old = raw(CAROL, "m.room.create", {"creator": CAROL, "room_version": "11"})
    [room] = (await sync(client, [], [old])).joined
    assert room.creators == (CAROL,) and room.room_version == "11"
    nameless = raw(CAROL, "m.room.create", {})
    [room] = (await sync(client, [nameless])).joined
    assert room.creators == (CAROL,) and room.room_version == "1"


async def power_of(bot: Harness) -> room_power.RoomPower | None:
    async with bot.db.transaction() as session:
        room = (await session.execute(select(Collective))).scalar_one()
        return room_power.read(room.power_levels)


async def joined(
    bot: Harness, levels: dict[str, Any], creators: tuple[str, ...] | None, version: str | None
) -> None:
    room = bot.room([])
    room = dataclasses.replace(room, power_levels=levels, creators=creators, room_version=version)
    await bot.processor.process(Batch(next_batch=bot.token(), joined=[room]))


async def test_the_creators_are_kept_with_the_power_levels_across_batches(bot: Harness) -> None:
    await joined(bot, LEVELS, (ALICE,), "12")
    power = await power_of(bot)
    assert power is not None and power.privileged == (ALICE,)
    # Later batches carry the power levels but not the create event: the creators stay.
    await joined(bot, {**LEVELS, "kick": 100}, None, None)
    power = await power_of(bot)
    assert power is not None and power.privileged == (ALICE,) and power.need("kick") == 100
    # A snapshot of the power levels alone (kept before creators were): read as it is, and
    # completed by the next create event (the restart's full state brings it).
    async with bot.db.transaction() as session:
        room = (await session.execute(select(Collective))).scalar_one()
        room.power_levels = json.dumps(LEVELS)
    power = await power_of(bot)
    assert power is not None and power.privileged == () and power.level(ALICE) == 0
    await joined(bot, LEVELS, (ALICE, BOB), "12")
    power = await power_of(bot)
    assert power is not None and power.privileged == (ALICE, BOB)


async def test_the_power_map_counts_a_version_12_creator(bot: Harness) -> None:
    await joined(bot, LEVELS, (ALICE,), "12")
    [text, _image] = await bot.send("!powermap")
    assert "- invite: everyone" in text.body
    assert "- kick: Alice\n" in text.body and "- change settings: Alice\n" in text.body
    assert "- Alice created the room and, by its version (12), holds every power" in text.body
    assert "⚠ Concentrated: at most one member can kick, change settings." in text.body
    assert "no member" not in text.body


async def test_the_power_map_reads_the_levels_of_an_older_room(bot: Harness) -> None:
    await joined(bot, {**LEVELS, "users": {BOB: 100, "@gone:test.org": 50}}, (ALICE,), "11")
    [text, _image] = await bot.send("!powermap")
    assert "- kick: Bob (also non-members: @gone:test.org)" in text.body
    assert "- change settings: Bob\n" in text.body
    assert "created the room" not in text.body
    # A creator of a version-12 room who is not a member is named as a non-member.
    await joined(bot, LEVELS, ("@founder:test.org", BOB), "12")
    [text, _image] = await bot.send("!powermap")
    assert "- kick: Bob (also non-members: @founder:test.org)" in text.body
    assert "- @founder:test.org, Bob created the room" in text.body


async def test_the_bot_as_creator_is_said_once(bot: Harness) -> None:
    await joined(bot, LEVELS, (BOT,), "12")
    [text, _image] = await bot.send("!powermap")
    assert "- kick: no member" in text.body
    assert "the bot itself can change settings" in text.body
    assert "created the room" not in text.body


def test_the_gallery_counts_a_version_12_creator() -> None:
    members = {ALICE, BOB, CAROL}
    with speaking("en"):
        v12 = gallery_power(room_power.snapshot(LEVELS, [ALICE], "12"), members)()
        v11 = gallery_power(room_power.snapshot(LEVELS, [ALICE], "11"), members)()
        old = gallery_power(json.dumps({**LEVELS, "users": {BOB: 100}}), members)()
    assert v12 == (
        "Of 3 members, 1 can change the room's settings, 1 can remove people, 3 can invite."
    )
    assert v11 == (
        "Of 3 members, 0 can change the room's settings, 0 can remove people, 3 can invite."
    )
    assert old.startswith("Of 3 members, 1 can change the room's settings, 1 can remove")


def test_a_version_12_creator_may_take_back_anothers_message() -> None:
    assert _may_redact_others(room_power.snapshot(LEVELS, [ALICE], "12"), ALICE)
    assert not _may_redact_others(room_power.snapshot(LEVELS, [ALICE], "12"), BOB)
    assert not _may_redact_others(room_power.snapshot(LEVELS, [ALICE], "11"), ALICE)
    assert _may_redact_others(json.dumps({"users": {ALICE: 50}}), ALICE)
    assert not _may_redact_others(None, ALICE)


async def test_a_restart_keeps_the_creators(bot: Harness) -> None:
    await joined(bot, LEVELS, (ALICE,), "12")
    again = Harness(bot.db, bot.config, bot.clock)
    again.event_prefix = "$again"
    room: JoinedRoom = dataclasses.replace(again.room([]), power_levels=LEVELS)
    await again.processor.process(Batch(next_batch=again.token(), joined=[room]), initial=True)
    power = await power_of(again)
    assert power is not None and power.privileged == (ALICE,)


TRICKY = st.lists(
    st.sampled_from(
        ["a", "1", "2", " ", "\u200b", "\u202e", "\x00", "@room", "*", "`", "$", "é", "{x}"]
    ),
    min_size=0,
    max_size=10,
).map("".join)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    creators=st.lists(TRICKY | JSONISH, max_size=4),
    version=JSONISH,
    extra=st.dictionaries(TRICKY, JSONISH, max_size=3),
)
async def test_any_create_event_a_peer_sends_leaves_the_map_standing(
    client: AsyncClient, bot: Harness, creators: list[Any], version: Any, extra: dict[str, Any]
) -> None:
    """Whatever a (federated) room's create event says, the batch goes through and the power
    map answers: creators are strings or dropped, a version is a string or "1"."""
    content = {**extra, "additional_creators": creators, "room_version": version}
    [room] = (await sync(client, [raw(ALICE, "m.room.create", content)])).joined
    assert room.creators is not None and all(isinstance(c, str) for c in room.creators)
    assert isinstance(room.room_version, str)
    await joined(bot, LEVELS, room.creators, room.room_version)
    [text, image] = await bot.send("!powermap")
    assert "**Room power**" in text.body and image.content["msgtype"] == "m.image"
    assert "@room" not in image.content["body"]
