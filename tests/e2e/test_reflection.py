"""A reflection round through a real homeserver: the scheduled round opens encrypted direct
chats with three members, they accept and answer there, the round is closed early with a
second member's agreement and posted to the collective's room. While the round is open the
bot's SQLite files (with the write-ahead log) are read after each answer and hold no text
of any; after the close they are read back to show that no answer can be tied to whoever
wrote it."""

from __future__ import annotations

import sqlite3
import stat
import urllib.parse
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.synapse import Homeserver, RegisteredUser
from storage.sealing import KEY_FILE, SEALED
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e

ANSWERS = {
    0: "I keep the bank password to myself, and that is power",
    1: "I felt agency when we blocked the eviction together",
    2: "I talk first in meetings; I will wait next time",
}


def soon(zone: str, after: timedelta) -> str:
    """A cron that fires once, at the first whole minute at least `after` from now."""
    at = datetime.now(ZoneInfo(zone)) + after
    at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return f"{at.minute} {at.hour} {at.day} {at.month} *"


async def new_member(hs: Homeserver, tmp_path: Path, name: str) -> Member:
    user = hs.register(f"{name}-{uuid.uuid4().hex[:6]}")
    hs.lift_ratelimit(user.user_id)
    m = Member(hs.base_url, user.user_id, user.password, tmp_path / name)
    await m.login()
    return m


def database_files(db: Path) -> bytes:
    """What a copy of the bot's SQLite database holds, read as raw bytes: the file, its
    write-ahead log and its rollback journal, whichever are there."""
    names = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-journal")]
    return b"".join(p.read_bytes() for p in names if p.exists())


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


@pytest.mark.slow
async def test_a_round_in_encrypted_direct_chats_is_unlinkable(
    homeserver: Homeserver, member: Member, member_account: RegisteredUser, tmp_path: Path
) -> None:
    account = homeserver.register(f"flattening-refl-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "reflection-bot"
    directory.mkdir()
    db = directory / "f.db"
    cron = soon("Europe/Berlin", timedelta(seconds=50))
    bot = BotProcess(
        directory,
        homeserver,
        account,
        member_account.user_id,
        f"sqlite+aiosqlite:///{db}",
        extra=f'[schedule]\nreflection = "{cron}"\n',
    )
    bot.start()
    others = [await new_member(homeserver, tmp_path, n) for n in ("bea", "cai")]
    members = [member, *others]
    try:
        # The collective's room, encrypted, with three members; then the bot is invited.
        resp = await member.client.room_create(
            name="Tenants union",
            invite=[m.client.user_id for m in others],
            initial_state=[
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            ],
        )
        room = resp.room_id
        for m in others:
            await m.sync()
            await m.join(room)
        await member.wait_joined(room, others[-1].client.user_id)
        await member.client.room_invite(room, account.user_id)
        await member.wait_joined(room, account.user_id)
        await member.wait_for(room, "Hello! I'm", timeout=60)

        # The scheduled round: each member is invited to a direct chat, marked direct.
        dms = []
        for m in members:
            dm, is_direct = await m.wait_invite(account.user_id, timeout=150)
            assert is_direct
            await m.join(dm)
            prompt = await m.wait_for(dm, "**Reflection round** in Tenants union", timeout=60)
            assert prompt.source["content"]["msgtype"] == "m.text"
            assert "Name one imbalance you feel complicit in sustaining" in prompt.body
            dms.append(dm)
        assert len(set(dms)) == 3
        opened = await member.wait_for(room, "**Reflection round**: I have sent each of the 3")
        assert opened.source["content"]["msgtype"] == "m.text"
        # ... and in the bot's own m.direct account data, one room per member.
        path = (
            f"/_matrix/client/v3/user/{urllib.parse.quote(account.user_id)}/account_data/m.direct"
        )
        listed = homeserver.request("GET", path, token=account.access_token)
        assert {u: r for u, [r] in listed.items()} == {
            m.client.user_id: dm for m, dm in zip(members, dms, strict=True)
        }

        # Each answers in their encrypted direct chat and gets a receipt there. Whenever a
        # copy of the database is taken while the round is open (the file, its write-ahead
        # log, a journal), it holds no text of any answer given so far: each is sealed,
        # with a key that is not in the database, padded to one size.
        events = []
        for i, m in enumerate(members):
            receipt = await m.ask(dms[i], ANSWERS[i], timeout=30)
            assert receipt.body.startswith("Kept for the reflection round of Tenants union")
            events.append(receipt.source["content"]["m.relates_to"]["m.in_reply_to"]["event_id"])
            copy = database_files(db)
            for given in list(ANSWERS.values())[: i + 1]:
                assert given.encode() not in copy and given[:12].encode() not in copy, i
                assert given.encode("utf-16-le") not in copy, i
            sealed = rows(db, "SELECT text, length(sealed) FROM reflection_answers")
            assert sealed == [(None, SEALED)] * (i + 1)
        key_file = directory / "store" / KEY_FILE
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key_file.read_bytes() not in database_files(db)
        assert not member.undecrypted and not others[0].undecrypted
        for m, dm in zip(members, dms, strict=True):  # a direct chat is no collective
            assert not [n for n in m.notices_in(dm) if "Hello! I'm" in n.body]

        # The group publishes early: one asks, another agrees.
        asked = await member.ask(room, "!reflect close")
        assert "waits for a second member: `!second 1`" in asked.body, asked.body
        await others[0].ask(room, "!second 1")
        head = await others[1].wait_for(room, "3 members answered.", timeout=60)
        assert head.body.startswith("**Reflection round** of ")
        listing = await others[1].wait_for(room, "Answers 1 to 3 of 3:", timeout=60)
        assert sorted(listing.body.split("\n")[1:]) == sorted(f"- {a}" for a in ANSWERS.values())
    finally:
        bot.stop()
        for m in others:
            await m.close()

    # The database file, read back as anyone holding it could.
    columns = [name for _, name, *_ in rows(db, "PRAGMA table_info(reflection_answers)")]
    assert columns == ["id", "round_id", "text", "sealed"]  # no user id, no event, no time
    # Published, the answers are the room's: kept as the text posted, nothing sealed left.
    assert rows(db, "SELECT count(*) FROM reflection_answers WHERE sealed IS NOT NULL") == [(0,)]
    stored = rows(db, "SELECT rowid, id, round_id, text FROM reflection_answers")
    assert sorted(t for *_, t in stored) == sorted(ANSWERS.values())
    # The key is the row id (no hidden row id keeps the order they came in), and it was
    # drawn at random, not counted up.
    assert all(rowid == key for rowid, key, *_ in stored)
    assert min(abs(key) for _, key, *_ in stored) > 2**20
    # The three direct chats are known as such; nothing said there was counted as talk.
    assert rows(db, "SELECT count(*) FROM collectives WHERE is_direct") == [(3,)]
    assert rows(db, "SELECT count(*) FROM collectives WHERE is_direct AND introduced_at") == [(0,)]
    assert rows(db, "SELECT count(*) FROM airtime_days") == [(0,)]
    # Who answered is kept only while the round is open.
    assert rows(db, "SELECT count(*) FROM reflection_asked") == [(0,)]
    assert rows(db, "SELECT outcome, answered FROM reflection_rounds") == [("published", 3)]
    # Nowhere else does an answer's text appear, and nothing about the answers table
    # names a member or an answer's event.
    tables = [t for (t,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        dump = repr(rows(db, f'SELECT * FROM "{table}"'))
        for text in ANSWERS.values():
            assert (text in dump) == (table == "reflection_answers"), table
    answers_dump = repr(stored)
    for m in members:
        assert m.client.user_id not in answers_dump
    for event_id in events:
        assert event_id not in answers_dump
