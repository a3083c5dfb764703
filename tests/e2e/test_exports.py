"""`!export` through a real homeserver: the member downloads the m.file (decrypting it in an
encrypted room) and reads the Markdown back."""

from __future__ import annotations

import pytest
from nio import RoomEncryptedFile, RoomMessageFile

from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_the_export_is_a_file_members_can_download_and_read(
    member: Member, bot_process: BotProcess, encrypted: bool
) -> None:
    room = await member.create_room(bot_process.account.user_id, encrypted=encrypted)
    await member.wait_joined(room, bot_process.account.user_id)
    await member.wait_for(room, "Hello! I'm")

    spent = await member.ask(room, "!spend 12,50 flyers for the fair")
    assert "Recorded **#1**: spending of **12.50 EUR**" in spent.body, spent.body
    noted = await member.ask(room, "!note we meet on Friday\n# bring @room the keys")
    assert noted.body.startswith("Note **#1** kept for "), noted.body

    notice = await member.ask(room, "!export all")
    assert notice.body.startswith("Export of everything for "), notice.body
    assert "0 decisions, 1 note, 1 budget entry, 0 tasks done" in notice.body
    file = await member.wait_for_file(room)
    content = file.source["content"]
    assert content["msgtype"] == "m.file"
    assert content["body"].startswith("flattening-all-") and content["body"].endswith(".md")
    assert content["info"]["mimetype"] == "text/markdown"
    if encrypted:
        assert isinstance(file, RoomEncryptedFile) and "url" not in content
    else:
        assert isinstance(file, RoomMessageFile) and content["url"].startswith("mxc://")

    data = await member.download(file)
    assert len(data) == content["info"]["size"]
    doc = data.decode("utf-8")
    assert doc.startswith("# e2e: records\n")
    assert "**Balance**: -12.50 EUR" in doc
    assert ", spending of 12.50 EUR, recorded by " in doc and ": flyers for the fair\n" in doc
    assert ": we meet on Friday\\\n  \\# bring @\u2060room the keys\n" in doc
    assert "@room" not in doc
