"""The access register through a real homeserver: a member records who holds access to
what, `!access` lists it, `!spof` flags a resource with a single holder, and a line that
looks like a secret is refused with nothing of it in the bot's database or log."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import String, Text, func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.synapse import Homeserver
from storage.models import Base
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e

SECRET = "Xk9mQ2vLp8Rt7w"


async def _database_holds(url: str, needle: str) -> list[str]:
    """Where the bot's database holds `needle`: the SQLite files' bytes (the database and
    its write-ahead log), or every text column of every table on PostgreSQL."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        files = [p for p in path.parent.glob(path.name + "*") if p.is_file()]
        assert path in files
        return [p.name for p in files if needle.encode() in p.read_bytes()]
    engine = create_async_engine(url)
    found = []
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for column in table.columns:
                    if isinstance(column.type, String | Text):
                        n = await conn.scalar(
                            select(func.count()).select_from(table).where(column.contains(needle))
                        )
                        if n:
                            found.append(f"{table.name}.{column.name}")
    finally:
        await engine.dispose()
    return found


async def test_access_register_spof_and_a_refused_secret(
    homeserver: Homeserver,
    member: Member,
    bot_process: BotProcess,
    bot_database: str,
    tmp_path: Path,
) -> None:
    other_user = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other_user.user_id)
    bea = Member(homeserver.base_url, other_user.user_id, other_user.password, tmp_path / "bea")
    await bea.login()
    try:
        room = await member.create_room(bot_process.account.user_id, encrypted=False)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, bot_process.account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")
        me = member.client.user_id
        bea_local = bea.client.user_id[1:].split(":")[0]

        added = await member.ask(room, f"!access add Bank Account {me} @{bea_local}")
        assert added.body.startswith("Noted: **bank account** has 2 holders: "), added.body
        solo = await member.ask(room, "!access add Instagram")
        assert "Single point of access" in solo.body

        register = await bea.ask(room, "!access")
        assert "(2 resources, 1 with a single holder)" in register.body, register.body
        [bank] = [line for line in register.body.splitlines() if "**bank account**" in line]
        assert bea_local in bank and me[1:].split(":")[0] in bank
        assert "single point" not in bank
        assert "**instagram**" in register.body

        spof = await bea.ask(room, "!spof")
        assert "**Resources with a single holder** (1)" in spof.body, spof.body
        assert "- **instagram**: only " in spof.body
        assert "`!access add instagram @someone`" in spof.body

        refused = await member.ask(room, f"!access add wifi router {SECRET}")
        assert refused.body.startswith("That looks like a token"), refused.body
        assert SECRET not in refused.body and SECRET not in (refused.formatted_body or "")
        await member.ask(room, f"!access drop bank account pw={SECRET}")
        # The refusal's batch is committed before its answer goes out; what stays is
        # what every later state of the database shows.
        after = await member.ask(room, "!access")
        assert "wifi" not in after.body
        assert await _database_holds(bot_database, SECRET) == []
        assert SECRET not in bot_process.output()
    finally:
        await bea.close()
