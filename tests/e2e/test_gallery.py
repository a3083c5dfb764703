"""A silent gallery walk through a real homeserver, in an encrypted room: the bot posts the
patterns (encrypted), learns their event ids from its own timeline, three members put dots
on them as reactions (which nio sends in the clear), one takes a dot back, and the tally
is exact and names nobody; the database keeps only the counts."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from bot.synapse import Homeserver
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


async def new_member(hs: Homeserver, tmp_path: Path, name: str) -> Member:
    user = hs.register(f"{name}-{uuid.uuid4().hex[:6]}")
    hs.lift_ratelimit(user.user_id)
    m = Member(hs.base_url, user.user_id, user.password, tmp_path / name)
    await m.login()
    return m


async def test_a_walk_with_three_members_and_a_dot_taken_back(
    homeserver: Homeserver,
    member: Member,
    bot_process: BotProcess,
    bot_database: str,
    tmp_path: Path,
) -> None:
    bea = await new_member(homeserver, tmp_path, "bea")
    cai = await new_member(homeserver, tmp_path, "cai")
    try:
        room = await member.create_room(
            bot_process.account.user_id, encrypted=True, name="Food co-op"
        )
        for other in (bea, cai):
            await member.client.room_invite(room, other.client.user_id)
            await other.sync()
            await other.join(room)
            await member.wait_joined(room, other.client.user_id)
        await member.wait_joined(room, bot_process.account.user_id)
        await member.wait_for(room, "Hello! I'm", timeout=60)

        intro = await member.ask(room, "!gallery 30")
        assert intro.body.startswith("member")  # who started it, by name
        assert "**Circle of shadows: a silent gallery walk** until " in intro.body
        assert "through the patterns of the last 30 days" in intro.body
        first = await member.wait_for(room, "**Pattern 1 of 7: Who is heard**")
        second = await member.wait_for(room, "**Pattern 2 of 7: Invisible work**")
        await member.wait_for(room, "**Pattern 7 of 7:")
        # Posted encrypted (the member's client decrypted them), each marked for the bot.
        assert first.source["content"]["org.flattening.marker"] == "gallery:1:1"
        assert not member.undecrypted

        await member.react(room, first.event_id, "🔴")
        await bea.react(room, first.event_id, "🔴\ufe0f")
        await cai.react(room, first.event_id, "🔵")
        await cai.react(room, second.event_id, "🟢")
        taken_back = await bea.react(room, second.event_id, "🟢")
        await bea.react(room, intro.event_id, "🔴")  # the introduction is no pattern
        await bea.redact(room, taken_back)

        tally = await cai.ask(room, "!gallery end", timeout=60)
        lines = tally.body.split("\n")
        assert lines[0].startswith("**Gallery walk tally** (")
        assert lines[0].endswith("with `!gallery end`: 3 members put dots.")
        assert lines[1:8] == [
            "- Pattern 1, Who is heard: 🔴 2 · 🔵 1 · 🟢 0",
            "- Pattern 2, Invisible work: 🔴 0 · 🔵 0 · 🟢 1",
            "- Pattern 3, Single points of knowledge: 🔴 0 · 🔵 0 · 🟢 0",
            "- Pattern 4, Who holds the roles: 🔴 0 · 🔵 0 · 🟢 0",
            "- Pattern 5, Whose proposals carry: 🔴 0 · 🔵 0 · 🟢 0",
            "- Pattern 6, Who holds the room's keys: 🔴 0 · 🔵 0 · 🟢 0",
            "- Pattern 7, Shared sovereignty: 🔴 0 · 🔵 0 · 🟢 0",
        ]
        dots = tally.body.split("with `!gallery end`", 1)[1]  # who closed it is named
        for m in (member, bea, cai):  # the tally never says who put a dot
            assert m.client.user_id not in dots
            name = m.client.user_id[1:].split(":")[0]
            assert name not in dots
    finally:
        await bea.close()
        await cai.close()

    if bot_database.startswith("sqlite"):
        bot_process.stop()
        db = bot_database.removeprefix("sqlite+aiosqlite:///")
        with sqlite3.connect(db) as conn:
            assert list(conn.execute("SELECT count(*) FROM gallery_marks")) == [(0,)]
            counts = list(
                conn.execute(
                    "SELECT red, blue, green FROM gallery_patterns ORDER BY number LIMIT 2"
                )
            )
            assert counts == [(2, 1, 0), (0, 0, 1)]
            assert list(conn.execute("SELECT reactors FROM gallery_walks")) == [(3,)]
            dump = repr(list(conn.execute("SELECT * FROM gallery_patterns")))
            dump += repr(list(conn.execute("SELECT * FROM gallery_walks")))
        # Who started the walk and who ended it are on record; who put dots is not.
        assert member.client.user_id in dump and cai.client.user_id in dump
        assert bea.client.user_id not in dump
